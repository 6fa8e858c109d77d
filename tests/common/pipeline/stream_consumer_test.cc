#include "common/pipeline/stream_consumer.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/events.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;

class StreamConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = testing::UniqueKeyPrefix();
    redis_options_ = testing::RedisOptionsFromEnv();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
  }

  StreamConsumerOptions Options(const std::string& consumer) {
    StreamConsumerOptions options;
    options.stream = prefix_ + "in";
    options.group = "g";
    options.consumer = consumer;
    options.dead_letter_stream = prefix_ + "dead";
    options.stage = "test";
    options.block = absl::Milliseconds(100);
    options.claim_min_idle = absl::Milliseconds(200);
    options.claim_interval = absl::Milliseconds(100);
    options.backoff_initial = absl::Milliseconds(5);
    options.backoff_max = absl::Milliseconds(20);
    options.max_attempts = 3;
    return options;
  }

  void Add(const std::string& id, const std::string& payload) {
    ASSERT_THAT(redis_->Command({"XADD", prefix_ + "in", "*", "referral_id", id, "event", payload}),
                IsOk());
  }

  // A handler that acks like a real stage commit would.
  static absl::Status Ack(RedisConnection& connection, const std::string& stream,
                          const StreamEntry& entry) {
    auto acked = connection.Command({"XACK", stream, "g", entry.id});
    return acked.ok() ? absl::OkStatus() : acked.status();
  }

  bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return condition();
  }

  int64_t Len(const std::string& key) {
    auto reply = redis_->Command({"XLEN", key});
    return reply.ok() ? reply->integer : -1;
  }

  std::string prefix_;
  RedisOptions redis_options_;
  std::unique_ptr<RedisConnection> redis_;
};

TEST_F(StreamConsumerTest, ProcessesEveryEntryOnceInOrder) {
  for (int i = 0; i < 50; ++i) Add("R-" + std::to_string(i), "p" + std::to_string(i));
  absl::Mutex mu;
  std::vector<std::string> seen;
  const std::string stream = prefix_ + "in";
  StreamConsumer consumer(redis_options_, Options("c1"),
                          [&](RedisConnection& connection, const StreamEntry& entry) {
                            {
                              absl::MutexLock lock(&mu);
                              seen.push_back(entry.payload);
                            }
                            return Ack(connection, stream, entry);
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().processed.load() == 50; }));
  consumer.Stop();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 50u);
  EXPECT_EQ(seen.front(), "p0");
  EXPECT_EQ(seen.back(), "p49");
}

TEST_F(StreamConsumerTest, BatchHandlerGetsWholeReadsAndEachStatusCounts) {
  // 40 entries: "poison" ones are dead-lettered, "flaky" ones fail once
  // (transient) and are retried one at a time, the rest are acked in bulk.
  for (int i = 0; i < 40; ++i) {
    Add("R-" + std::to_string(i), i % 10 == 3 ? "poison" : i % 10 == 7 ? "flaky" : "ok");
  }
  const std::string stream = prefix_ + "in";
  absl::Mutex mu;
  std::vector<size_t> batch_sizes;
  absl::flat_hash_map<std::string, int> calls;  // entry id -> times handled
  StreamConsumerOptions options = Options("c1");
  options.batch_size = 16;
  StreamConsumer consumer(
      redis_options_, options,
      StreamConsumer::BatchHandler(
          [&](RedisConnection& connection, absl::Span<const StreamEntry> entries) {
            std::vector<absl::Status> statuses;
            std::vector<std::string> ack = {"XACK", stream, "g"};
            absl::MutexLock lock(&mu);
            batch_sizes.push_back(entries.size());
            for (const StreamEntry& entry : entries) {
              const int call = ++calls[entry.id];
              if (entry.payload == "poison") {
                statuses.push_back(absl::InvalidArgumentError("bad entry"));
              } else if (entry.payload == "flaky" && call == 1) {
                statuses.push_back(absl::UnavailableError("try again"));
              } else {
                ack.push_back(entry.id);
                statuses.push_back(absl::OkStatus());
              }
            }
            if (ack.size() > 3) {
              std::vector<std::string_view> argv(ack.begin(), ack.end());
              if (absl::Status acked = connection.Command(argv).status(); !acked.ok()) {
                for (absl::Status& status : statuses) {
                  if (status.ok()) status = acked;
                }
              }
            }
            return statuses;
          }));
  consumer.Start();
  // 32 ok at once, and the 4 flaky ones on their retry.
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().processed.load() == 36; }));
  ASSERT_TRUE(WaitFor([&] { return Len(prefix_ + "dead") == 4; }));
  consumer.Stop();

  auto pending = redis_->Command({"XPENDING", stream, "g"});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements[0].integer, 0);
  EXPECT_EQ(consumer.stats().dead_lettered.load(), 4);
  absl::MutexLock lock(&mu);
  // The first read is a whole batch; every flaky entry was handled twice,
  // every other entry once.
  ASSERT_FALSE(batch_sizes.empty());
  EXPECT_EQ(batch_sizes.front(), 16u);
  int twice = 0;
  for (const auto& [id, count] : calls) {
    EXPECT_LE(count, 2) << id;
    twice += count == 2;
  }
  EXPECT_EQ(calls.size(), 40u);
  EXPECT_EQ(twice, 4);
}

TEST_F(StreamConsumerTest, PoisonEntryIsDeadLetteredWithReasonAndAcked) {
  Add("R-bad", "garbage");
  Add("R-good", "fine");
  const std::string stream = prefix_ + "in";
  StreamConsumer consumer(redis_options_, Options("c1"),
                          [&](RedisConnection& connection, const StreamEntry& entry) {
                            if (entry.payload == "garbage") {
                              return absl::DataLossError("cannot parse");
                            }
                            return Ack(connection, stream, entry);
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().processed.load() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Len(prefix_ + "dead") == 1; }));
  consumer.Stop();
  auto dead = redis_->Command({"XRANGE", prefix_ + "dead", "-", "+"});
  ASSERT_THAT(dead, IsOk());
  auto entries = ParseStreamEntries(*dead);
  ASSERT_EQ(entries.size(), 1u);
  referrals::v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(entries[0].payload));
  EXPECT_EQ(letter.error(), "cannot parse");
  EXPECT_EQ(letter.stage(), "test");
  EXPECT_EQ(letter.payload(), "garbage");
  auto pending = redis_->Command({"XPENDING", stream, "g"});
  EXPECT_EQ(pending->elements[0].integer, 0);
}

TEST_F(StreamConsumerTest, TransientFailureIsRetriedThenSucceeds) {
  Add("R-1", "flaky");
  const std::string stream = prefix_ + "in";
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("c1"),
                          [&](RedisConnection& connection, const StreamEntry& entry) {
                            if (++calls < 2) return absl::UnavailableError("try again");
                            return Ack(connection, stream, entry);
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().processed.load() == 1; }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(Len(prefix_ + "dead"), 0);
}

TEST_F(StreamConsumerTest, EntryFailingEveryTimeIsDeadLetteredAfterMaxAttempts) {
  Add("R-1", "always fails");
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("c1"), [&](RedisConnection&, const StreamEntry&) {
    ++calls;
    return absl::InternalError("still broken");
  });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return Len(prefix_ + "dead") == 1; }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(StreamConsumerTest, EntriesLeftPendingByADeadConsumerAreClaimed) {
  Add("R-1", "orphan");
  // Consumer "dead" reads the entry and never acks it.
  ASSERT_THAT(redis_->Command({"XGROUP", "CREATE", prefix_ + "in", "g", "0", "MKSTREAM"}), IsOk());
  ASSERT_THAT(redis_->Command({"XREADGROUP", "GROUP", "g", "dead", "COUNT", "10", "STREAMS",
                               prefix_ + "in", ">"}),
              IsOk());
  const std::string stream = prefix_ + "in";
  std::atomic<int> handled{0};
  StreamConsumer consumer(redis_options_, Options("alive"),
                          [&](RedisConnection& connection, const StreamEntry& entry) {
                            ++handled;
                            return Ack(connection, stream, entry);
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return handled.load() == 1; }));
  consumer.Stop();
  EXPECT_GE(consumer.stats().claimed.load(), 1);
}

TEST_F(StreamConsumerTest, RestartedConsumerFinishesItsOwnPendingEntries) {
  Add("R-1", "mine");
  ASSERT_THAT(redis_->Command({"XGROUP", "CREATE", prefix_ + "in", "g", "0", "MKSTREAM"}), IsOk());
  // Delivered to "c1" before a crash, never acked.
  ASSERT_THAT(redis_->Command({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "10", "STREAMS",
                               prefix_ + "in", ">"}),
              IsOk());
  StreamConsumerOptions options = Options("c1");
  options.claim_min_idle = absl::Hours(1);  // only the pending scan can find it
  const std::string stream = prefix_ + "in";
  std::atomic<int> handled{0};
  StreamConsumer consumer(redis_options_, options,
                          [&](RedisConnection& connection, const StreamEntry& entry) {
                            ++handled;
                            return Ack(connection, stream, entry);
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return handled.load() == 1; }));
  consumer.Stop();
}

TEST_F(StreamConsumerTest, ConsumerKeepsGoingWhenRedisIsUnreachableAtStart) {
  RedisOptions nowhere = redis_options_;
  nowhere.port = 1;
  StreamConsumer consumer(nowhere, Options("c1"),
                          [](RedisConnection&, const StreamEntry&) { return absl::OkStatus(); });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().redis_errors.load() >= 2; }));
  consumer.Stop();  // and it stops promptly
}

}  // namespace
}  // namespace referrals
