// RetentionSweeper against a real Redis, with the time passed in: a closed
// referral loses its personal data once the period has passed (the routing
// record and history stay), an open one and a recently closed one keep it,
// and sweeping twice (as two replicas would) purges once.
#include "services/routing/retention_sweeper.h"

#include <memory>
#include <string>

#include "common/crypto/referral_sealing.h"
#include "common/pipeline/record_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/lifecycle_store.h"
#include "tests/services/routing/lifecycle_test_util.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::SeedReferral;
using referrals::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kClosed = absl::FromUnixSeconds(1750000000);
const absl::Duration kRetention = absl::Hours(24) * 30;

class RetentionSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = referrals::testing::ConnectToTestRedis();
    ASSERT_NE(connection_, nullptr);
    absl::StatusOr<std::unique_ptr<DataKeyring>> keyring = DataKeyring::Parse(
        "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "test");
    ASSERT_THAT(keyring, IsOk());
    keyring_ = *std::move(keyring);
    lifecycle_ = std::make_unique<LifecycleStore>(keys_, referrals::testing::TestRules(), keyring_);
  }

  // A routed referral whose record holds a sealed referral, as intake
  // writes it.
  void Seed(const std::string& id) {
    SeedReferral seed;
    seed.referral_id = id;
    ASSERT_THAT(referrals::testing::SeedRoutedReferral(*connection_, keys_, seed), IsOk());
    referrals::v1::Referral referral;
    referral.mutable_adult()->set_given_name("Perpetua");
    const std::string sealed = SealReferral(*keyring_, id, referral).SerializeAsString();
    ASSERT_THAT(connection_->Command({"HSET", keys_.Referral(id), kFieldSealedReferral, sealed}),
                IsOk());
    ASSERT_THAT(connection_->Command({"HDEL", keys_.Referral(id), kFieldReferral}), IsOk());
  }

  void Act(const std::string& id, referrals::v1::LifecycleAction action, absl::Time at,
           const std::string& comment = "") {
    TransitionRequest request;
    request.referral_id = id;
    request.action = action;
    request.actor = "Staff Member Name";
    request.comment = comment;
    if (action == referrals::v1::LIFECYCLE_ACTION_REJECT) {
      request.reject_reason = referrals::v1::REJECT_REASON_OTHER;
    }
    ASSERT_THAT(lifecycle_->Transition(*connection_, request, at), IsOk());
  }

  referrals::v1::ReferralRecord Read(const std::string& id) {
    absl::StatusOr<referrals::v1::ReferralRecord> record =
        ReadReferralRecord(*connection_, keys_, id, keyring_.get());
    EXPECT_THAT(record, IsOk());
    return record.ok() ? *record : referrals::v1::ReferralRecord();
  }

  Keys keys_{referrals::testing::UniqueKeyPrefix()};
  std::unique_ptr<RedisConnection> connection_;
  std::shared_ptr<const DataKeyring> keyring_;
  std::unique_ptr<LifecycleStore> lifecycle_;
  RetentionSweeper sweeper_{keys_, kRetention};
};

TEST_F(RetentionSweeperTest, ClosedReferralKeepsPersonalDataUntilThePeriodEnds) {
  Seed("done");
  Act("done", referrals::v1::LIFECYCLE_ACTION_ACCEPT, kClosed - absl::Hours(2));
  Act("done", referrals::v1::LIFECYCLE_ACTION_COMPLETE, kClosed);
  absl::StatusOr<std::vector<std::string>> swept =
      sweeper_.SweepOnce(*connection_, kClosed + kRetention - absl::Seconds(1));
  ASSERT_THAT(swept, IsOk());
  EXPECT_THAT(*swept, IsEmpty());
  EXPECT_EQ(Read("done").referral().adult().given_name(), "Perpetua");
}

TEST_F(RetentionSweeperTest, PurgesClosedReferralAfterThePeriodKeepingRecordAndHistory) {
  Seed("done");
  Act("done", referrals::v1::LIFECYCLE_ACTION_ACCEPT, kClosed - absl::Hours(2));
  Act("done", referrals::v1::LIFECYCLE_ACTION_COMPLETE, kClosed);
  const referrals::v1::ReferralRecord before = Read("done");
  ASSERT_EQ(before.accepted_by(), "Staff Member Name");

  absl::StatusOr<std::vector<std::string>> swept =
      sweeper_.SweepOnce(*connection_, kClosed + kRetention);
  ASSERT_THAT(swept, IsOk());
  EXPECT_THAT(*swept, ElementsAre("done"));

  const referrals::v1::ReferralRecord after = Read("done");
  EXPECT_FALSE(after.has_referral());
  EXPECT_EQ(after.accepted_by(), "");
  EXPECT_EQ(after.data_key_id(), "");
  EXPECT_EQ(after.personal_data_purged_time().seconds(), absl::ToUnixSeconds(kClosed + kRetention));
  EXPECT_EQ(after.status(), referrals::v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(after.queue(), before.queue());
  EXPECT_EQ(after.decision().SerializeAsString(), before.decision().SerializeAsString());
  ASSERT_EQ(after.history_size(), before.history_size() + 1);
  for (int i = 0; i < before.history_size(); ++i) {
    EXPECT_EQ(after.history(i).action(), before.history(i).action());
    EXPECT_EQ(after.history(i).status(), before.history(i).status());
    EXPECT_EQ(after.history(i).actor(), "");
  }
  EXPECT_EQ(after.history(after.history_size() - 1).stage(), referrals::v1::STAGE_RETENTION);
  absl::StatusOr<RedisReply> raw = connection_->Command({"HGETALL", keys_.Referral("done")});
  ASSERT_THAT(raw, IsOk());
  for (const RedisReply& element : raw->elements) {
    EXPECT_NE(element.str, kFieldSealedReferral);
    EXPECT_NE(element.str, kFieldAcceptedBy);
  }
}

TEST_F(RetentionSweeperTest, RejectCommentsAndCancelledReferralsArePurgedToo) {
  Seed("rejected");
  Seed("cancelled");
  Act("rejected", referrals::v1::LIFECYCLE_ACTION_REJECT, kClosed, "Spoke to Mrs Example");
  Act("cancelled", referrals::v1::LIFECYCLE_ACTION_CANCEL, kClosed, "Referrer withdrew");
  absl::StatusOr<std::vector<std::string>> swept =
      sweeper_.SweepOnce(*connection_, kClosed + kRetention + absl::Hours(1));
  ASSERT_THAT(swept, IsOk());
  EXPECT_THAT(*swept, ::testing::UnorderedElementsAre("rejected", "cancelled"));
  for (const std::string id : {"rejected", "cancelled"}) {
    const referrals::v1::ReferralRecord after = Read(id);
    EXPECT_TRUE(after.has_personal_data_purged_time()) << id;
    for (const auto& entry : after.history()) {
      EXPECT_EQ(entry.comment(), "") << id;
      EXPECT_EQ(entry.actor(), "") << id;
    }
  }
}

TEST_F(RetentionSweeperTest, OpenReferralIsNeverPurged) {
  Seed("open");
  Act("open", referrals::v1::LIFECYCLE_ACTION_ACCEPT, kClosed);
  absl::StatusOr<std::vector<std::string>> swept =
      sweeper_.SweepOnce(*connection_, kClosed + kRetention * 10);
  ASSERT_THAT(swept, IsOk());
  EXPECT_THAT(*swept, IsEmpty());
  EXPECT_EQ(Read("open").referral().adult().given_name(), "Perpetua");
  EXPECT_THAT(
      sweeper_.PurgeReferral(*connection_, "open", kClosed + kRetention * 10, absl::ZeroDuration()),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RetentionSweeperTest, TwoSweepsPurgeOnce) {
  Seed("done");
  Act("done", referrals::v1::LIFECYCLE_ACTION_ACCEPT, kClosed);
  Act("done", referrals::v1::LIFECYCLE_ACTION_COMPLETE, kClosed);
  RetentionSweeper other_replica(keys_, kRetention);
  const absl::Time now = kClosed + kRetention + absl::Minutes(5);
  absl::StatusOr<std::vector<std::string>> first = sweeper_.SweepOnce(*connection_, now);
  absl::StatusOr<std::vector<std::string>> second = other_replica.SweepOnce(*connection_, now);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(*first, ElementsAre("done"));
  EXPECT_THAT(*second, IsEmpty());
  ASSERT_OK_AND_ASSIGN(bool purged_again,
                       sweeper_.PurgeReferral(*connection_, "done", now, absl::ZeroDuration()));
  EXPECT_FALSE(purged_again);
  const referrals::v1::ReferralRecord after = Read("done");
  int retention_steps = 0;
  for (const auto& entry : after.history()) {
    retention_steps += entry.stage() == referrals::v1::STAGE_RETENTION;
  }
  EXPECT_EQ(retention_steps, 1);
}

TEST_F(RetentionSweeperTest, PurgeNowRefusesRecentlyClosedUnlessAskedForAnyAge) {
  Seed("done");
  Act("done", referrals::v1::LIFECYCLE_ACTION_ACCEPT, kClosed);
  Act("done", referrals::v1::LIFECYCLE_ACTION_COMPLETE, kClosed);
  EXPECT_THAT(sweeper_.PurgeReferral(*connection_, "done", kClosed + absl::Hours(1), kRetention),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(
      bool purged,
      sweeper_.PurgeReferral(*connection_, "done", kClosed + absl::Hours(1), absl::ZeroDuration()));
  EXPECT_TRUE(purged);
  EXPECT_THAT(sweeper_.PurgeReferral(*connection_, "missing", kClosed, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace referrals
