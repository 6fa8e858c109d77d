// The plaintext rule every listener (gRPC and HTTP) applies.
#include "common/service/listen_security.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;

TEST(IsLoopbackListenAddressTest, KnowsLoopbackFromTheRest) {
  for (const char* address : {"127.0.0.1:0", "127.1.2.3:50051", "[::1]:50051", "localhost:50051",
                              "unix:/run/referrals/intake.sock"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(address)) << address;
  }
  for (const char* address :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "intake.internal:50051", ":50051",
        "128.0.0.1:1", "localhost.evil.example:1"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(address)) << address;
  }
}

TEST(CheckServerTlsTest, PlaintextOnlyOnLoopbackUnlessAllowed) {
  EXPECT_THAT(CheckServerTls("HTTP", "127.0.0.1:8080", {}), IsOk());
  EXPECT_THAT(CheckServerTls("HTTP", "0.0.0.0:8080", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("refusing plaintext HTTP on non-loopback address 0.0.0.0:8080")));
  ServerTlsOptions insecure;
  insecure.allow_insecure = true;
  EXPECT_THAT(CheckServerTls("gRPC", "0.0.0.0:50051", insecure), IsOk());
}

TEST(CheckServerTlsTest, ACertificateAllowsAnyAddressWithoutReadingIt) {
  EXPECT_THAT(
      CheckServerTls("HTTP", "0.0.0.0:8443", {"/no/such/cert.pem", "/no/such/key", "", false}),
      IsOk());
}

TEST(CheckServerTlsTest, HalfAPairOrAClientCaWithoutACertificateIsInvalid) {
  EXPECT_THAT(CheckServerTls("HTTP", "127.0.0.1:0", {"cert.pem", "", "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckServerTls("HTTP", "127.0.0.1:0", {"", "key.pem", "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckServerTls("HTTP", "127.0.0.1:0", {"", "", "ca.pem", false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client CA")));
}

}  // namespace
}  // namespace referrals
