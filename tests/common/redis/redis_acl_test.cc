// RedisConnection under the project's Redis ACL (deploy/redis/users.acl with
// passwords generated at test time): a redis-server of the test's own,
// started with --aclfile, the default user off.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_script.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_acl_files.h"
#include "tests/support/redis_server_process.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::RedisAclFiles;
using ::referrals::testing::RedisServerProcess;
using ::referrals::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<RedisAclFiles> files = RedisAclFiles::Create();
    ASSERT_THAT(files.status(), IsOk());
    files_ = std::make_unique<RedisAclFiles>(*std::move(files));
    server_.AddArguments({"--aclfile", files_->acl_file()});
    ASSERT_THAT(server_.Start(), IsOk());
  }

  void TearDown() override {
    if (files_ != nullptr) std::filesystem::remove_all(files_->dir());
  }

  RedisOptions As(const std::string& user) const {
    return files_->OptionsFor(server_.options(), user);
  }

  std::unique_ptr<RedisAclFiles> files_;
  RedisServerProcess server_{"no"};
};

TEST_F(RedisAclTest, ServiceUserWithRightPasswordRunsItsCommands) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> triage,
                       RedisConnection::Connect(As("triage")));
  EXPECT_THAT(triage->Command({"PING"}).status(), IsOk());
  EXPECT_THAT(triage->Command({"XADD", "referrals:stream:submitted", "*", "k", "v"}).status(),
              IsOk());
  EXPECT_THAT(triage->Command({"XLEN", "referrals:stream:submitted"}).status(), IsOk());
}

TEST_F(RedisAclTest, UserInUrlWithPasswordFromOptionsConnects) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options,
                       ParseRedisUrl(absl::StrCat("redis://intake@127.0.0.1:", server_.port())));
  options.password = files_->Password("intake");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> intake, RedisConnection::Connect(options));
  EXPECT_THAT(intake->Command({"PING"}).status(), IsOk());
}

TEST_F(RedisAclTest, WrongPasswordIsUnauthenticatedAndNotEchoed) {
  RedisOptions options = As("triage");
  options.password = "not-the-password-Zx81";
  EXPECT_THAT(RedisConnection::Connect(options),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("triage"), Not(HasSubstr("Zx81")))));
}

TEST_F(RedisAclTest, AnotherUsersPasswordIsUnauthenticated) {
  RedisOptions options = As("triage");
  options.password = files_->Password("routing");
  EXPECT_THAT(RedisConnection::Connect(options),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr(options.password))));
}

TEST_F(RedisAclTest, NoPasswordMeansEveryCommandIsUnauthenticated) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> anonymous,
                       RedisConnection::Connect(server_.options()));
  EXPECT_THAT(anonymous->Command({"XLEN", "referrals:stream:submitted"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RedisAclTest, AdministrativeCommandsArePermissionDeniedForServiceUsers) {
  for (const char* user : {"intake", "triage", "routing", "ops"}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> connection,
                         RedisConnection::Connect(As(user)));
    EXPECT_THAT(connection->Command({"FLUSHALL"}), StatusIs(absl::StatusCode::kPermissionDenied))
        << user;
    EXPECT_THAT(connection->Command({"CONFIG", "GET", "dir"}),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << user;
    EXPECT_THAT(connection->Command({"KEYS", "*"}), StatusIs(absl::StatusCode::kPermissionDenied))
        << user;
    EXPECT_THAT(connection->Command({"ACL", "LIST"}), StatusIs(absl::StatusCode::kPermissionDenied))
        << user;
  }
}

TEST_F(RedisAclTest, KeysOutsideThePrefixArePermissionDenied) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> routing,
                       RedisConnection::Connect(As("routing")));
  EXPECT_THAT(routing->Command({"XADD", "other:stream", "*", "k", "v"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(routing->Command({"HGETALL", "other:referral:1"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RedisAclTest, IntakeCannotReadTheConsumerGroups) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> intake,
                       RedisConnection::Connect(As("intake")));
  EXPECT_THAT(intake->Command({"XREADGROUP", "GROUP", "triage", "c", "STREAMS",
                               "referrals:stream:submitted", ">"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RedisAclTest, ScriptsRunWithDeclaredKeysUnderThePrefix) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> triage,
                       RedisConnection::Connect(As("triage")));
  RedisScript script(
      "redis.call('HSET', KEYS[1], 'f', ARGV[1]); return redis.call('HINCRBY', KEYS[1], 'n', 1)");
  // Twice: the first run loads the script (SCRIPT LOAD / EVAL), the second
  // goes by EVALSHA.
  ASSERT_OK_AND_ASSIGN(RedisReply first, script.Run(*triage, {"referrals:acl:h"}, {"v"}));
  ASSERT_OK_AND_ASSIGN(RedisReply second, script.Run(*triage, {"referrals:acl:h"}, {"v"}));
  EXPECT_EQ(first.integer, 1);
  EXPECT_EQ(second.integer, 2);
}

TEST_F(RedisAclTest, ScriptsCannotReachOutsideThePrefixOrRunForbiddenCommands) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> triage,
                       RedisConnection::Connect(As("triage")));
  RedisScript outside("return redis.call('HSET', KEYS[1], 'f', 'v')");
  EXPECT_THAT(outside.Run(*triage, {"other:h"}, {}), StatusIs(absl::StatusCode::kPermissionDenied));
  RedisScript forbidden("return redis.call('FLUSHALL')");
  EXPECT_THAT(forbidden.Run(*triage, {}, {}), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RedisAclTest, ReconnectAuthenticatesAgain) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisConnection> triage,
                       RedisConnection::Connect(As("triage")));
  ASSERT_THAT(triage->Command({"PING"}).status(), IsOk());
  ASSERT_THAT(server_.Restart(), IsOk());
  // The first command finds the old socket closed and breaks the
  // connection; the next reconnects and AUTHs.
  (void)triage->Command({"PING"});
  EXPECT_THAT(triage->Command({"XLEN", "referrals:stream:submitted"}).status(), IsOk());
}

}  // namespace
}  // namespace referrals
