// What a referrer is told about their referral (ReferralOutcome), built from
// the stored record. Pure, so every front door (gRPC, the HTTP portal) gives
// the same answer.
//
// The outcome names teams and authorities, gives every signpost and the
// reject reason code, and leaves out everything internal or personal: the
// referral's content, the history's summaries and rules, the actors' names,
// comments and redirect reasons, leases.
#ifndef SERVICES_ROUTING_REFERRAL_OUTCOME_H_
#define SERVICES_ROUTING_REFERRAL_OUTCOME_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "referrals/v1/lifecycle.pb.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

// A queue's team as the referrer should see it.
struct QueueTeamNames {
  std::string team_name;
  std::string authority_name;  // empty for manual triage and out of area
};

// Names for a queue; for an unknown queue, return the queue id as team_name.
using QueueNamer = std::function<QueueTeamNames(absl::string_view queue)>;

// Builds the outcome of `record` (as LifecycleStore::Get returns it, with
// its history oldest first). Steps: RECEIVED (received_time), ROUTED (the
// routing history step, naming the decision's team), then one per lifecycle
// history step in order. The current team follows the last redirect.
// Signposts are the decision's (with contacts), or triage's before routing.
referrals::v1::ReferralOutcome BuildReferralOutcome(const referrals::v1::ReferralRecord& record,
                                                    const QueueNamer& namer);

}  // namespace referrals

#endif  // SERVICES_ROUTING_REFERRAL_OUTCOME_H_
