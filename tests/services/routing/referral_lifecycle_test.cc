#include "services/routing/referral_lifecycle.h"

#include <map>
#include <tuple>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using referrals::v1::LifecycleAction;
using referrals::v1::ReferralStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr ReferralStatus kRouted = referrals::v1::REFERRAL_STATUS_ROUTED;
constexpr ReferralStatus kManual = referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE;
constexpr ReferralStatus kAccepted = referrals::v1::REFERRAL_STATUS_ACCEPTED;
constexpr ReferralStatus kRejected = referrals::v1::REFERRAL_STATUS_REJECTED;
constexpr ReferralStatus kCompleted = referrals::v1::REFERRAL_STATUS_COMPLETED;
constexpr ReferralStatus kCancelled = referrals::v1::REFERRAL_STATUS_CANCELLED;
constexpr LifecycleAction kAccept = referrals::v1::LIFECYCLE_ACTION_ACCEPT;
constexpr LifecycleAction kRedirect = referrals::v1::LIFECYCLE_ACTION_REDIRECT;
constexpr LifecycleAction kReject = referrals::v1::LIFECYCLE_ACTION_REJECT;
constexpr LifecycleAction kComplete = referrals::v1::LIFECYCLE_ACTION_COMPLETE;
constexpr LifecycleAction kCancel = referrals::v1::LIFECYCLE_ACTION_CANCEL;

// The whole table, written out independently of the implementation.
const std::map<std::pair<ReferralStatus, LifecycleAction>, ReferralStatus>& Expected() {
  static const auto* table =
      new std::map<std::pair<ReferralStatus, LifecycleAction>, ReferralStatus>{
          {{kRouted, kAccept}, kAccepted},  {{kRouted, kRedirect}, kRouted},
          {{kRouted, kReject}, kRejected},  {{kRouted, kCancel}, kCancelled},
          {{kManual, kRedirect}, kRouted},  {{kManual, kReject}, kRejected},
          {{kManual, kCancel}, kCancelled}, {{kAccepted, kComplete}, kCompleted},
      };
  return *table;
}

TEST(ReferralLifecycle, EveryStatusAndActionPairFollowsTheTable) {
  int allowed = 0;
  for (int s = referrals::v1::ReferralStatus_MIN; s <= referrals::v1::ReferralStatus_MAX; ++s) {
    for (int a = referrals::v1::LifecycleAction_MIN + 1; a <= referrals::v1::LifecycleAction_MAX;
         ++a) {
      const auto status = static_cast<ReferralStatus>(s);
      const auto action = static_cast<LifecycleAction>(a);
      absl::StatusOr<ReferralStatus> next = NextStatus(status, action);
      auto it = Expected().find({status, action});
      if (it == Expected().end()) {
        ASSERT_FALSE(next.ok()) << StatusName(status) << " " << ActionName(action);
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(next.status().message(), HasSubstr(StatusName(status)));
        EXPECT_THAT(next.status().message(), HasSubstr(ActionName(action)));
      } else {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, it->second) << StatusName(status) << " " << ActionName(action);
        ++allowed;
      }
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(Expected().size()));
}

TEST(ReferralLifecycle, AllowedActionsMatchTheTable) {
  EXPECT_THAT(AllowedActions(kRouted), ElementsAre(kAccept, kRedirect, kReject, kCancel));
  EXPECT_THAT(AllowedActions(kManual), ElementsAre(kRedirect, kReject, kCancel));
  EXPECT_THAT(AllowedActions(kAccepted), ElementsAre(kComplete));
}

TEST(ReferralLifecycle, FinalAndPipelineStatusesAllowNothing) {
  for (ReferralStatus status :
       {referrals::v1::REFERRAL_STATUS_UNSPECIFIED, referrals::v1::REFERRAL_STATUS_RECEIVED,
        referrals::v1::REFERRAL_STATUS_TRIAGED, referrals::v1::REFERRAL_STATUS_OUT_OF_AREA,
        kRejected, kCompleted, kCancelled}) {
    EXPECT_THAT(AllowedActions(status), IsEmpty()) << StatusName(status);
  }
}

TEST(ReferralLifecycle, StatusesAllowingIsTheInverseOfTheTable) {
  EXPECT_THAT(StatusesAllowing(kAccept), ElementsAre(kRouted));
  EXPECT_THAT(StatusesAllowing(kRedirect), ElementsAre(kRouted, kManual));
  EXPECT_THAT(StatusesAllowing(kReject), ElementsAre(kRouted, kManual));
  EXPECT_THAT(StatusesAllowing(kComplete), ElementsAre(kAccepted));
  EXPECT_THAT(StatusesAllowing(kCancel), ElementsAre(kRouted, kManual));
}

TEST(ReferralLifecycle, RefusalNamesTheStatusTheActionAndWhatIsAllowed) {
  absl::StatusOr<ReferralStatus> next = NextStatus(kAccepted, kReject);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().message(), "referral is ACCEPTED: cannot reject (allowed now: complete)");
  next = NextStatus(kCompleted, kCancel);
  ASSERT_FALSE(next.ok());
  EXPECT_THAT(next.status().message(), HasSubstr("allowed now: none"));
}

TEST(ReferralLifecycle, UnspecifiedActionIsInvalidArgument) {
  EXPECT_EQ(NextStatus(kRouted, referrals::v1::LIFECYCLE_ACTION_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReferralLifecycle, AwaitingActionMeansOnAWorklist) {
  EXPECT_TRUE(IsAwaitingAction(kRouted));
  EXPECT_TRUE(IsAwaitingAction(kManual));
  EXPECT_FALSE(IsAwaitingAction(kAccepted));
  EXPECT_FALSE(IsAwaitingAction(referrals::v1::REFERRAL_STATUS_OUT_OF_AREA));
}

}  // namespace
}  // namespace referrals
