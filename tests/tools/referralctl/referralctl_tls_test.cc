// referralctl over TLS: every channel it opens, the routing service's
// lifecycle commands included, uses --tls_ca_file (a real routing_service
// process with a TLS listener and throwaway certificates from
// scripts/make_certs.sh, a real Redis).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/service/tls_credentials.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"
#include "tests/support/throwaway_certs.h"
#include "tests/tools/referralctl/replay_test_util.h"

namespace referrals {
namespace {

using referrals::testing::CtlResult;
using referrals::testing::ServiceProcess;
using referrals::testing::ThrowawayCerts;
using ::testing::HasSubstr;

class ReferralctlTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ThrowawayCerts>> made = ThrowawayCerts::Make();
    ASSERT_TRUE(made.ok()) << made.status();
    certs_ = *std::move(made);

    const RedisOptions redis = referrals::testing::RedisOptionsFromEnv();
    // Loopback without a tokens file: open, so the call's answer shows
    // whether the TLS handshake worked and nothing else.
    routing_ = std::make_unique<ServiceProcess>(
        ROUTING_BINARY,
        std::vector<std::string>{
            absl::StrCat("--redis=redis://", redis.host, ":", redis.port),
            absl::StrCat("--redis_prefix=", referrals::testing::UniqueKeyPrefix()),
            absl::StrCat("--tls_cert_file=", certs_->Path("server.pem")),
            absl::StrCat("--tls_key_file=", certs_->Path("server.key"))},
        absl::StrCat(::testing::TempDir(), "/referralctl-tls-routing.log"));
    routing_->set_client_tls(ClientTlsOptions{certs_->Path("ca.pem"), "", ""});
    const absl::Status started = routing_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    if (routing_ != nullptr && routing_->running()) {
      EXPECT_EQ(routing_->Stop(), 0);
    }
  }

  CtlResult Ctl(const std::string& args) {
    return referrals::testing::RunCtl(REFERRALCTL_BINARY,
                                      absl::StrCat("--routing=", routing_->address(), " ", args));
  }

  std::unique_ptr<ThrowawayCerts> certs_;
  std::unique_ptr<ServiceProcess> routing_;
};

TEST_F(ReferralctlTlsTest, LifecycleCommandsUseTheCaFile) {
  const CtlResult overdue = Ctl(absl::StrCat("--tls_ca_file=", certs_->Path("ca.pem"), " overdue"));
  EXPECT_EQ(overdue.exit_code, 0) << overdue.err;

  const CtlResult worklist =
      Ctl(absl::StrCat("--tls_ca_file=", certs_->Path("ca.pem"), " worklist thurrock-first"));
  EXPECT_EQ(worklist.exit_code, 0) << worklist.err;
}

TEST_F(ReferralctlTlsTest, WithoutTheCaFileTheTlsServerIsUnreachable) {
  const CtlResult overdue = Ctl("overdue");
  EXPECT_EQ(overdue.exit_code, 1);
  EXPECT_THAT(overdue.err, HasSubstr("(14)"));  // UNAVAILABLE: the handshake failed
}

}  // namespace
}  // namespace referrals
