// OverdueSweeper against a real Redis, with the time passed in: referrals
// past their respond-by time are flagged and escalated exactly once.
#include "services/routing/overdue_sweeper.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/lifecycle_store.h"
#include "services/routing/worklist_store.h"
#include "tests/services/routing/lifecycle_test_util.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::SeedReferral;

const absl::Time kReceived = absl::FromUnixSeconds(1700000000);
const absl::Time kRespondBy = kReceived + absl::Hours(1);

class OverdueSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = referrals::testing::ConnectToTestRedis();
    ASSERT_NE(connection_, nullptr);
  }

  void Seed(const std::string& id, std::optional<absl::Time> respond_by) {
    SeedReferral seed;
    seed.referral_id = id;
    seed.priority = referrals::v1::PRIORITY_URGENT;
    seed.received = kReceived;
    seed.respond_by = respond_by;
    ASSERT_THAT(referrals::testing::SeedRoutedReferral(*connection_, keys_, seed), IsOk());
  }

  Keys keys_{referrals::testing::UniqueKeyPrefix()};
  std::unique_ptr<RedisConnection> connection_;
  OverdueSweeper sweeper_{keys_};
  WorklistStore worklists_{keys_};
};

TEST_F(OverdueSweeperTest, NothingIsFlaggedBeforeTheRespondByTime) {
  Seed("r1", kRespondBy);
  absl::StatusOr<int> swept = sweeper_.SweepOnce(*connection_, kRespondBy - absl::Seconds(1));
  ASSERT_THAT(swept, IsOk());
  EXPECT_EQ(*swept, 0);
  EXPECT_EQ(referrals::testing::StreamLength(*connection_, EscalationsStream(keys_)), 0);
}

TEST_F(OverdueSweeperTest, FlagsOnceAndEscalatesOnceHoweverOftenItSweeps) {
  Seed("r1", kRespondBy);
  Seed("no-target", std::nullopt);
  const absl::Time now = kRespondBy + absl::Minutes(1);
  absl::StatusOr<int> first = sweeper_.SweepOnce(*connection_, now);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, 1);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int> again = sweeper_.SweepOnce(*connection_, now + absl::Minutes(i));
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(*again, 0);
  }
  EXPECT_EQ(referrals::testing::StreamLength(*connection_, EscalationsStream(keys_)), 1);

  LifecycleStore store(keys_, referrals::testing::TestRules());
  absl::StatusOr<referrals::v1::ReferralRecord> record = store.Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  EXPECT_TRUE(record->has_overdue_time());
  EXPECT_EQ(record->history().rbegin()->stage(), referrals::v1::STAGE_ESCALATION);
  auto overdue = worklists_.ListOverdue(*connection_, 10);
  ASSERT_THAT(overdue, IsOk());
  ASSERT_EQ(overdue->size(), 1u);
  EXPECT_EQ((*overdue)[0].first, "ecc-north-east");
  EXPECT_EQ((*overdue)[0].second.referral_id(), "r1");
  EXPECT_TRUE((*overdue)[0].second.overdue());
}

TEST_F(OverdueSweeperTest, AcceptedInTimeIsNeverEscalatedAndAcceptingClearsTheOverdueList) {
  Seed("in-time", kRespondBy);
  Seed("late", kRespondBy);
  LifecycleStore store(keys_, referrals::testing::TestRules());
  TransitionRequest accept;
  accept.referral_id = "in-time";
  accept.action = referrals::v1::LIFECYCLE_ACTION_ACCEPT;
  accept.actor = "worker";
  ASSERT_THAT(store.Transition(*connection_, accept, kReceived + absl::Minutes(5)), IsOk());
  ASSERT_THAT(sweeper_.SweepOnce(*connection_, kRespondBy + absl::Minutes(1)), IsOk());
  EXPECT_EQ(referrals::testing::StreamLength(*connection_, EscalationsStream(keys_)), 1);
  accept.referral_id = "late";
  ASSERT_THAT(store.Transition(*connection_, accept, kRespondBy + absl::Minutes(2)), IsOk());
  auto overdue = worklists_.ListOverdue(*connection_, 10);
  ASSERT_THAT(overdue, IsOk());
  EXPECT_TRUE(overdue->empty());
}

}  // namespace
}  // namespace referrals
