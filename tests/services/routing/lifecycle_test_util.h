// Puts referrals on worklists the way routing does (a record from intake's
// fields, then the routing StageCommit with its worklist addition), for the
// lifecycle store tests. Synthetic data only.
#ifndef TESTS_SERVICES_ROUTING_LIFECYCLE_TEST_UTIL_H_
#define TESTS_SERVICES_ROUTING_LIFECYCLE_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/domain/rules_config.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/record.pb.h"

namespace referrals::testing {

struct SeedReferral {
  std::string referral_id;
  std::string queue = "ecc-north-east";
  referrals::v1::RoutingOutcome outcome = referrals::v1::ROUTING_OUTCOME_TEAM;
  referrals::v1::Priority priority = referrals::v1::PRIORITY_ROUTINE;
  absl::Time received = absl::FromUnixSeconds(1700000000);
  std::optional<absl::Time> respond_by;
  std::string request_id;  // default: "req-" + referral_id
};

// Writes the record (status TRIAGED) and commits routing for it.
absl::Status SeedRoutedReferral(RedisConnection& connection, const Keys& keys,
                                const SeedReferral& seed);

// The rules file 2025.11-1 from config/rules.
std::shared_ptr<const RulesConfig> TestRules();

// A fresh connection to the test Redis (REDIS_URL), failing the test when
// there is none.
std::unique_ptr<RedisConnection> ConnectToTestRedis();

// XLEN of `stream` (0 when missing).
int64_t StreamLength(RedisConnection& connection, const std::string& stream);

}  // namespace referrals::testing

#endif  // TESTS_SERVICES_ROUTING_LIFECYCLE_TEST_UTIL_H_
