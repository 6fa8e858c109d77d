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
    ASSERT_THAT(redis_->Command({"XGROUP", "CREATE", keys_.SubmittedStream(), "triage", "0",
                                 "MKSTREAM"}),
                IsOk());
  }

  // An input entry delivered to consumer "c1", and the record intake made.
  std::string Deliver(const std::string& referral_id) {
    EXPECT_THAT(redis_->Command({"HSET", keys_.Referral(referral_id), "status", "1"}), IsOk());
    auto added = redis_->Command({"XADD", keys_.SubmittedStream(), "*", "referral_id",
                                  referral_id, "event", "x"});
    EXPECT_THAT(added, IsOk());
    EXPECT_THAT(redis_->Command({"XREADGROUP", "GROUP", "triage", "c1", "COUNT", "10",
                                 "STREAMS", keys_.SubmittedStream(), ">"}),
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
  auto added = redis_->Command(
      {"XADD", keys_.SubmittedStream(), "*", "referral_id", "R-404", "event", "x"});
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

}  // namespace
}  // namespace referrals
