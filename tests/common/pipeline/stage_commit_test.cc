#include "common/pipeline/stage_commit.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::StatusIs;

class StageCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = Keys(testing::UniqueKeyPrefix());
    auto connection = RedisConnection::Connect(testing::RedisOptionsFromEnv());
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
    ASSERT_THAT(
        redis_->Command({"XGROUP", "CREATE", keys_.SubmittedStream(), "triage", "0", "MKSTREAM"}),
        IsOk());
  }

  // An input entry delivered to consumer "c1", and the record intake made.
  std::string Deliver(const std::string& referral_id) {
    EXPECT_THAT(redis_->Command({"HSET", keys_.Referral(referral_id), "status", "1"}), IsOk());
    auto added = redis_->Command(
        {"XADD", keys_.SubmittedStream(), "*", "referral_id", referral_id, "event", "x"});
    EXPECT_THAT(added, IsOk());
    EXPECT_THAT(redis_->Command({"XREADGROUP", "GROUP", "triage", "c1", "COUNT", "10", "STREAMS",
                                 keys_.SubmittedStream(), ">"}),
                IsOk());
    return added->str;
  }

  StageCommit Commit(const std::string& referral_id, const std::string& entry_id) {
    StageCommit commit;
    commit.referral_id = referral_id;
    commit.stage = "triage";
    commit.input_stream = keys_.SubmittedStream();
    commit.group = "triage";
    commit.entry_id = entry_id;
    commit.status = 2;
    commit.record_field = "triage";
    commit.record_value = "result";
    commit.history_entry = "step";
    commit.outputs.push_back({keys_.TriagedStream(), "payload"});
    commit.outputs.push_back({keys_.RoutedStream(), "payload"});
    commit.counters = {"signpost:POLICE", "outcome:TEAM"};
    return commit;
  }

  int64_t Integer(std::vector<std::string_view> command) {
    auto reply = redis_->Command(command);
    EXPECT_THAT(reply, IsOk());
    return reply.ok() ? reply->integer : -1;
  }

  static CommitResult Result(const absl::StatusOr<CommitResult>& result) {
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : CommitResult::kCommitted;
  }

  Keys keys_;
  std::unique_ptr<RedisConnection> redis_;
};

TEST_F(StageCommitTest, CommitWritesOutputsRecordHistoryAndAcks) {
  const std::string entry = Deliver("R-1");
  auto result = CommitStage(*redis_, keys_, Commit("R-1", entry));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(*result, CommitResult::kCommitted);
  EXPECT_EQ(Integer({"XLEN", keys_.TriagedStream()}), 1);
  EXPECT_EQ(Integer({"XLEN", keys_.RoutedStream()}), 1);
  EXPECT_EQ(Integer({"LLEN", keys_.History("R-1")}), 1);
  auto police = redis_->Command({"HGET", keys_.Counters(), "signpost:POLICE"});
  EXPECT_EQ(police->str, "1");
  auto status = redis_->Command({"HGET", keys_.Referral("R-1"), "status"});
  EXPECT_EQ(status->str, "2");
  auto pending = redis_->Command({"XPENDING", keys_.SubmittedStream(), "triage"});
  EXPECT_EQ(pending->elements[0].integer, 0);
}

// A crash between the commit and the ack's reply means the entry is
// delivered again: the second commit must change nothing.
TEST_F(StageCommitTest, SecondCommitForTheSameReferralWritesNothing) {
  const std::string first = Deliver("R-2");
  ASSERT_THAT(CommitStage(*redis_, keys_, Commit("R-2", first)), IsOk());
  // Same referral, delivered again under another entry id (e.g. replayed).
  const std::string second = Deliver("R-2");
  auto result = CommitStage(*redis_, keys_, Commit("R-2", second));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(*result, CommitResult::kAlreadyCommitted);
  EXPECT_EQ(Integer({"XLEN", keys_.TriagedStream()}), 1);
  EXPECT_EQ(Integer({"LLEN", keys_.History("R-2")}), 1);
  auto counted = redis_->Command({"HGET", keys_.Counters(), "outcome:TEAM"});
  EXPECT_EQ(counted->str, "1");  // counted once, not per delivery
  auto pending = redis_->Command({"XPENDING", keys_.SubmittedStream(), "triage"});
  EXPECT_EQ(pending->elements[0].integer, 0);
}

TEST_F(StageCommitTest, CommitWithoutARecordIsFailedPreconditionAndWritesNothing) {
  auto added =
      redis_->Command({"XADD", keys_.SubmittedStream(), "*", "referral_id", "R-404", "event", "x"});
  ASSERT_THAT(added, IsOk());
  EXPECT_THAT(CommitStage(*redis_, keys_, Commit("R-404", added->str)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Integer({"XLEN", keys_.TriagedStream()}), 0);
  EXPECT_EQ(Integer({"EXISTS", keys_.Referral("R-404")}), 0);
}

TEST_F(StageCommitTest, CommitSurvivesAScriptCacheFlush) {
  const std::string first = Deliver("R-3");
  ASSERT_THAT(CommitStage(*redis_, keys_, Commit("R-3", first)), IsOk());
  ASSERT_THAT(redis_->Command({"SCRIPT", "FLUSH"}), IsOk());
  const std::string entry = Deliver("R-4");
  EXPECT_THAT(CommitStage(*redis_, keys_, Commit("R-4", entry)), IsOk());
  EXPECT_EQ(Integer({"XLEN", keys_.TriagedStream()}), 2);
}

TEST_F(StageCommitTest, BatchCommitsEachAsItsOwnCommitWouldInOneScript) {
  const std::string done_before = Deliver("R-10");
  ASSERT_THAT(CommitStage(*redis_, keys_, Commit("R-10", done_before)), IsOk());
  const std::string redelivered = Deliver("R-10");  // e.g. a retried XADD upstream
  const std::string fresh = Deliver("R-11");
  auto orphan =
      redis_->Command({"XADD", keys_.SubmittedStream(), "*", "referral_id", "R-404", "event", "x"});
  ASSERT_THAT(orphan, IsOk());
  const std::string twice = Deliver("R-12");
  const std::string twice_again = Deliver("R-12");

  std::vector<StageCommit> commits = {Commit("R-10", redelivered), Commit("R-11", fresh),
                                      Commit("R-404", orphan->str), Commit("R-12", twice),
                                      Commit("R-12", twice_again)};
  // Shapes differ per commit: one output and no counters for R-11.
  commits[1].outputs.pop_back();
  commits[1].counters.clear();
  auto results = CommitStages(*redis_, keys_, commits);
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ(Result((*results)[0]), CommitResult::kAlreadyCommitted);
  EXPECT_EQ(Result((*results)[1]), CommitResult::kCommitted);
  EXPECT_THAT((*results)[2], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Result((*results)[3]), CommitResult::kCommitted);
  EXPECT_EQ(Result((*results)[4]), CommitResult::kAlreadyCommitted);

  // R-10 (before), R-11 and R-12 once each on the triaged stream; R-10 and
  // R-12 on the routed one; counters from only.
  EXPECT_EQ(Integer({"XLEN", keys_.TriagedStream()}), 3);
  EXPECT_EQ(Integer({"XLEN", keys_.RoutedStream()}), 2);
  auto police = redis_->Command({"HGET", keys_.Counters(), "signpost:POLICE"});
  EXPECT_EQ(police->str, "2");
  EXPECT_EQ(Integer({"LLEN", keys_.History("R-11")}), 1);
  EXPECT_EQ(Integer({"LLEN", keys_.History("R-12")}), 1);
  EXPECT_EQ(Integer({"EXISTS", keys_.Referral("R-404")}), 0);
  // Everything with a record is acked; the orphan stays pending for the
  // consumer to dead-letter.
  auto pending = redis_->Command({"XPENDING", keys_.SubmittedStream(), "triage"});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements[0].integer, 1);
  EXPECT_EQ(pending->elements[1].str, orphan->str);
}

TEST_F(StageCommitTest, EmptyBatchSendsNothing) {
  auto results = CommitStages(*redis_, keys_, {});
  ASSERT_THAT(results, IsOk());
  EXPECT_TRUE(results->empty());
}

}  // namespace
}  // namespace referrals
