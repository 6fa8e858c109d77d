// The argument checks of the gRPC TLS credential helpers, and that they apply
// the plaintext rule (itself tested in listen_security_test.cc). The
// handshakes are tested with real processes in tests/integration/tls_test.cc.
#include "common/service/tls_credentials.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MakeServerCredentialsTest, PlaintextOnLoopbackIsAllowed) {
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {}).status(), IsOk());
}

TEST(MakeServerCredentialsTest, PlaintextElsewhereIsRefusedUnlessAllowed) {
  EXPECT_THAT(MakeServerCredentials("0.0.0.0:50051", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--tls_cert_file")));
  ServerTlsOptions insecure;
  insecure.allow_insecure = true;
  EXPECT_THAT(MakeServerCredentials("0.0.0.0:50051", insecure).status(), IsOk());
}

TEST(MakeServerCredentialsTest, HalfAPairOrAClientCaAloneIsInvalid) {
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {"cert.pem", "", "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {"", "key.pem", "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {"", "", "ca.pem", false}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MakeServerCredentialsTest, UnreadableOrNonPemFilesAreInvalidAndNotEchoed) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/not-a-key.pem");
  {
    std::ofstream out(path);
    out << "secret-material-7731\n";
  }
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {"/nonexistent/cert.pem", path, "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/nonexistent/cert.pem")));
  EXPECT_THAT(MakeServerCredentials("127.0.0.1:0", {path, path, "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("7731"))));
}

TEST(MakeChannelCredentialsTest, PlaintextWithoutTlsFilesAndInvalidWithHalfAPair) {
  EXPECT_THAT(MakeChannelCredentials({}).status(), IsOk());
  EXPECT_THAT(MakeChannelCredentials({
                  "",
                  "client.pem",
                  "",
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeChannelCredentials({"/nonexistent/ca.pem", "", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace referrals
