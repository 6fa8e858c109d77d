// `referralctl replay`: re-decides referrals (stored ones, or files of them)
// under another rules or postcode data version and reports what would
// change: counts per old -> new queue, and for each referral whose outcome,
// queue or authority changes, the old and new route and the rule that made
// the difference. Ids and routing facts only: names, addresses, postcodes,
// free text and rule details (which can hold postcodes) are never printed.
#ifndef TOOLS_REFERRALCTL_REPLAY_H_
#define TOOLS_REFERRALCTL_REPLAY_H_

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/decision.pb.h"
#include "services/routing/routing_data.h"

namespace referrals {

// Where a decision changed: the first rule in the new decision's rules whose
// id is not the one at the same position in the old decision's. When every
// new rule id matches, the first one whose detail differs (same rule, other
// result, e.g. a team rule now naming another team); else the first old rule
// the new decision no longer has. Ids only.
struct RuleDifference {
  enum class Kind {
    kNone,          // identical rule ids and details
    kOtherRule,     // `rule_id` is new at this position; `was` the old one ("" if none)
    kOtherDetail,   // same `rule_id` at this position, another detail
    kDropped,       // the new rules are a prefix of the old; `was` is the first old one missing
  };
  Kind kind = Kind::kNone;
  std::string rule_id;
  std::string was;
};
RuleDifference RuleThatDiffers(const referrals::v1::RoutingDecision& before,
                               const referrals::v1::RoutingDecision& after);

// True when the outcome, the queue or the authority differs.
bool RouteChanged(const referrals::v1::RoutingDecision& before,
                  const referrals::v1::RoutingDecision& after);

// "TEAM ecc-icels ESSEX rules 2026.11-1"; "-" for no authority.
std::string RouteSummary(const referrals::v1::RoutingDecision& decision);

// Collects old/new decision pairs and prints the report.
class ReplayReport {
 public:
  // `id`: the referral id, or for a file its name. Only ids and routing
  // facts of the two decisions are kept.
  void Add(const std::string& id, const referrals::v1::RoutingDecision& before,
           const referrals::v1::RoutingDecision& after);

  // The counts table ("OLD QUEUE -> NEW QUEUE  COUNT", unchanged rows
  // marked), then one line per referral whose route changed, in the order
  // added:
  //   ID  OLD ROUTE  ->  NEW ROUTE  by [rule.id] (was [old.rule.id])
  std::string Format() const;

  int referrals() const { return referrals_; }
  int changed() const { return static_cast<int>(changed_.size()); }
  // Count per (old queue, new queue).
  const std::map<std::pair<std::string, std::string>, int>& counts() const { return counts_; }

 private:
  int referrals_ = 0;
  std::map<std::pair<std::string, std::string>, int> counts_;
  std::vector<std::string> changed_;  // formatted lines
};

// Ids of every referral record under `keys` (SCAN of "<prefix>referral:*",
// history lists left out), sorted. Errors: Redis errors.
absl::StatusOr<std::vector<std::string>> StoredReferralIds(RedisConnection& connection,
                                                           const Keys& keys);

// Triage then routing for `referral`, received at `received`, under `data`:
// what the running services would decide with that data. `now` is the
// decision time.
referrals::v1::RoutingDecision DecideOffline(const RoutingData& data,
                                             const referrals::v1::Referral& referral,
                                             absl::Time received, absl::Time now);

struct ReplayOptions {
  // The new data: what the referrals are re-decided with.
  RoutingDataPaths new_paths;
  // Files mode: the old data, and the files (each one referral in protobuf
  // JSON). Both decisions are made as if received at `as_at` (default now).
  RoutingDataPaths old_paths;
  std::vector<std::string> files;
  std::optional<absl::Time> as_at;
  // Stored mode (no files): the Redis server and key prefix. The old
  // decision is the stored one; the new one is made at the record's
  // received_time. Referrals not yet routed are skipped (counted on stderr).
  RedisOptions redis;
  std::string redis_prefix = "referrals:";
  // Stored mode: the data key file that opens the stored referrals (issue
  // 8); empty: only referrals stored in clear can be replayed.
  std::string data_key_file;
};

// Runs the replay, report to `out`, problems to `err`. Returns 0 on success,
// 1 when the data or any referral failed to load (the others are still
// reported).
int RunReplay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace referrals

#endif  // TOOLS_REFERRALCTL_REPLAY_H_
