#include "services/routing/referral_lifecycle.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace referrals {
namespace {

using referrals::v1::LifecycleAction;
using referrals::v1::ReferralStatus;

// The one table; everything else derives from it.
std::optional<ReferralStatus> Lookup(ReferralStatus from, LifecycleAction action) {
  switch (from) {
    case referrals::v1::REFERRAL_STATUS_ROUTED:
      switch (action) {
        case referrals::v1::LIFECYCLE_ACTION_ACCEPT:
          return referrals::v1::REFERRAL_STATUS_ACCEPTED;
        case referrals::v1::LIFECYCLE_ACTION_REDIRECT:
          return referrals::v1::REFERRAL_STATUS_ROUTED;
        case referrals::v1::LIFECYCLE_ACTION_REJECT:
          return referrals::v1::REFERRAL_STATUS_REJECTED;
        case referrals::v1::LIFECYCLE_ACTION_CANCEL:
          return referrals::v1::REFERRAL_STATUS_CANCELLED;
        default:
          return std::nullopt;
      }
    case referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE:
      switch (action) {
        case referrals::v1::LIFECYCLE_ACTION_REDIRECT:
          return referrals::v1::REFERRAL_STATUS_ROUTED;
        case referrals::v1::LIFECYCLE_ACTION_REJECT:
          return referrals::v1::REFERRAL_STATUS_REJECTED;
        case referrals::v1::LIFECYCLE_ACTION_CANCEL:
          return referrals::v1::REFERRAL_STATUS_CANCELLED;
        default:
          return std::nullopt;
      }
    case referrals::v1::REFERRAL_STATUS_ACCEPTED:
      if (action == referrals::v1::LIFECYCLE_ACTION_COMPLETE) {
        return referrals::v1::REFERRAL_STATUS_COMPLETED;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string WithoutPrefix(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

}  // namespace

std::vector<LifecycleAction> AllowedActions(ReferralStatus status) {
  std::vector<LifecycleAction> actions;
  for (int a = referrals::v1::LifecycleAction_MIN; a <= referrals::v1::LifecycleAction_MAX; ++a) {
    if (!referrals::v1::LifecycleAction_IsValid(a)) continue;
    const auto action = static_cast<LifecycleAction>(a);
    if (Lookup(status, action).has_value()) actions.push_back(action);
  }
  return actions;
}

absl::StatusOr<ReferralStatus> NextStatus(ReferralStatus status, LifecycleAction action) {
  if (action == referrals::v1::LIFECYCLE_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError("no lifecycle action given");
  }
  std::optional<ReferralStatus> next = Lookup(status, action);
  if (!next.has_value()) {
    std::vector<std::string> allowed;
    for (LifecycleAction a : AllowedActions(status)) allowed.push_back(ActionName(a));
    return absl::FailedPreconditionError(absl::StrCat(
        "referral is ", StatusName(status), ": cannot ", ActionName(action),
        " (allowed now: ", allowed.empty() ? "none" : absl::StrJoin(allowed, ", "), ")"));
  }
  return *next;
}

std::vector<ReferralStatus> StatusesAllowing(LifecycleAction action) {
  std::vector<ReferralStatus> statuses;
  for (int s = referrals::v1::ReferralStatus_MIN; s <= referrals::v1::ReferralStatus_MAX; ++s) {
    if (!referrals::v1::ReferralStatus_IsValid(s)) continue;
    const auto status = static_cast<ReferralStatus>(s);
    if (Lookup(status, action).has_value()) statuses.push_back(status);
  }
  return statuses;
}

bool IsAwaitingAction(ReferralStatus status) {
  return status == referrals::v1::REFERRAL_STATUS_ROUTED ||
         status == referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE;
}

std::string ActionName(LifecycleAction action) {
  return absl::AsciiStrToLower(
      WithoutPrefix(referrals::v1::LifecycleAction_Name(action), "LIFECYCLE_ACTION_"));
}

std::string StatusName(ReferralStatus status) {
  return WithoutPrefix(referrals::v1::ReferralStatus_Name(status), "REFERRAL_STATUS_");
}

bool IsFinal(referrals::v1::ReferralStatus status) {
  return status == referrals::v1::REFERRAL_STATUS_REJECTED ||
         status == referrals::v1::REFERRAL_STATUS_COMPLETED ||
         status == referrals::v1::REFERRAL_STATUS_CANCELLED;
}

}  // namespace referrals
