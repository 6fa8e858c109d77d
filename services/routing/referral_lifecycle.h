// The receiving teams' state machine for a referral once it is on a queue:
// which lifecycle actions each status allows and the status each leads to.
// Pure (no gRPC, no Redis); the lifecycle store applies it atomically.
//
// The table (from -> action -> to):
//   ROUTED (awaiting acceptance)  ACCEPT -> ACCEPTED
//                                 REDIRECT -> ROUTED (on the new queue)
//                                 REJECT -> REJECTED
//                                 CANCEL -> CANCELLED
//   MANUAL_TRIAGE                 REDIRECT -> ROUTED
//                                 REJECT -> REJECTED
//                                 CANCEL -> CANCELLED
//   ACCEPTED                      COMPLETE -> COMPLETED
//   RECEIVED, TRIAGED             none (still in the pipeline)
//   OUT_OF_AREA, REJECTED, COMPLETED, CANCELLED: none (final)
#ifndef SERVICES_ROUTING_REFERRAL_LIFECYCLE_H_
#define SERVICES_ROUTING_REFERRAL_LIFECYCLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

// The actions `status` allows now, in enum order; empty for final statuses
// and for those still in the pipeline.
std::vector<referrals::v1::LifecycleAction> AllowedActions(referrals::v1::ReferralStatus status);

// The status `action` leads to from `status`. Errors: FAILED_PRECONDITION
// naming the status and the action when the table does not allow it;
// INVALID_ARGUMENT for LIFECYCLE_ACTION_UNSPECIFIED.
absl::StatusOr<referrals::v1::ReferralStatus> NextStatus(referrals::v1::ReferralStatus status,
                                                         referrals::v1::LifecycleAction action);

// Every status from which `action` is allowed, in enum order.
std::vector<referrals::v1::ReferralStatus> StatusesAllowing(referrals::v1::LifecycleAction action);

// True for the statuses in which a referral is on a worklist, awaiting a
// team's action (ROUTED, MANUAL_TRIAGE).
bool IsAwaitingAction(referrals::v1::ReferralStatus status);

// True for the final statuses: REJECTED, COMPLETED, CANCELLED (closed; what
// retention purges after its period).
bool IsFinal(referrals::v1::ReferralStatus status);

// "accept", "redirect", ... ; "unspecified".
std::string ActionName(referrals::v1::LifecycleAction action);

// "ROUTED", "ACCEPTED", ... (the enum name without its prefix).
std::string StatusName(referrals::v1::ReferralStatus status);

}  // namespace referrals

#endif  // SERVICES_ROUTING_REFERRAL_LIFECYCLE_H_
