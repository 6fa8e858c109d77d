// How the Redis and TLS flags turn into options: user and password file,
// sentinels, and that a password never ends up in a status.
#include "common/service/service_flags.h"

#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ServiceFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_redis, "redis://127.0.0.1:6390");
    absl::SetFlag(&FLAGS_redis_user, "");
    absl::SetFlag(&FLAGS_redis_password_file, "");
    absl::SetFlag(&FLAGS_redis_sentinels, "");
    absl::SetFlag(&FLAGS_redis_master_name, "");
  }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
    std::ofstream out(path, std::ios::trunc);
    out << contents;
    return path;
  }
};

TEST_F(ServiceFlagsTest, ReadsThePasswordFileLessItsNewline) {
  absl::SetFlag(&FLAGS_redis_user, "triage");
  absl::SetFlag(&FLAGS_redis_password_file, WriteFile("pw", "s3cret-Q9\n"));
  ASSERT_OK_AND_ASSIGN(RedisOptions options, RedisOptionsFromFlags());
  EXPECT_EQ(options.username, "triage");
  EXPECT_EQ(options.password, "s3cret-Q9");
  EXPECT_EQ(options.port, 6390);
}

TEST_F(ServiceFlagsTest, TakesTheUserFromTheUrl) {
  absl::SetFlag(&FLAGS_redis, "redis://routing@127.0.0.1:6390");
  absl::SetFlag(&FLAGS_redis_password_file, WriteFile("pw2", "pw"));
  ASSERT_OK_AND_ASSIGN(RedisOptions options, RedisOptionsFromFlags());
  EXPECT_EQ(options.username, "routing");
}

TEST_F(ServiceFlagsTest, AUserNeedsAPasswordFile) {
  absl::SetFlag(&FLAGS_redis_user, "triage");
  EXPECT_THAT(RedisOptionsFromFlags(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--redis_password_file")));
}

TEST_F(ServiceFlagsTest, ConflictingUsersAreInvalid) {
  absl::SetFlag(&FLAGS_redis, "redis://routing@127.0.0.1:6390");
  absl::SetFlag(&FLAGS_redis_user, "triage");
  absl::SetFlag(&FLAGS_redis_password_file, WriteFile("pw3", "pw"));
  EXPECT_THAT(RedisOptionsFromFlags(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServiceFlagsTest, MissingOrEmptyPasswordFileIsInvalid) {
  absl::SetFlag(&FLAGS_redis_password_file, "/nonexistent/redis.password");
  EXPECT_THAT(RedisOptionsFromFlags(), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::SetFlag(&FLAGS_redis_password_file, WriteFile("empty", "\n"));
  EXPECT_THAT(RedisOptionsFromFlags(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServiceFlagsTest, APasswordInTheUrlIsRefusedWithoutEchoingIt) {
  absl::SetFlag(&FLAGS_redis, "redis://triage:hunter2-X7@127.0.0.1:6390");
  EXPECT_THAT(RedisOptionsFromFlags(),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
}

TEST_F(ServiceFlagsTest, SentinelsAndMasterNameGoTogether) {
  absl::SetFlag(&FLAGS_redis_sentinels, "127.0.0.1:26379,127.0.0.1:26380");
  EXPECT_THAT(RedisOptionsFromFlags(), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::SetFlag(&FLAGS_redis_master_name, "referrals");
  ASSERT_OK_AND_ASSIGN(RedisOptions options, RedisOptionsFromFlags());
  ASSERT_EQ(options.sentinels.size(), 2u);
  EXPECT_EQ(options.sentinels[1].port, 26380);
  EXPECT_EQ(options.master_name, "referrals");
  absl::SetFlag(&FLAGS_redis_sentinels, "");
  EXPECT_THAT(RedisOptionsFromFlags(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServiceFlagsTest, TlsFlagsBecomeServerOptions) {
  absl::SetFlag(&FLAGS_tls_cert_file, "/etc/referrals/tls/tls.crt");
  absl::SetFlag(&FLAGS_tls_key_file, "/etc/referrals/tls/tls.key");
  absl::SetFlag(&FLAGS_tls_client_ca_file, "/etc/referrals/tls/ca.crt");
  ServerTlsOptions tls = ServerTlsOptionsFromFlags();
  EXPECT_EQ(tls.cert_file, "/etc/referrals/tls/tls.crt");
  EXPECT_EQ(tls.key_file, "/etc/referrals/tls/tls.key");
  EXPECT_EQ(tls.client_ca_file, "/etc/referrals/tls/ca.crt");
  EXPECT_FALSE(tls.allow_insecure);
}

}  // namespace
}  // namespace referrals
