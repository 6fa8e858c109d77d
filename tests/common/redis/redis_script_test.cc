// Integration tests: RedisScript against a real redis-server (REDIS_URL).
#include "common/redis/redis_script.h"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::RedisOptionsFromEnv;
using ::referrals::testing::StatusIs;
using ::referrals::testing::UniqueKeyPrefix;
using ::testing::HasSubstr;
using Type = RedisReply::Type;

constexpr char kEcho[] = R"lua(
return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, #KEYS, #ARGV}
)lua";

constexpr char kIncr[] = R"lua(
return redis.call('INCR', KEYS[1])
)lua";

class RedisScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
        RedisConnection::Connect(RedisOptionsFromEnv());
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
  }

  std::string Key(std::string_view name) const { return prefix_ + std::string(name); }

  const std::string prefix_ = UniqueKeyPrefix();
  std::unique_ptr<RedisConnection> connection_;
};

TEST_F(RedisScriptTest, ReturnsScriptValuesWithKeysAndArgs) {
  RedisScript script(kEcho);
  const std::string key = Key("k");
  ASSERT_OK_AND_ASSIGN(RedisReply reply,
                       script.Run(*connection_, {key}, {std::string_view("a\0b", 3), "41"}));
  ASSERT_TRUE(reply.is_array());
  ASSERT_EQ(reply.elements.size(), 5u);
  EXPECT_EQ(reply.elements[0].str, key);
  EXPECT_EQ(reply.elements[1].str, std::string("a\0b", 3));
  EXPECT_EQ(reply.elements[2].type, Type::kInteger);
  EXPECT_EQ(reply.elements[2].integer, 42);
  EXPECT_EQ(reply.elements[3].integer, 1);  // numkeys = keys.size()
  EXPECT_EQ(reply.elements[4].integer, 2);
}

TEST_F(RedisScriptTest, RunsWithNoKeysOrArgs) {
  RedisScript script("return 'ok'");
  ASSERT_OK_AND_ASSIGN(RedisReply reply, script.Run(*connection_, {}, {}));
  EXPECT_EQ(reply.type, Type::kString);
  EXPECT_EQ(reply.str, "ok");
}

TEST_F(RedisScriptTest, ReturnsNilAndStatusReplies) {
  RedisScript nil_script("return redis.call('GET', KEYS[1])");
  ASSERT_OK_AND_ASSIGN(RedisReply nil, nil_script.Run(*connection_, {Key("missing")}, {}));
  EXPECT_TRUE(nil.is_nil());

  RedisScript status_script("return redis.status_reply('DONE')");
  ASSERT_OK_AND_ASSIGN(RedisReply status, status_script.Run(*connection_, {}, {}));
  EXPECT_EQ(status.type, Type::kStatus);
  EXPECT_EQ(status.str, "DONE");
}

TEST_F(RedisScriptTest, RepeatedRunsUseTheCachedScript) {
  RedisScript script(kIncr);
  const std::string key = Key("counter");
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK_AND_ASSIGN(RedisReply reply, script.Run(*connection_, {key}, {}));
    EXPECT_EQ(reply.integer, i);
  }
}

TEST_F(RedisScriptTest, RunsAfterScriptFlushAndReloadsTheCache) {
  const std::string source = absl::StrCat(kIncr, "-- flush test ", prefix_);
  RedisScript script(source);
  const std::string key = Key("counter");
  ASSERT_OK_AND_ASSIGN(RedisReply first, script.Run(*connection_, {key}, {}));
  EXPECT_EQ(first.integer, 1);

  // SCRIPT LOAD is idempotent and tells us the SHA1 to look for.
  ASSERT_OK_AND_ASSIGN(RedisReply sha, connection_->Command({"SCRIPT", "LOAD", source}));
  ASSERT_THAT(connection_->Command({"SCRIPT", "FLUSH"}), IsOk());
  ASSERT_OK_AND_ASSIGN(RedisReply gone, connection_->Command({"SCRIPT", "EXISTS", sha.str}));
  ASSERT_EQ(gone.elements.at(0).integer, 0);

  ASSERT_OK_AND_ASSIGN(RedisReply second, script.Run(*connection_, {key}, {}));
  EXPECT_EQ(second.integer, 2);  // ran exactly once
  ASSERT_OK_AND_ASSIGN(RedisReply back, connection_->Command({"SCRIPT", "EXISTS", sha.str}));
  EXPECT_EQ(back.elements.at(0).integer, 1);

  ASSERT_OK_AND_ASSIGN(RedisReply third, script.Run(*connection_, {key}, {}));
  EXPECT_EQ(third.integer, 3);
}

TEST_F(RedisScriptTest, ScriptErrorReplyMapsToStatus) {
  RedisScript plain("return redis.error_reply('ERR referral is closed')");
  EXPECT_THAT(plain.Run(*connection_, {}, {}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("referral is closed")));

  RedisScript nogroup("return redis.error_reply('NOGROUP consumer group missing')");
  EXPECT_THAT(nogroup.Run(*connection_, {}, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("consumer group")));
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisScriptTest, RuntimeErrorInScriptMapsToStatus) {
  const std::string key = Key("list");
  ASSERT_THAT(connection_->Command({"RPUSH", key, "a"}), IsOk());
  RedisScript script(kIncr);
  EXPECT_THAT(script.Run(*connection_, {key}, {}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
}

TEST_F(RedisScriptTest, ScriptRaisingNoScriptIsNotRunTwice) {
  RedisScript script(
      "redis.call('INCR', KEYS[1]) return redis.error_reply('NOSCRIPT raised by the script')");
  const std::string key = Key("runs");
  EXPECT_THAT(script.Run(*connection_, {key}, {}), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(RedisReply runs, connection_->Command({"GET", key}));
  EXPECT_EQ(runs.str, "1");
}

TEST_F(RedisScriptTest, SyntaxErrorFailsToLoad) {
  RedisScript script("return (");
  EXPECT_THAT(script.Run(*connection_, {}, {}), StatusIs(absl::StatusCode::kInternal));
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisScriptTest, SharedByThreadsEachWithItsOwnConnection) {
  const RedisScript script(absl::StrCat(kIncr, "-- threads test ", prefix_));
  const std::string key = Key("counter");
  constexpr int kThreads = 4;
  constexpr int kRunsPerThread = 250;
  const RedisOptions options = RedisOptionsFromEnv();
  std::atomic<int> failures{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
          RedisConnection::Connect(options);
      if (connection.ok()) {
        for (int i = 0; i < kRunsPerThread; ++i) {
          if (!script.Run(**connection, {key}, {}).ok()) ++failures;
        }
      } else {
        failures += kRunsPerThread;
      }
      ++finished;
    });
  }
  // Flush the server's script cache while they run: every Run must still
  // succeed and run the script exactly once.
  while (finished.load() < kThreads) {
    EXPECT_THAT(connection_->Command({"SCRIPT", "FLUSH"}), IsOk());
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(RedisReply total, connection_->Command({"GET", key}));
  EXPECT_EQ(total.str, absl::StrCat(kThreads * kRunsPerThread));
}

TEST(RedisScriptFaultTest, BrokenConnectionReportsUnavailable) {
  RedisOptions options = RedisOptionsFromEnv();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                       RedisConnection::Connect(options));
  ASSERT_OK_AND_ASSIGN(RedisReply id, connection->Command({"CLIENT", "ID"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> admin, RedisConnection::Connect(options));
  ASSERT_THAT(admin->Command({"CLIENT", "KILL", "ID", absl::StrCat(id.integer)}), IsOk());

  RedisScript script("return 1");
  EXPECT_THAT(script.Run(*connection, {}, {}), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(RedisReply reply, script.Run(*connection, {}, {}));
  EXPECT_EQ(reply.integer, 1);
}

}  // namespace
}  // namespace referrals
