// LifecycleStore against a real Redis: each transition's checks and effects
// on the record, history, lifecycle stream and worklists.
#include "services/routing/lifecycle_store.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/lifecycle.pb.h"
#include "services/routing/lifecycle_keys.h"
#include "tests/services/routing/lifecycle_test_util.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::SeedReferral;
using referrals::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1700003600);

class LifecycleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = referrals::testing::ConnectToTestRedis();
    ASSERT_NE(connection_, nullptr);
    rules_ = referrals::testing::TestRules();
    ASSERT_NE(rules_, nullptr);
    store_ = std::make_unique<LifecycleStore>(keys_, rules_);
  }

  void Seed(const std::string& id,
            referrals::v1::RoutingOutcome outcome = referrals::v1::ROUTING_OUTCOME_TEAM) {
    SeedReferral seed;
    seed.referral_id = id;
    seed.outcome = outcome;
    if (outcome == referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE) seed.queue = "manual-triage";
    ASSERT_THAT(referrals::testing::SeedRoutedReferral(*connection_, keys_, seed), IsOk());
  }

  TransitionRequest Request(const std::string& id, referrals::v1::LifecycleAction action) {
    TransitionRequest request;
    request.referral_id = id;
    request.action = action;
    request.actor = "worker.synthetic@example.org";
    return request;
  }

  bool OnWorklist(const std::string& queue, const std::string& id) {
    absl::StatusOr<RedisReply> reply =
        connection_->Command({"ZSCORE", WorklistKey(keys_, queue), id});
    return reply.ok() && !reply->is_nil();
  }

  Keys keys_{referrals::testing::UniqueKeyPrefix()};
  std::unique_ptr<RedisConnection> connection_;
  std::shared_ptr<const RulesConfig> rules_;
  std::unique_ptr<LifecycleStore> store_;
};

TEST_F(LifecycleStoreTest, RoutingCommitPutsTheReferralOnItsWorklist) {
  Seed("r1");
  EXPECT_TRUE(OnWorklist("ecc-north-east", "r1"));
  absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->queue(), "ecc-north-east");
  EXPECT_EQ(record->etag(), 1);
  EXPECT_EQ(record->status(), referrals::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_THAT(
      record->allowed_actions(),
      ElementsAre(referrals::v1::LIFECYCLE_ACTION_ACCEPT, referrals::v1::LIFECYCLE_ACTION_REDIRECT,
                  referrals::v1::LIFECYCLE_ACTION_REJECT, referrals::v1::LIFECYCLE_ACTION_CANCEL));
}

TEST_F(LifecycleStoreTest, AcceptRecordsWhoAndWhenAndLeavesTheWorklist) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT);
  request.etag = 1;
  absl::StatusOr<TransitionResult> result = store_->Transition(*connection_, request, kNow);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->status, referrals::v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(result->etag, 2);
  EXPECT_FALSE(OnWorklist("ecc-north-east", "r1"));

  absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->accepted_by(), "worker.synthetic@example.org");
  EXPECT_EQ(record->accepted_time().seconds(), absl::ToUnixSeconds(kNow));
  const referrals::v1::StageEntry& last = *record->history().rbegin();
  EXPECT_EQ(last.stage(), referrals::v1::STAGE_LIFECYCLE);
  EXPECT_EQ(last.action(), referrals::v1::LIFECYCLE_ACTION_ACCEPT);
  EXPECT_EQ(last.actor(), "worker.synthetic@example.org");
  EXPECT_EQ(referrals::testing::StreamLength(*connection_, LifecycleStream(keys_)), 1);
}

TEST_F(LifecycleStoreTest, TheAuthenticatedCallerIsRecordedBesideTheActor) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT);
  request.caller_id = "ecc-duty-system";
  ASSERT_THAT(store_->Transition(*connection_, request, kNow), IsOk());
  absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  const referrals::v1::StageEntry& last = *record->history().rbegin();
  EXPECT_EQ(last.actor(), "worker.synthetic@example.org");
  EXPECT_EQ(last.caller_id(), "ecc-duty-system");
  // Earlier stages (routing's commit) carry none.
  EXPECT_EQ(record->history(0).caller_id(), "");
}

TEST_F(LifecycleStoreTest, StaleEtagIsAbortedAndChangesNothing) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT);
  request.etag = 7;
  EXPECT_THAT(store_->Transition(*connection_, request, kNow),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("stale")));
  EXPECT_TRUE(OnWorklist("ecc-north-east", "r1"));
  EXPECT_EQ(referrals::testing::StreamLength(*connection_, LifecycleStream(keys_)), 0);
}

TEST_F(LifecycleStoreTest, ActionTheStatusDoesNotAllowNamesBoth) {
  Seed("r1");
  EXPECT_THAT(store_->Transition(*connection_,
                                 Request("r1", referrals::v1::LIFECYCLE_ACTION_COMPLETE), kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("referral is ROUTED: cannot complete")));
}

TEST_F(LifecycleStoreTest, UnknownReferralIsNotFound) {
  EXPECT_THAT(store_->Transition(*connection_,
                                 Request("missing", referrals::v1::LIFECYCLE_ACTION_ACCEPT), kNow),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(LifecycleStoreTest, RedirectToAnUnknownQueueIsFailedPrecondition) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_REDIRECT);
  request.to_queue = "no-such-queue";
  EXPECT_THAT(store_->Transition(*connection_, request, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no-such-queue")));
  request.to_queue = "out-of-area";
  EXPECT_THAT(store_->Transition(*connection_, request, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  request.to_queue = "ecc-north-east";
  EXPECT_THAT(store_->Transition(*connection_, request, kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already")));
}

TEST_F(LifecycleStoreTest, RedirectMovesBetweenWorklistsAndKeepsAwaitingAcceptance) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_REDIRECT);
  request.to_queue = "southend-front-door";
  request.comment = "Harm happened in Southend";
  ASSERT_THAT(store_->Transition(*connection_, request, kNow), IsOk());
  EXPECT_FALSE(OnWorklist("ecc-north-east", "r1"));
  EXPECT_TRUE(OnWorklist("southend-front-door", "r1"));
  absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->status(), referrals::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_EQ(record->queue(), "southend-front-door");
  const referrals::v1::StageEntry& last = *record->history().rbegin();
  EXPECT_EQ(last.from_queue(), "ecc-north-east");
  EXPECT_EQ(last.to_queue(), "southend-front-door");
  EXPECT_EQ(last.comment(), "Harm happened in Southend");
  // A later transition finds it on its new worklist.
  ASSERT_THAT(
      store_->Transition(*connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT), kNow),
      IsOk());
  EXPECT_FALSE(OnWorklist("southend-front-door", "r1"));
}

TEST_F(LifecycleStoreTest, RejectKeepsTheCodeAndTheCommentOnTheRecordOnly) {
  Seed("r1");
  TransitionRequest request = Request("r1", referrals::v1::LIFECYCLE_ACTION_REJECT);
  request.reject_reason = referrals::v1::REJECT_REASON_DUPLICATE;
  request.comment = "Same as the one Synthetic Person's GP sent";
  ASSERT_THAT(store_->Transition(*connection_, request, kNow), IsOk());
  absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(*connection_, "r1");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->status(), referrals::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(record->reject_reason(), referrals::v1::REJECT_REASON_DUPLICATE);
  EXPECT_TRUE(record->allowed_actions().empty());
  EXPECT_EQ(record->history().rbegin()->comment(), request.comment);
  // The lifecycle event carries the code, not the comment.
  absl::StatusOr<RedisReply> events =
      connection_->Command({"XRANGE", LifecycleStream(keys_), "-", "+"});
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->elements.size(), 1u);
  const std::string& payload = events->elements[0].elements[1].elements[3].str;
  referrals::v1::LifecycleEvent event;
  ASSERT_TRUE(event.ParseFromString(payload));
  EXPECT_EQ(event.reject_reason(), referrals::v1::REJECT_REASON_DUPLICATE);
  EXPECT_THAT(payload, Not(HasSubstr("Synthetic Person")));
}

TEST_F(LifecycleStoreTest, AcceptThenCompleteThenNothingMore) {
  Seed("r1");
  ASSERT_THAT(
      store_->Transition(*connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT), kNow),
      IsOk());
  absl::StatusOr<TransitionResult> completed = store_->Transition(
      *connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_COMPLETE), kNow);
  ASSERT_THAT(completed, IsOk());
  EXPECT_EQ(completed->status, referrals::v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_THAT(
      store_->Transition(*connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_CANCEL), kNow),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("COMPLETED")));
}

TEST_F(LifecycleStoreTest, ManualTriageCanBeRedirectedOrCancelledButNotAccepted) {
  Seed("m1", referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE);
  Seed("m2", referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE);
  EXPECT_TRUE(OnWorklist("manual-triage", "m1"));
  EXPECT_THAT(
      store_->Transition(*connection_, Request("m1", referrals::v1::LIFECYCLE_ACTION_ACCEPT), kNow),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("MANUAL_TRIAGE")));
  TransitionRequest redirect = Request("m1", referrals::v1::LIFECYCLE_ACTION_REDIRECT);
  redirect.to_queue = "ecc-mid";
  redirect.comment = "Checked the address";
  absl::StatusOr<TransitionResult> moved = store_->Transition(*connection_, redirect, kNow);
  ASSERT_THAT(moved, IsOk());
  EXPECT_EQ(moved->status, referrals::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_TRUE(OnWorklist("ecc-mid", "m1"));
  absl::StatusOr<TransitionResult> cancelled =
      store_->Transition(*connection_, Request("m2", referrals::v1::LIFECYCLE_ACTION_CANCEL), kNow);
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->status, referrals::v1::REFERRAL_STATUS_CANCELLED);
  EXPECT_FALSE(OnWorklist("manual-triage", "m2"));
}

TEST_F(LifecycleStoreTest, ALiveLeaseOfAnotherClaimerBlocksAcceptButNotCancel) {
  Seed("r1");
  ASSERT_THAT(connection_->Command({"HSET", keys_.Referral("r1"), kFieldLeaseHolder, "someone-else",
                                    kFieldLeaseUntilMs,
                                    absl::StrCat(absl::ToUnixMillis(kNow + absl::Minutes(5)))}),
              IsOk());
  EXPECT_THAT(
      store_->Transition(*connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT), kNow),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lease")));
  // Once it has expired, anyone may.
  EXPECT_THAT(
      store_->Transition(*connection_, Request("r1", referrals::v1::LIFECYCLE_ACTION_ACCEPT),
                         kNow + absl::Minutes(6)),
      IsOk());
  Seed("r2");
  ASSERT_THAT(connection_->Command({"HSET", keys_.Referral("r2"), kFieldLeaseHolder, "someone-else",
                                    kFieldLeaseUntilMs,
                                    absl::StrCat(absl::ToUnixMillis(kNow + absl::Minutes(5)))}),
              IsOk());
  EXPECT_THAT(
      store_->Transition(*connection_, Request("r2", referrals::v1::LIFECYCLE_ACTION_CANCEL), kNow),
      IsOk());
}

TEST_F(LifecycleStoreTest, RequestIdFindsTheReferral) {
  Seed("r1");
  EXPECT_THAT(store_->ReferralIdForRequest(*connection_, "req-r1"), IsOk());
  EXPECT_EQ(*store_->ReferralIdForRequest(*connection_, "req-r1"), "r1");
  EXPECT_THAT(store_->ReferralIdForRequest(*connection_, "req-nope"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace referrals
