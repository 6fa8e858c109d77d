// Loads everything a routing decision needs (rules, postcode data, district
// table) from files, the same way for the service and for offline tools, so
// `referralctl explain` decides exactly as the running service does.
#ifndef SERVICES_ROUTING_ROUTING_DATA_H_
#define SERVICES_ROUTING_ROUTING_DATA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/domain/rules_catalog.h"
#include "common/domain/rules_config.h"
#include "services/routing/routing_engine.h"
#include "services/triage/triage_rules.h"

namespace referrals {

struct RoutingDataPaths {
  // Rules: one text RoutingConfig file, or a directory of them (one per
  // version; see RulesCatalog::Load).
  std::string rules;
  std::string postcode_sectors;   // the project's sector table
  // Unit-level data (ONSPD, NSPL or Code-Point Open; a file or a directory,
  // see PostcodeDirectory::Create); empty for sector level only.
  std::string postcode_data;
  std::string local_authorities;  // GSS district table
};

// The unit-level postcode data to load: `flag` (--postcode_data) when not
// empty, else $REFERRALS_POSTCODE_DATA, else empty (sector level only). The
// same rule for the service and referralctl.
std::string PostcodeDataPath(const std::string& flag);

struct RoutingData {
  std::shared_ptr<const RulesCatalog> rules;  // every version
  // The version in force at load time; what location lookups without a
  // referral (ResolveLocation, referralctl resolve) judge by.
  std::shared_ptr<const RulesConfig> config;
  std::shared_ptr<const TriageRules> triage;
  std::shared_ptr<const RoutingEngine> engine;
};

// Loads and validates every file. Errors name the file and the problem
// (NOT_FOUND, INVALID_ARGUMENT).
// `now` picks `config`.
absl::StatusOr<RoutingData> LoadRoutingData(const RoutingDataPaths& paths,
                                            absl::Time now = absl::Now());

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_DATA_H_
