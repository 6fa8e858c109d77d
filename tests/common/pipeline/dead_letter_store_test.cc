// DeadLetterStore against a real Redis: paging through dead letters, and
// replay putting exactly one entry back, only onto a stage's input stream.
#include "common/pipeline/dead_letter_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/pipeline/events.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stage_commit.h"
#include "common/pipeline/stream_consumer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DeadLetterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = Keys(testing::UniqueKeyPrefix());
    store_ = std::make_unique<DeadLetterStore>(keys_);
    redis_options_ = testing::RedisOptionsFromEnv();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
  }

  RedisReply Must(const std::vector<std::string_view>& argv) {
    absl::StatusOr<RedisReply> reply = redis_->Command(argv);
    EXPECT_THAT(reply, IsOk()) << argv.front();
    return reply.ok() ? *std::move(reply) : RedisReply();
  }

  // Writes a dead letter the way StreamConsumer::DeadLetter does; returns
  // its id.
  std::string AddDeadLetter(const std::string& referral_id, const std::string& stream,
                            const std::string& payload, const std::string& error = "bad",
                            int64_t attempts = 1, const std::string& stage = "triage") {
    referrals::v1::DeadLetter letter;
    letter.set_stage(stage);
    letter.set_stream(stream);
    letter.set_entry_id("1700000000000-7");
    letter.set_error(error);
    letter.set_attempts(attempts);
    *letter.mutable_dead_lettered_time() = ToTimestamp(absl::FromUnixSeconds(1750000000));
    letter.set_payload(payload);
    return Must({"XADD", keys_.DeadLetterStream(), "*", "referral_id", referral_id, "stage", stage,
                 "event", letter.SerializeAsString()})
        .str;
  }

  std::vector<StreamEntry> Entries(const std::string& stream) {
    return ParseStreamEntries(Must({"XRANGE", stream, "-", "+"}));
  }

  int64_t Len(const std::string& stream) { return Must({"XLEN", stream}).integer; }

  static std::vector<std::string> Ids(const DeadLetterPage& page) {
    std::vector<std::string> ids;
    for (const DeadLetterInfo& info : page.dead_letters) ids.push_back(info.id);
    return ids;
  }

  Keys keys_;
  std::unique_ptr<DeadLetterStore> store_;
  RedisOptions redis_options_;
  std::unique_ptr<RedisConnection> redis_;
};

TEST_F(DeadLetterStoreTest, EmptyStreamListsNothing) {
  ASSERT_OK_AND_ASSIGN(DeadLetterPage page, store_->List(*redis_, std::nullopt, 10));
  EXPECT_THAT(page.dead_letters, IsEmpty());
  EXPECT_FALSE(page.next_after.has_value());
}

TEST_F(DeadLetterStoreTest, ListShowsEveryFieldButThePayload) {
  const std::string id = AddDeadLetter("R-20260101-0123456789ab", keys_.SubmittedStream(),
                                       "secret payload", "no referral record", 4);
  ASSERT_OK_AND_ASSIGN(DeadLetterPage page, store_->List(*redis_, std::nullopt, 10));
  ASSERT_EQ(page.dead_letters.size(), 1u);
  const DeadLetterInfo& info = page.dead_letters[0];
  EXPECT_EQ(info.id, id);
  EXPECT_EQ(info.referral_id, "R-20260101-0123456789ab");
  EXPECT_EQ(info.stage, "triage");
  EXPECT_EQ(info.source_stream, keys_.SubmittedStream());
  EXPECT_EQ(info.entry_id, "1700000000000-7");
  EXPECT_EQ(info.error, "no referral record");
  EXPECT_EQ(info.attempts, 4);
  EXPECT_EQ(info.dead_lettered_time, absl::FromUnixSeconds(1750000000));
  EXPECT_TRUE(info.readable);
}

TEST_F(DeadLetterStoreTest, PagesFollowOnWithoutGapsOrRepeats) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(AddDeadLetter(absl::StrCat("R-", i), keys_.SubmittedStream(), "p"));
  }
  ASSERT_OK_AND_ASSIGN(DeadLetterPage first, store_->List(*redis_, std::nullopt, 2));
  EXPECT_THAT(Ids(first), ElementsAre(ids[0], ids[1]));
  ASSERT_TRUE(first.next_after.has_value());
  EXPECT_EQ(first.next_after->ToString(), ids[1]);
  ASSERT_OK_AND_ASSIGN(DeadLetterPage second, store_->List(*redis_, first.next_after, 2));
  EXPECT_THAT(Ids(second), ElementsAre(ids[2], ids[3]));
  ASSERT_TRUE(second.next_after.has_value());
  ASSERT_OK_AND_ASSIGN(DeadLetterPage last, store_->List(*redis_, second.next_after, 2));
  EXPECT_THAT(Ids(last), ElementsAre(ids[4]));
  EXPECT_FALSE(last.next_after.has_value());
}

TEST_F(DeadLetterStoreTest, FullLastPageHasNoNextPage) {
  for (int i = 0; i < 2; ++i) AddDeadLetter("R-1", keys_.SubmittedStream(), "p");
  ASSERT_OK_AND_ASSIGN(DeadLetterPage page, store_->List(*redis_, std::nullopt, 2));
  EXPECT_EQ(page.dead_letters.size(), 2u);
  EXPECT_FALSE(page.next_after.has_value());
}

TEST_F(DeadLetterStoreTest, PageAfterTheLargestIdIsEmpty) {
  AddDeadLetter("R-1", keys_.SubmittedStream(), "p");
  const StreamId max{UINT64_MAX, UINT64_MAX};
  ASSERT_OK_AND_ASSIGN(DeadLetterPage page, store_->List(*redis_, max, 10));
  EXPECT_THAT(page.dead_letters, IsEmpty());
  EXPECT_THAT(store_->List(*redis_, std::nullopt, 0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DeadLetterStoreTest, UnreadableDeadLetterIsListedButNotReplayed) {
  const std::string id = Must({"XADD", keys_.DeadLetterStream(), "*", "referral_id", "R-9", "stage",
                               "routing", "event", "\xff\xff not a DeadLetter"})
                             .str;
  ASSERT_OK_AND_ASSIGN(DeadLetterPage page, store_->List(*redis_, std::nullopt, 10));
  ASSERT_EQ(page.dead_letters.size(), 1u);
  EXPECT_FALSE(page.dead_letters[0].readable);
  EXPECT_EQ(page.dead_letters[0].referral_id, "R-9");
  EXPECT_EQ(page.dead_letters[0].stage, "routing");
  EXPECT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 1);
}

TEST_F(DeadLetterStoreTest, ReplayPutsTheOriginalEntryBackAsAProducerWrites) {
  const std::string id = AddDeadLetter("R-20260101-0123456789ab", keys_.TriagedStream(),
                                       "original bytes\x01", "boom", 5, "routing");
  ASSERT_OK_AND_ASSIGN(ReplayResult result, store_->Replay(*redis_, *StreamId::Parse(id)));
  EXPECT_EQ(result.referral_id, "R-20260101-0123456789ab");
  EXPECT_EQ(result.stage, "routing");
  EXPECT_EQ(result.source_stream, keys_.TriagedStream());

  std::vector<StreamEntry> entries = Entries(keys_.TriagedStream());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, result.entry_id);
  EXPECT_EQ(entries[0].referral_id, "R-20260101-0123456789ab");
  EXPECT_TRUE(entries[0].has_payload);
  EXPECT_EQ(entries[0].payload, "original bytes\x01");
  // Exactly the producer's two fields, nothing more.
  RedisReply raw = Must({"XRANGE", keys_.TriagedStream(), "-", "+"});
  EXPECT_EQ(raw.elements[0].elements[1].elements.size(), 4u);

  EXPECT_EQ(Len(keys_.DeadLetterStream()), 0);
  // The replay is recorded, with ids only.
  RedisReply audit = Must({"XRANGE", store_->ReplayedStream(), "-", "+"});
  ASSERT_EQ(audit.elements.size(), 1u);
  std::vector<std::string> fields;
  for (const RedisReply& field : audit.elements[0].elements[1].elements)
    fields.push_back(field.str);
  EXPECT_THAT(fields,
              ElementsAre("dead_letter_id", id, "referral_id", "R-20260101-0123456789ab", "stage",
                          "routing", "stream", keys_.TriagedStream(), "entry_id", result.entry_id));
}

TEST_F(DeadLetterStoreTest, ReplayingTwiceIsNotFoundAndWritesOnce) {
  const std::string id = AddDeadLetter("R-1", keys_.SubmittedStream(), "p");
  ASSERT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)), IsOk());
  EXPECT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Len(keys_.SubmittedStream()), 1);
  EXPECT_EQ(Len(store_->ReplayedStream()), 1);
}

TEST_F(DeadLetterStoreTest, ConcurrentReplaysOfOneDeadLetterWriteOneEntry) {
  const std::string id = AddDeadLetter("R-1", keys_.SubmittedStream(), "p");
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, not_found{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto connection = RedisConnection::Connect(redis_options_);
      if (!connection.ok()) {
        ++other;
        return;
      }
      absl::StatusOr<ReplayResult> result = store_->Replay(**connection, *StreamId::Parse(id));
      if (result.ok()) {
        ++ok;
      } else if (result.status().code() == absl::StatusCode::kNotFound) {
        ++not_found;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(not_found.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Len(keys_.SubmittedStream()), 1);
}

TEST_F(DeadLetterStoreTest, UnknownIdIsNotFound) {
  AddDeadLetter("R-1", keys_.SubmittedStream(), "p");
  EXPECT_THAT(store_->Replay(*redis_, StreamId{1, 0}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 1);
}

TEST_F(DeadLetterStoreTest, ReplayNeverWritesToAStreamOutsideThePipeline) {
  const Keys other_deployment("elsewhere:");
  const std::vector<std::string> foreign = {
      keys_.prefix() + "not-a-stream",     // arbitrary key under our prefix
      keys_.RoutedStream(),                // ours, but no stage reads it
      keys_.QueueStream("ecc-mid"),        // a destination queue
      keys_.DeadLetterStream(),            // a replay loop
      other_deployment.SubmittedStream(),  // another prefix's input
  };
  for (const std::string& stream : foreign) {
    const std::string id = AddDeadLetter("R-1", stream, "p");
    EXPECT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)),
                StatusIs(absl::StatusCode::kFailedPrecondition))
        << stream;
    if (stream != keys_.DeadLetterStream()) {
      EXPECT_EQ(Must({"EXISTS", stream}).integer, 0) << stream;
    }
  }
  EXPECT_EQ(Len(keys_.DeadLetterStream()), static_cast<int64_t>(foreign.size()));
  EXPECT_EQ(Must({"EXISTS", store_->ReplayedStream()}).integer, 0);
}

TEST_F(DeadLetterStoreTest, DeadLetterWithoutPayloadIsNotReplayed) {
  const std::string id = AddDeadLetter("R-1", keys_.SubmittedStream(), "");
  EXPECT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Must({"EXISTS", keys_.SubmittedStream()}).integer, 0);
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 1);
}

TEST_F(DeadLetterStoreTest, ReplayOfAStageAlreadyCommittedChangesNothing) {
  // The referral was triaged already (done marker set), yet an old delivery
  // of its entry sits in the dead-letter stream.
  const std::string referral_id = "R-20260101-0123456789ab";
  Must({"HSET", keys_.Referral(referral_id), "status", "2", "done:triage", "1-0"});
  const std::string id = AddDeadLetter(referral_id, keys_.SubmittedStream(), "event");
  ASSERT_THAT(store_->Replay(*redis_, *StreamId::Parse(id)), IsOk());

  // The stage's consumer reads the replayed entry and commits as usual.
  const std::string out = keys_.prefix() + "out";
  StreamConsumerOptions options;
  options.stream = keys_.SubmittedStream();
  options.group = "triage";
  options.consumer = "c1";
  options.dead_letter_stream = keys_.DeadLetterStream();
  options.stage = "triage";
  options.block = absl::Milliseconds(50);
  std::atomic<int> already{0};
  StreamConsumer consumer(
      redis_options_, options, [&](RedisConnection& connection, const StreamEntry& entry) {
        StageCommit commit;
        commit.referral_id = entry.referral_id;
        commit.stage = "triage";
        commit.input_stream = keys_.SubmittedStream();
        commit.group = "triage";
        commit.entry_id = entry.id;
        commit.status = 2;
        commit.record_field = "triage";
        commit.record_value = "again";
        commit.history_entry = "again";
        commit.outputs.push_back({out, "again"});
        absl::StatusOr<CommitResult> result = CommitStage(connection, keys_, commit);
        if (!result.ok()) return result.status();
        if (*result == CommitResult::kAlreadyCommitted) ++already;
        return absl::OkStatus();
      });
  consumer.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (consumer.stats().processed.load() < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  consumer.Stop();
  EXPECT_EQ(already.load(), 1);
  EXPECT_EQ(Must({"EXISTS", out}).integer, 0);
  EXPECT_EQ(Must({"HEXISTS", keys_.Referral(referral_id), "triage"}).integer, 0);
  EXPECT_EQ(Must({"EXISTS", keys_.History(referral_id)}).integer, 0);
  EXPECT_EQ(Must({"XPENDING", keys_.SubmittedStream(), "triage"}).elements[0].integer, 0);
  EXPECT_EQ(Len(keys_.DeadLetterStream()), 0);
}

}  // namespace
}  // namespace referrals
