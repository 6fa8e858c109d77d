// Integration tests: RedisConnection against a real redis-server (REDIS_URL),
// plus fault cases against loopback sockets that refuse or never answer.
#include "common/redis/redis_connection.h"

#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/status_matchers.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::RedisOptionsFromEnv;
using ::referrals::testing::StatusIs;
using ::referrals::testing::UniqueKeyPrefix;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Type = RedisReply::Type;

// A loopback TCP socket that listens but never accepts or answers: the kernel
// completes the handshake for up to `backlog` + 1 clients, so their connects
// succeed and every command times out; later connects get no answer at all.
class SilentListener {
 public:
  explicit SilentListener(int backlog = 8) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, backlog) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot open a loopback listener";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { Close(); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int port() const { return port_; }

  // Closing the listener resets every connection still in its queue.
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound, read back, released).
int ClosedPort() {
  SilentListener listener;
  return listener.port();
}

RedisOptions SilentOptions(int port) {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.connect_timeout = absl::Milliseconds(500);
  options.command_timeout = absl::Milliseconds(200);
  return options;
}

class RedisConnectionTest : public ::testing::Test {
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

// --- ParseRedisUrl -------------------------------------------------------

TEST(ParseRedisUrlTest, AcceptsSchemeHostPortAndDb) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("redis://127.0.0.1:16391/4"));
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 16391);
  EXPECT_EQ(options.db, 4);
}

TEST(ParseRedisUrlTest, AcceptsBareHostAndPort) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("localhost:7000"));
  EXPECT_EQ(options.host, "localhost");
  EXPECT_EQ(options.port, 7000);
  EXPECT_EQ(options.db, 0);
}

TEST(ParseRedisUrlTest, DefaultsPortWhenSchemeHasNone) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("redis://redis.internal"));
  EXPECT_EQ(options.host, "redis.internal");
  EXPECT_EQ(options.port, 6379);
  EXPECT_EQ(options.db, 0);
}

TEST(ParseRedisUrlTest, AcceptsDbWithoutPortAndEmptyDb) {
  ASSERT_OK_AND_ASSIGN(RedisOptions with_db, ParseRedisUrl("redis://127.0.0.1/2"));
  EXPECT_EQ(with_db.port, 6379);
  EXPECT_EQ(with_db.db, 2);
  ASSERT_OK_AND_ASSIGN(RedisOptions trailing_slash, ParseRedisUrl("redis://127.0.0.1:6380/"));
  EXPECT_EQ(trailing_slash.port, 6380);
  EXPECT_EQ(trailing_slash.db, 0);
}

TEST(ParseRedisUrlTest, AcceptsBracketedIpv6) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("redis://[::1]:6390/1"));
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 6390);
  EXPECT_EQ(options.db, 1);
}

TEST(ParseRedisUrlTest, RejectsMalformedUrls) {
  for (std::string_view url : {"",
                               "redis://",
                               "redis://:6379",
                               "localhost",
                               "http://localhost:6379",
                               "rediss://localhost:6379",
                               "localhost:",
                               "localhost:0",
                               "localhost:65536",
                               "localhost:abc",
                               "localhost:+80",
                               "localhost: 80",
                               "localhost:80/1",
                               "redis://localhost:6379/x",
                               "redis://localhost:6379/-1",
                               "redis://localhost:6379/1/2",
                               "redis://localhost:99999999999",
                               "redis://user:secret@localhost:6379",
                               "::1:6379",
                               "redis://[::1"}) {
    EXPECT_THAT(ParseRedisUrl(url), StatusIs(absl::StatusCode::kInvalidArgument)) << url;
  }
}

TEST(ParseRedisUrlTest, TakesTheUserButNeverAPassword) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options, ParseRedisUrl("redis://triage@redis.internal:6380/2"));
  EXPECT_EQ(options.username, "triage");
  EXPECT_EQ(options.host, "redis.internal");
  EXPECT_EQ(options.port, 6380);
  EXPECT_EQ(options.db, 2);
  EXPECT_TRUE(options.password.empty());
  for (std::string_view url :
       {"redis://@localhost:6379", "redis://:secret@localhost:6379", "triage@localhost:6379"}) {
    EXPECT_THAT(ParseRedisUrl(url),
                StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret"))))
        << url;
  }
}

TEST(ParseRedisEndpointsTest, ParsesACommaSeparatedList) {
  ASSERT_OK_AND_ASSIGN(std::vector<RedisEndpoint> endpoints,
                       ParseRedisEndpoints("s1:26379,[::1]:26380,10.0.0.3:26381"));
  ASSERT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(endpoints[0].host, "s1");
  EXPECT_EQ(endpoints[0].port, 26379);
  EXPECT_EQ(endpoints[1].host, "::1");
  EXPECT_EQ(endpoints[2].port, 26381);
  for (std::string_view list : {"", "s1", "s1:26379,", ",s1:1", "redis://s1:1", "u@s1:1"}) {
    EXPECT_THAT(ParseRedisEndpoints(list), StatusIs(absl::StatusCode::kInvalidArgument)) << list;
  }
}

TEST(StatusFromRedisErrorTest, AclRefusalsHaveTheirOwnCodes) {
  EXPECT_THAT(StatusFromRedisError("WRONGPASS invalid username-password pair"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(StatusFromRedisError("NOAUTH Authentication required."),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(StatusFromRedisError("NOPERM this user has no permissions to run the 'keys' command"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(StatusFromRedisError("ERR The user executing the script can't run this command or "
                                   "subcommand script: abc"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(ParseRedisUrlTest, NeverEchoesCredentials) {
  EXPECT_THAT(ParseRedisUrl("redis://user:secret@localhost:6379"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret"))));
}

// --- Replies --------------------------------------------------------------

TEST_F(RedisConnectionTest, PingReturnsStatusReply) {
  ASSERT_OK_AND_ASSIGN(RedisReply reply, connection_->Command({"PING"}));
  EXPECT_EQ(reply.type, Type::kStatus);
  EXPECT_EQ(reply.str, "PONG");
  EXPECT_TRUE(reply.is_string());
}

TEST_F(RedisConnectionTest, SetAndGetAreBinarySafe) {
  const std::string key = Key(std::string("bin\0key", 7));
  const std::string value("a\0b\r\n\0\xff", 7);
  ASSERT_OK_AND_ASSIGN(RedisReply set, connection_->Command({"SET", key, value}));
  EXPECT_EQ(set.type, Type::kStatus);
  EXPECT_EQ(set.str, "OK");

  ASSERT_OK_AND_ASSIGN(RedisReply get, connection_->Command({"GET", key}));
  EXPECT_EQ(get.type, Type::kString);
  EXPECT_EQ(get.str, value);
  EXPECT_EQ(get.str.size(), 7u);
}

TEST_F(RedisConnectionTest, EmptyStringIsAStringNotNil) {
  const std::string key = Key("empty");
  ASSERT_THAT(connection_->Command({"SET", key, ""}), IsOk());
  ASSERT_OK_AND_ASSIGN(RedisReply get, connection_->Command({"GET", key}));
  EXPECT_EQ(get.type, Type::kString);
  EXPECT_EQ(get.str, "");
}

TEST_F(RedisConnectionTest, MissingKeyIsNil) {
  ASSERT_OK_AND_ASSIGN(RedisReply reply, connection_->Command({"GET", Key("missing")}));
  EXPECT_TRUE(reply.is_nil());
}

TEST_F(RedisConnectionTest, IntegerReplies) {
  const std::string key = Key("counter");
  ASSERT_OK_AND_ASSIGN(RedisReply first, connection_->Command({"INCRBY", key, "41"}));
  EXPECT_EQ(first.type, Type::kInteger);
  EXPECT_EQ(first.integer, 41);
  ASSERT_OK_AND_ASSIGN(RedisReply second, connection_->Command({"INCRBY", key, "-9000000000"}));
  EXPECT_EQ(second.integer, 41 - 9000000000LL);
}

TEST_F(RedisConnectionTest, ArrayReplies) {
  const std::string key = Key("list");
  ASSERT_THAT(connection_->Command({"RPUSH", key, "a", "b", "c"}), IsOk());
  ASSERT_OK_AND_ASSIGN(RedisReply reply, connection_->Command({"LRANGE", key, "0", "-1"}));
  ASSERT_TRUE(reply.is_array());
  ASSERT_EQ(reply.elements.size(), 3u);
  EXPECT_EQ(reply.elements[0].str, "a");
  EXPECT_EQ(reply.elements[1].str, "b");
  EXPECT_EQ(reply.elements[2].str, "c");

  ASSERT_OK_AND_ASSIGN(RedisReply empty, connection_->Command({"LRANGE", Key("none"), "0", "-1"}));
  EXPECT_TRUE(empty.is_array());
  EXPECT_TRUE(empty.elements.empty());
}

TEST_F(RedisConnectionTest, NestedArraysWithNilElements) {
  const std::string stream = Key("stream");
  ASSERT_OK_AND_ASSIGN(RedisReply id,
                       connection_->Command({"XADD", stream, "*", "field", "value"}));
  ASSERT_EQ(id.type, Type::kString);

  // XRANGE: [[id, [field, value]]]
  ASSERT_OK_AND_ASSIGN(RedisReply range, connection_->Command({"XRANGE", stream, "-", "+"}));
  ASSERT_TRUE(range.is_array());
  ASSERT_EQ(range.elements.size(), 1u);
  const RedisReply& entry = range.elements[0];
  ASSERT_TRUE(entry.is_array());
  ASSERT_EQ(entry.elements.size(), 2u);
  EXPECT_EQ(entry.elements[0].str, id.str);
  ASSERT_TRUE(entry.elements[1].is_array());
  ASSERT_EQ(entry.elements[1].elements.size(), 2u);
  EXPECT_EQ(entry.elements[1].elements[0].str, "field");
  EXPECT_EQ(entry.elements[1].elements[1].str, "value");

  // MGET: nil in place inside an array.
  ASSERT_OK_AND_ASSIGN(RedisReply mget, connection_->Command({"MGET", Key("missing"), stream}));
  ASSERT_EQ(mget.elements.size(), 2u);
  EXPECT_TRUE(mget.elements[0].is_nil());
  EXPECT_TRUE(mget.elements[1].is_nil());  // not a string key
}

// --- Error replies --------------------------------------------------------

TEST_F(RedisConnectionTest, WrongTypeIsInternalWithRedisText) {
  const std::string key = Key("list");
  ASSERT_THAT(connection_->Command({"RPUSH", key, "a"}), IsOk());
  EXPECT_THAT(connection_->Command({"INCR", key}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
  EXPECT_FALSE(connection_->broken());
  EXPECT_THAT(connection_->Command({"PING"}), IsOk());
}

TEST_F(RedisConnectionTest, CreatingAGroupTwiceIsAlreadyExists) {
  const std::string stream = Key("stream");
  ASSERT_THAT(connection_->Command({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"}), IsOk());
  EXPECT_THAT(connection_->Command({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("BUSYGROUP")));
}

TEST_F(RedisConnectionTest, ReadingAMissingGroupIsFailedPrecondition) {
  const std::string stream = Key("stream");
  ASSERT_THAT(connection_->Command({"XADD", stream, "*", "f", "v"}), IsOk());
  EXPECT_THAT(connection_->Command(
                  {"XREADGROUP", "GROUP", "nogroup", "c1", "COUNT", "1", "STREAMS", stream, ">"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOGROUP")));
}

TEST_F(RedisConnectionTest, UnknownScriptIsNotFound) {
  EXPECT_THAT(connection_->Command({"EVALSHA", std::string(40, '0'), "0"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("NOSCRIPT")));
}

TEST_F(RedisConnectionTest, ErrorStatusNeverEchoesArguments) {
  // Redis 7 echoes the first arguments of an unknown command.
  EXPECT_THAT(
      connection_->Command({"NO-SUCH-COMMAND", "Jane Doe", "CM1 1AA"}),
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("unknown command"), Not(HasSubstr("Jane")), Not(HasSubstr("CM1")))));
}

TEST_F(RedisConnectionTest, EmptyArgvIsInvalidArgument) {
  EXPECT_THAT(connection_->Command({}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(connection_->Pipeline({{"PING"}, {}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(connection_->broken());
}

TEST(StatusFromRedisErrorTest, MapsPrefixes) {
  EXPECT_THAT(StatusFromRedisError("OOM command not allowed"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(StatusFromRedisError("LOADING Redis is loading"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromRedisError("MASTERDOWN Link with MASTER is down"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromRedisError("READONLY You can't write against a read only replica."),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromRedisError("BUSY Redis is busy running a script."),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromRedisError("BUSYGROUP Consumer Group name already exists"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(StatusFromRedisError("BUSYKEY Target key name already exists."),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusFromRedisError("NOGROUP No such key"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(StatusFromRedisError("NOSCRIPT No matching script."),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(StatusFromRedisError("ERR syntax error"),
              StatusIs(absl::StatusCode::kInternal, "ERR syntax error"));
  EXPECT_THAT(StatusFromRedisError(""), StatusIs(absl::StatusCode::kInternal));
}

// --- Pipeline -------------------------------------------------------------

TEST_F(RedisConnectionTest, PipelineReturnsRepliesInOrderWithErrorsInPlace) {
  const std::string text = Key("text");
  ASSERT_OK_AND_ASSIGN(std::vector<RedisReply> replies,
                       connection_->Pipeline({{"SET", text, "hello"},
                                              {"INCR", text},
                                              {"GET", text},
                                              {"GET", Key("missing")},
                                              {"APPEND", text, "!"}}));
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(replies[0].type, Type::kStatus);
  EXPECT_EQ(replies[1].type, Type::kError);
  EXPECT_THAT(replies[1].str, HasSubstr("not an integer"));
  EXPECT_EQ(replies[2].type, Type::kString);
  EXPECT_EQ(replies[2].str, "hello");
  EXPECT_TRUE(replies[3].is_nil());
  EXPECT_EQ(replies[4].type, Type::kInteger);
  EXPECT_EQ(replies[4].integer, 6);
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisConnectionTest, LargePipelineKeepsOrder) {
  const std::string key = Key("counter");
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 2000; ++i) commands.push_back({"INCR", key});
  ASSERT_OK_AND_ASSIGN(std::vector<RedisReply> replies, connection_->Pipeline(commands));
  ASSERT_EQ(replies.size(), commands.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    ASSERT_EQ(replies[i].integer, static_cast<int64_t>(i + 1)) << i;
  }
}

TEST_F(RedisConnectionTest, EmptyPipelineReturnsNothing) {
  ASSERT_OK_AND_ASSIGN(std::vector<RedisReply> replies, connection_->Pipeline({}));
  EXPECT_TRUE(replies.empty());
}

// --- Databases ------------------------------------------------------------

TEST_F(RedisConnectionTest, ConnectSelectsDb) {
  RedisOptions db3 = RedisOptionsFromEnv();
  db3.db = 3;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> other, RedisConnection::Connect(db3));
  const std::string key = Key("in-db-3");
  ASSERT_THAT(other->Command({"SET", key, "x"}), IsOk());

  ASSERT_OK_AND_ASSIGN(RedisReply here, connection_->Command({"EXISTS", key}));
  EXPECT_EQ(here.integer, RedisOptionsFromEnv().db == 3 ? 1 : 0);
  ASSERT_OK_AND_ASSIGN(RedisReply there, other->Command({"EXISTS", key}));
  EXPECT_EQ(there.integer, 1);
  ASSERT_THAT(other->Command({"DEL", key}), IsOk());
}

TEST(RedisConnectTest, DbOutOfRangeIsInvalidArgument) {
  RedisOptions options = RedisOptionsFromEnv();
  options.db = 100000;
  EXPECT_THAT(RedisConnection::Connect(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SELECT")));
}

TEST(RedisConnectTest, NonPositiveTimeoutIsInvalidArgument) {
  RedisOptions options = RedisOptionsFromEnv();
  options.command_timeout = absl::ZeroDuration();
  EXPECT_THAT(RedisConnection::Connect(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Faults ---------------------------------------------------------------

TEST(RedisConnectTest, ClosedPortIsUnavailable) {
  const int port = ClosedPort();
  EXPECT_THAT(
      RedisConnection::Connect(SilentOptions(port)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr(absl::StrCat("127.0.0.1:", port))));
}

TEST(RedisConnectTest, ConnectTimeoutIsDeadlineExceeded) {
  // With its accept queue full, a Linux listener drops further SYNs.
  SilentListener listener(/*backlog=*/0);
  RedisOptions options = SilentOptions(listener.port());
  options.connect_timeout = absl::Milliseconds(200);
  std::vector<std::unique_ptr<RedisConnection>> queued;
  absl::Status status;
  for (int i = 0; i < 4 && status.ok(); ++i) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection = RedisConnection::Connect(options);
    if (connection.ok()) {
      queued.push_back(*std::move(connection));
    } else {
      status = connection.status();
      EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    }
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(RedisConnectTest, SelectOnASilentServerIsDeadlineExceeded) {
  SilentListener listener;
  RedisOptions options = SilentOptions(listener.port());
  options.db = 1;
  const absl::Time start = absl::Now();
  EXPECT_THAT(RedisConnection::Connect(options), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(RedisConnectTest, CommandOnASilentServerIsDeadlineExceeded) {
  SilentListener listener;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                       RedisConnection::Connect(SilentOptions(listener.port())));
  EXPECT_THAT(connection->Command({"PING"}), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(connection->broken());
}

TEST(RedisConnectTest, ReconnectThatFailsIsUnavailable) {
  // Services ignore SIGPIPE in main (hiredis writes with write(2)); so does
  // this test, which writes to sockets the peer has reset.
  std::signal(SIGPIPE, SIG_IGN);
  auto listener = std::make_unique<SilentListener>();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                       RedisConnection::Connect(SilentOptions(listener->port())));
  listener->Close();  // resets the queued connection; nothing listens now

  EXPECT_THAT(connection->Command({"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(connection->broken());
  EXPECT_THAT(connection->Command({"PING"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reconnect")));
  EXPECT_TRUE(connection->broken());
  EXPECT_THAT(connection->Pipeline({{"PING"}}), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RedisConnectionTest, CommandTimeoutIsDeadlineExceededAndConnectionRecovers) {
  ASSERT_THAT(connection_->SetCommandTimeout(absl::Milliseconds(200)), IsOk());
  const absl::Time start = absl::Now();
  EXPECT_THAT(connection_->Command({"BLPOP", Key("empty-list"), "5"}),
              StatusIs(absl::StatusCode::kDeadlineExceeded, Not(HasSubstr("empty-list"))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(connection_->broken());

  ASSERT_OK_AND_ASSIGN(RedisReply pong, connection_->Command({"PING"}));
  EXPECT_EQ(pong.str, "PONG");
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisConnectionTest, CommandTimeoutSurvivesReconnect) {
  ASSERT_THAT(connection_->SetCommandTimeout(absl::Milliseconds(150)), IsOk());
  EXPECT_THAT(connection_->Command({"BLPOP", Key("empty-list"), "5"}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  ASSERT_TRUE(connection_->broken());
  const absl::Time start = absl::Now();
  EXPECT_THAT(connection_->Command({"BLPOP", Key("empty-list"), "5"}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST_F(RedisConnectionTest, BlockingCommandWithinTimeoutSucceeds) {
  ASSERT_THAT(connection_->SetCommandTimeout(absl::Seconds(2)), IsOk());
  ASSERT_OK_AND_ASSIGN(RedisReply reply, connection_->Command({"BLPOP", Key("empty-list"), "0.1"}));
  EXPECT_TRUE(reply.is_nil());
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisConnectionTest, PipelineTimeoutFailsTheBatchAndRecovers) {
  ASSERT_THAT(connection_->SetCommandTimeout(absl::Milliseconds(150)), IsOk());
  EXPECT_THAT(connection_->Pipeline({{"PING"}, {"BLPOP", Key("empty-list"), "5"}}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(connection_->broken());
  ASSERT_OK_AND_ASSIGN(std::vector<RedisReply> replies, connection_->Pipeline({{"PING"}}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].str, "PONG");
}

TEST_F(RedisConnectionTest, ServerClosingTheConnectionIsUnavailableThenRecovers) {
  ASSERT_OK_AND_ASSIGN(RedisReply id, connection_->Command({"CLIENT", "ID"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> admin,
                       RedisConnection::Connect(RedisOptionsFromEnv()));
  ASSERT_OK_AND_ASSIGN(RedisReply killed,
                       admin->Command({"CLIENT", "KILL", "ID", absl::StrCat(id.integer)}));
  ASSERT_EQ(killed.integer, 1);

  EXPECT_THAT(connection_->Command({"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(connection_->broken());
  ASSERT_OK_AND_ASSIGN(RedisReply new_id, connection_->Command({"CLIENT", "ID"}));
  EXPECT_NE(new_id.integer, id.integer);
  EXPECT_FALSE(connection_->broken());
}

TEST_F(RedisConnectionTest, SetCommandTimeoutRejectsNonPositive) {
  EXPECT_THAT(connection_->SetCommandTimeout(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(connection_->SetCommandTimeout(absl::Milliseconds(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(connection_->SetCommandTimeout(absl::InfiniteDuration()), IsOk());
  EXPECT_THAT(connection_->Command({"PING"}), IsOk());
}

}  // namespace
}  // namespace referrals
