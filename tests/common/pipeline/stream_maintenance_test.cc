// The consumer's housekeeping against a real Redis: trimming what every group
// has finished with (and nothing else), removing idle consumers (never one
// with entries pending), dead-lettering entries whose delivery count says
// they keep killing consumers, and the Maintain() pass that runs both.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pipeline/stream_consumer.h"
#include "common/pipeline/stream_id.h"
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class StreamMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = testing::UniqueKeyPrefix();
    stream_ = prefix_ + "in";
    redis_options_ = testing::RedisOptionsFromEnv();
    auto connection = RedisConnection::Connect(redis_options_);
    ASSERT_TRUE(connection.ok()) << connection.status();
    redis_ = *std::move(connection);
  }

  // Runs a command that must succeed.
  RedisReply Must(const std::vector<std::string_view>& argv) {
    absl::StatusOr<RedisReply> reply = redis_->Command(argv);
    EXPECT_THAT(reply, IsOk()) << argv.front();
    return reply.ok() ? *std::move(reply) : RedisReply();
  }

  // Entries with explicit ids "1-0", "2-0", ... "n-0": long before any cutoff.
  void AddOld(int n) {
    for (int i = 1; i <= n; ++i) {
      Must({"XADD", stream_, absl::StrCat(i, "-0"), "referral_id", absl::StrCat("R-", i), "event",
            "x"});
    }
  }

  void CreateGroup(const std::string& group, const std::string& at = "0") {
    Must({"XGROUP", "CREATE", stream_, group, at, "MKSTREAM"});
  }

  // XREADGROUP ">" for `consumer`; returns the ids delivered.
  std::vector<std::string> Read(const std::string& group, const std::string& consumer, int count) {
    RedisReply reply = Must({"XREADGROUP", "GROUP", group, consumer, "COUNT", absl::StrCat(count),
                             "STREAMS", stream_, ">"});
    std::vector<std::string> ids;
    if (reply.is_array() && !reply.elements.empty() && reply.elements[0].elements.size() >= 2) {
      for (const StreamEntry& entry : ParseStreamEntries(reply.elements[0].elements[1])) {
        ids.push_back(entry.id);
      }
    }
    return ids;
  }

  void Ack(const std::string& group, const std::string& id) {
    EXPECT_EQ(Must({"XACK", stream_, group, id}).integer, 1) << id;
  }

  std::vector<std::string> StreamIds() {
    std::vector<std::string> ids;
    for (const StreamEntry& entry : ParseStreamEntries(Must({"XRANGE", stream_, "-", "+"}))) {
      ids.push_back(entry.id);
    }
    return ids;
  }

  // Pending entry id -> delivery count, for one group.
  std::map<std::string, int64_t> Pending(const std::string& group) {
    std::map<std::string, int64_t> pending;
    RedisReply reply = Must({"XPENDING", stream_, group, "-", "+", "100"});
    for (const RedisReply& row : reply.elements) {
      pending[row.elements[0].str] = row.elements[3].integer;
    }
    return pending;
  }

  // Consumer name -> pending count, from XINFO CONSUMERS.
  std::map<std::string, int64_t> Consumers(const std::string& group) {
    std::map<std::string, int64_t> consumers;
    RedisReply reply = Must({"XINFO", "CONSUMERS", stream_, group});
    for (const RedisReply& consumer : reply.elements) {
      std::string name;
      int64_t pending = -1;
      for (size_t i = 0; i + 1 < consumer.elements.size(); i += 2) {
        if (consumer.elements[i].str == "name") name = consumer.elements[i + 1].str;
        if (consumer.elements[i].str == "pending") pending = consumer.elements[i + 1].integer;
      }
      consumers[name] = pending;
    }
    return consumers;
  }

  bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return condition();
  }

  std::vector<referrals::v1::DeadLetter> DeadLetters() {
    std::vector<referrals::v1::DeadLetter> letters;
    for (const StreamEntry& entry :
         ParseStreamEntries(Must({"XRANGE", prefix_ + "dead", "-", "+"}))) {
      referrals::v1::DeadLetter letter;
      EXPECT_TRUE(letter.ParseFromString(entry.payload));
      letters.push_back(letter);
    }
    return letters;
  }

  StreamConsumerOptions Options(const std::string& consumer) {
    StreamConsumerOptions options;
    options.stream = stream_;
    options.group = "g";
    options.consumer = consumer;
    options.dead_letter_stream = prefix_ + "dead";
    options.stage = "test";
    options.block = absl::Milliseconds(50);
    options.claim_min_idle = absl::Milliseconds(50);
    options.claim_interval = absl::Milliseconds(20);
    options.backoff_initial = absl::Milliseconds(5);
    options.backoff_max = absl::Milliseconds(20);
    options.max_attempts = 3;
    options.consumer_expiry = absl::InfiniteDuration();
    options.trim_retention = absl::InfiniteDuration();
    return options;
  }

  // A handler that acks like a real stage commit and counts its calls.
  StreamConsumer::Handler AckingHandler(std::atomic<int>* calls) {
    return [this, calls](RedisConnection& connection, const StreamEntry& entry) {
      ++*calls;
      auto acked = connection.Command({"XACK", stream_, "g", entry.id});
      return acked.ok() ? absl::OkStatus() : acked.status();
    };
  }

  std::string prefix_;
  std::string stream_;
  RedisOptions redis_options_;
  std::unique_ptr<RedisConnection> redis_;
};

// --- TrimConsumedEntries ---------------------------------------------------

TEST_F(StreamMaintenanceTest, StreamWithoutGroupsIsNotTrimmed) {
  AddOld(5);
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 0);
  EXPECT_EQ(result.floor_id, "0-0");
  EXPECT_EQ(StreamIds().size(), 5u);
}

TEST_F(StreamMaintenanceTest, MissingStreamIsAnError) {
  EXPECT_THAT(TrimConsumedEntries(*redis_, stream_, absl::Now()),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(StreamMaintenanceTest, GroupThatHasReadNothingKeepsEverything) {
  AddOld(5);
  CreateGroup("g");
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 0);
  EXPECT_EQ(StreamIds().size(), 5u);
}

TEST_F(StreamMaintenanceTest, AckedEntriesAreTrimmedUpToTheLastDelivered) {
  AddOld(5);
  CreateGroup("g");
  for (const std::string& id : Read("g", "c", 10)) Ack("g", id);
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  // MINID keeps the last delivered entry itself: harmless, and it goes on a
  // later pass once something newer has been delivered.
  EXPECT_EQ(result.trimmed, 4);
  EXPECT_EQ(result.floor_id, "5-0");
  EXPECT_THAT(StreamIds(), ElementsAre("5-0"));
}

TEST_F(StreamMaintenanceTest, PendingEntryIsNeverTrimmed) {
  AddOld(6);
  CreateGroup("g");
  for (const std::string& id : Read("g", "c", 10)) {
    if (id != "3-0") Ack("g", id);
  }
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 2);
  EXPECT_EQ(result.floor_id, "3-0");
  EXPECT_THAT(StreamIds(), ElementsAre("3-0", "4-0", "5-0", "6-0"));
  // Still claimable with its content.
  RedisReply claimed = Must({"XCLAIM", stream_, "g", "other", "0", "3-0"});
  std::vector<StreamEntry> entries = ParseStreamEntries(claimed);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].has_payload);
  EXPECT_EQ(entries[0].referral_id, "R-3");
}

TEST_F(StreamMaintenanceTest, EntriesNotYetDeliveredAreNeverTrimmed) {
  AddOld(6);
  CreateGroup("g");
  for (const std::string& id : Read("g", "c", 3)) Ack("g", id);  // 1-0..3-0
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 2);
  EXPECT_THAT(StreamIds(), ElementsAre("3-0", "4-0", "5-0", "6-0"));
  EXPECT_THAT(Read("g", "c", 10), ElementsAre("4-0", "5-0", "6-0"));
}

TEST_F(StreamMaintenanceTest, TheGroupFurthestBehindDecides) {
  AddOld(6);
  CreateGroup("fast");
  CreateGroup("slow");
  for (const std::string& id : Read("fast", "c", 10)) Ack("fast", id);
  ASSERT_THAT(Read("slow", "c", 2), ElementsAre("1-0", "2-0"));
  Ack("slow", "1-0");  // 2-0 stays pending for "slow"
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 1);
  EXPECT_EQ(result.floor_id, "2-0");
  EXPECT_THAT(StreamIds(), ElementsAre("2-0", "3-0", "4-0", "5-0", "6-0"));

  // A third group that has read nothing stops trimming altogether.
  CreateGroup("new");
  Ack("slow", "2-0");
  ASSERT_OK_AND_ASSIGN(result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 0);
  EXPECT_EQ(StreamIds().size(), 5u);
}

TEST_F(StreamMaintenanceTest, GroupMovedBackIsRespected) {
  AddOld(4);
  CreateGroup("g");
  for (const std::string& id : Read("g", "c", 10)) Ack("g", id);
  Must({"XGROUP", "SETID", stream_, "g", "0"});  // an operator asks for a re-read
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, absl::Now()));
  EXPECT_EQ(result.trimmed, 0);
  EXPECT_EQ(Read("g", "c", 10).size(), 4u);
}

TEST_F(StreamMaintenanceTest, NothingNewerThanTheCutoffIsTrimmed) {
  AddOld(2);  // 1-0, 2-0: 1970
  for (int i = 0; i < 3; ++i) Must({"XADD", stream_, "*", "referral_id", "R-new", "event", "x"});
  CreateGroup("g");
  for (const std::string& id : Read("g", "c", 10)) Ack("g", id);
  // Everything is acknowledged, but only what is older than an hour goes.
  const absl::Time cutoff = absl::Now() - absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(TrimResult result, TrimConsumedEntries(*redis_, stream_, cutoff));
  EXPECT_EQ(result.trimmed, 2);
  EXPECT_EQ(result.floor_id, StreamId::AtTime(cutoff).ToString());
  EXPECT_EQ(StreamIds().size(), 3u);
}

TEST_F(StreamMaintenanceTest, IdsBeyondDoublePrecisionCompareExactly) {
  // 2^53 and 2^53 + 1 are the same double; as ids they differ.
  const std::string low = "9007199254740992-0";
  const std::string high = "9007199254740993-0";
  Must({"XADD", stream_, low, "referral_id", "R-1", "event", "x"});
  Must({"XADD", stream_, high, "referral_id", "R-2", "event", "x"});
  Must({"XADD", stream_, "9007199254740994-0", "referral_id", "R-3", "event", "x"});
  // Group "a" (listed first) still needs `high`; group "b" still needs `low`.
  CreateGroup("a");
  CreateGroup("b");
  ASSERT_EQ(Read("a", "c", 10).size(), 3u);
  Ack("a", low);
  ASSERT_EQ(Read("b", "c", 10).size(), 3u);
  ASSERT_OK_AND_ASSIGN(TrimResult result,
                       TrimConsumedEntries(*redis_, stream_, absl::InfiniteFuture()));
  EXPECT_EQ(result.trimmed, 0);
  EXPECT_EQ(result.floor_id, low);
  EXPECT_EQ(StreamIds().size(), 3u);
}

// --- RemoveIdleConsumers ---------------------------------------------------

TEST_F(StreamMaintenanceTest, IdleConsumersWithoutPendingEntriesAreRemoved) {
  AddOld(1);
  CreateGroup("g");
  ASSERT_THAT(Read("g", "busy", 10), ElementsAre("1-0"));  // pending, never acked
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "idle-1"});
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "idle-2"});
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "self"});
  absl::SleepFor(absl::Milliseconds(60));

  ASSERT_OK_AND_ASSIGN(std::vector<std::string> removed,
                       RemoveIdleConsumers(*redis_, stream_, "g", absl::Milliseconds(50), "self"));
  EXPECT_THAT(removed, UnorderedElementsAre("idle-1", "idle-2"));
  // "busy" is idle too but holds an entry: removing it would drop the entry
  // from the group's pending list. The caller's own consumer always stays.
  EXPECT_THAT(Consumers("g"),
              UnorderedElementsAre(std::pair<const std::string, int64_t>("busy", 1),
                                   std::pair<const std::string, int64_t>("self", 0)));
  EXPECT_THAT(Pending("g"), ElementsAre(std::pair<const std::string, int64_t>("1-0", 1)));
}

TEST_F(StreamMaintenanceTest, ConsumersIdleForLessThanTheExpiryStay) {
  CreateGroup("g");
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "recent"});
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> removed,
                       RemoveIdleConsumers(*redis_, stream_, "g", absl::Hours(1), "self"));
  EXPECT_THAT(removed, IsEmpty());
  EXPECT_EQ(Consumers("g").count("recent"), 1u);
}

TEST_F(StreamMaintenanceTest, ConsumerWhoseEntriesWereClaimedIsRemovedLater) {
  AddOld(1);
  CreateGroup("g");
  ASSERT_THAT(Read("g", "dead", 10), ElementsAre("1-0"));
  absl::SleepFor(absl::Milliseconds(30));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> removed,
                       RemoveIdleConsumers(*redis_, stream_, "g", absl::Milliseconds(20), "self"));
  EXPECT_THAT(removed, IsEmpty());
  // A live replica claims the dead one's entry; then "dead" can go.
  Must({"XCLAIM", stream_, "g", "self", "0", "1-0"});
  ASSERT_OK_AND_ASSIGN(removed,
                       RemoveIdleConsumers(*redis_, stream_, "g", absl::Milliseconds(20), "self"));
  EXPECT_THAT(removed, ElementsAre("dead"));
  EXPECT_THAT(Pending("g"), ElementsAre(std::pair<const std::string, int64_t>("1-0", 2)));
}

TEST_F(StreamMaintenanceTest, RemovingFromAMissingGroupOrStreamIsAnError) {
  EXPECT_THAT(RemoveIdleConsumers(*redis_, stream_, "g", absl::ZeroDuration(), "self"),
              StatusIs(absl::StatusCode::kInternal));
  CreateGroup("g");
  EXPECT_THAT(RemoveIdleConsumers(*redis_, stream_, "nope", absl::ZeroDuration(), "self"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// --- Delivery counts -------------------------------------------------------

TEST_F(StreamMaintenanceTest, EntryThatKeepsKillingConsumersIsDeadLetteredUnhandled) {
  AddOld(1);
  CreateGroup("g");
  // Three consumers take it in turn and die without acking: XREADGROUP,
  // then XCLAIM, then XAUTOCLAIM, each a delivery.
  ASSERT_THAT(Read("g", "crashed-1", 1), ElementsAre("1-0"));
  Must({"XCLAIM", stream_, "g", "crashed-2", "0", "1-0"});
  Must({"XAUTOCLAIM", stream_, "g", "crashed-3", "0", "0-0", "COUNT", "1"});
  ASSERT_THAT(Pending("g"), ElementsAre(std::pair<const std::string, int64_t>("1-0", 3)));

  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("alive"), AckingHandler(&calls));  // max 3
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().dead_lettered.load() == 1; }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 0);  // never handed to a fourth consumer
  EXPECT_GE(consumer.stats().claimed.load(), 1);
  EXPECT_THAT(Pending("g"), IsEmpty());
  std::vector<referrals::v1::DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts(), 3);
  EXPECT_EQ(letters[0].entry_id(), "1-0");
  EXPECT_EQ(letters[0].stream(), stream_);
  EXPECT_EQ(letters[0].payload(), "x");
  EXPECT_THAT(letters[0].error(), HasSubstr("delivered 3 times"));
}

TEST_F(StreamMaintenanceTest, EntryDeliveredFewerThanMaxAttemptsTimesIsStillHandled) {
  AddOld(1);
  CreateGroup("g");
  ASSERT_THAT(Read("g", "crashed-1", 1), ElementsAre("1-0"));
  Must({"XCLAIM", stream_, "g", "crashed-2", "0", "1-0"});  // 2 deliveries; the claim is the 3rd
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("alive"), AckingHandler(&calls));
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().processed.load() == 1; }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_THAT(DeadLetters(), IsEmpty());
  EXPECT_THAT(Pending("g"), IsEmpty());
}

TEST_F(StreamMaintenanceTest, RestartedConsumerDeadLettersItsOwnEntryPastMaxAttempts) {
  AddOld(1);
  CreateGroup("g");
  // Delivered to "c1" and re-read from its history twice (two restarts that
  // crashed on it): three deliveries.
  ASSERT_THAT(Read("g", "c1", 1), ElementsAre("1-0"));
  for (int i = 0; i < 2; ++i) {
    Must({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", stream_, "0"});
  }
  ASSERT_THAT(Pending("g"), ElementsAre(std::pair<const std::string, int64_t>("1-0", 3)));
  StreamConsumerOptions options = Options("c1");
  options.max_attempts = 2;
  options.claim_min_idle = absl::Hours(1);  // only the pending scan finds it
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, options, AckingHandler(&calls));
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().dead_lettered.load() == 1; }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 0);
  std::vector<referrals::v1::DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts(), 3);
  EXPECT_THAT(Pending("g"), IsEmpty());
}

TEST_F(StreamMaintenanceTest, TransientFailureCountsDeliveriesToOtherConsumers) {
  AddOld(1);
  CreateGroup("g");
  ASSERT_THAT(Read("g", "crashed-1", 1), ElementsAre("1-0"));
  Must({"XCLAIM", stream_, "g", "crashed-2", "0", "1-0"});
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("alive"),  // max 3
                          [&](RedisConnection&, const StreamEntry&) {
                            ++calls;
                            return absl::UnavailableError("downstream is down");
                          });
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] { return consumer.stats().dead_lettered.load() == 1; }));
  consumer.Stop();
  // The claim was the third delivery: one failure here is the third attempt.
  EXPECT_EQ(calls.load(), 1);
  std::vector<referrals::v1::DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts(), 3);
  EXPECT_EQ(letters[0].error(), "downstream is down");
}

// --- Maintain() ------------------------------------------------------------

TEST_F(StreamMaintenanceTest, MaintenancePassRemovesIdleConsumersAndTrims) {
  AddOld(4);
  CreateGroup("g");
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "ghost"});
  StreamConsumerOptions options = Options("alive");
  options.consumer_expiry = absl::Milliseconds(100);
  options.trim_retention = absl::ZeroDuration();
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, options, AckingHandler(&calls));
  consumer.Start();
  ASSERT_TRUE(WaitFor([&] {
    return consumer.stats().consumers_removed.load() == 1 && consumer.stats().trimmed.load() == 3;
  }));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 4);
  EXPECT_GE(consumer.stats().maintenance_runs.load(), 1);
  EXPECT_THAT(StreamIds(), ElementsAre("4-0"));
  std::map<std::string, int64_t> consumers = Consumers("g");
  EXPECT_EQ(consumers.count("ghost"), 0u);
  EXPECT_EQ(consumers.count("alive"), 1u);
}

TEST_F(StreamMaintenanceTest, MaintenancePassNeverTrimsWhatAnotherGroupStillNeeds) {
  AddOld(4);
  CreateGroup("g");
  CreateGroup("audit");  // reads nothing
  StreamConsumerOptions options = Options("alive");
  options.trim_retention = absl::ZeroDuration();
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, options, AckingHandler(&calls));
  consumer.Start();
  ASSERT_TRUE(
      WaitFor([&] { return calls.load() == 4 && consumer.stats().maintenance_runs.load() >= 2; }));
  consumer.Stop();
  EXPECT_EQ(consumer.stats().trimmed.load(), 0);
  EXPECT_EQ(StreamIds().size(), 4u);
  EXPECT_EQ(Read("audit", "a", 10).size(), 4u);
}

TEST_F(StreamMaintenanceTest, MaintenanceDisabledLeavesConsumersAndEntries) {
  AddOld(3);
  CreateGroup("g");
  Must({"XGROUP", "CREATECONSUMER", stream_, "g", "ghost"});
  std::atomic<int> calls{0};
  StreamConsumer consumer(redis_options_, Options("alive"), AckingHandler(&calls));  // infinite
  consumer.Start();
  ASSERT_TRUE(
      WaitFor([&] { return calls.load() == 3 && consumer.stats().maintenance_runs.load() >= 2; }));
  consumer.Stop();
  EXPECT_EQ(consumer.stats().trimmed.load(), 0);
  EXPECT_EQ(consumer.stats().consumers_removed.load(), 0);
  EXPECT_EQ(StreamIds().size(), 3u);
  EXPECT_EQ(Consumers("g").count("ghost"), 1u);
}

// --- Options -------------------------------------------------------------

TEST(StreamConsumerOptionsTest, DefaultsAndDisabledMaintenanceAreValid) {
  StreamConsumerOptions options;
  EXPECT_THAT(ValidateStreamConsumerOptions(options), IsOk());
  options.consumer_expiry = absl::InfiniteDuration();
  options.trim_retention = absl::InfiniteDuration();
  EXPECT_THAT(ValidateStreamConsumerOptions(options), IsOk());
  options.trim_retention = absl::ZeroDuration();  // trim as soon as consumed
  EXPECT_THAT(ValidateStreamConsumerOptions(options), IsOk());
}

TEST(StreamConsumerOptionsTest, EachBadOptionIsNamed) {
  struct Case {
    std::function<void(StreamConsumerOptions&)> change;
    const char* name;
  };
  const Case cases[] = {
      {[](StreamConsumerOptions& o) { o.max_attempts = 0; }, "max_attempts"},
      {[](StreamConsumerOptions& o) { o.batch_size = 0; }, "batch_size"},
      {[](StreamConsumerOptions& o) { o.claim_min_idle = absl::ZeroDuration(); }, "claim_min_idle"},
      {[](StreamConsumerOptions& o) { o.trim_retention = absl::Seconds(-1); }, "trim_retention"},
      {[](StreamConsumerOptions& o) { o.consumer_expiry = absl::Seconds(10); },
       "consumer_expiry"},  // below the default 30 s claim_min_idle
  };
  for (const Case& c : cases) {
    StreamConsumerOptions options;
    c.change(options);
    EXPECT_THAT(ValidateStreamConsumerOptions(options),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.name)))
        << c.name;
  }
}

// --- Stop ----------------------------------------------------------------------

// A stopping consumer finishes the entry in hand; the rest of its batch stays
// pending (nothing lost) but is marked idle, so a live replica claims it on
// its next pass instead of after claim_min_idle. Delivery counts unchanged.
TEST_F(StreamMaintenanceTest, StopReleasesTheUnprocessedRestOfTheBatch) {
  AddOld(5);
  CreateGroup("g");
  StreamConsumerOptions options = Options("stopping");
  options.batch_size = 5;
  options.claim_min_idle = absl::Seconds(60);
  absl::Notification in_hand;
  std::atomic<int> calls{0};
  StreamConsumer consumer(
      redis_options_, options, [&](RedisConnection& connection, const StreamEntry& entry) {
        ++calls;
        if (!in_hand.HasBeenNotified()) in_hand.Notify();
        absl::SleepFor(absl::Milliseconds(300));  // Stop() arrives meanwhile
        auto acked = connection.Command({"XACK", stream_, "g", entry.id});
        return acked.ok() ? absl::OkStatus() : acked.status();
      });
  consumer.Start();
  ASSERT_TRUE(in_hand.WaitForNotificationWithTimeout(absl::Seconds(10)));
  consumer.Stop();
  EXPECT_EQ(calls.load(), 1);

  RedisReply pending = Must({"XPENDING", stream_, "g", "-", "+", "10"});
  ASSERT_TRUE(pending.is_array());
  ASSERT_EQ(pending.elements.size(), 4u);  // 2-0 .. 5-0
  for (const RedisReply& row : pending.elements) {
    ASSERT_EQ(row.elements.size(), 4u);
    EXPECT_EQ(row.elements[1].str, "stopping");
    EXPECT_GE(row.elements[2].integer, 59000) << row.elements[0].str;  // idle, ms
    EXPECT_EQ(row.elements[3].integer, 1) << row.elements[0].str;      // deliveries
  }
}

}  // namespace
}  // namespace referrals
