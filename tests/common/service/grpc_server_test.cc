// StartGrpcServer's request size limit: a message over it is refused with
// RESOURCE_EXHAUSTED before any handler runs; one under it is served. Sent
// generically (tests/support/service_process.h) to the health service every
// server has.
#include "common/service/grpc_server.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

// Health/Check for the server as a whole (service "") padded with an unknown
// field (15, length-delimited, which the handler ignores) of `padding_bytes`.
absl::Status CheckWithPadding(int port, size_t padding_bytes) {
  std::string message = "\x7a";  // field 15, wire type 2
  size_t length = padding_bytes;
  do {  // the length as a varint
    message.push_back(static_cast<char>((length & 0x7f) | (length > 0x7f ? 0x80 : 0)));
    length >>= 7;
  } while (length > 0);
  message.append(padding_bytes, 'x');
  return testing::CallUnaryBytes(absl::StrCat("127.0.0.1:", port), "/grpc.health.v1.Health/Check",
                                 message, absl::Seconds(5))
      .status();
}

TEST(StartGrpcServerTest, RequestsOverTheSizeLimitAreResourceExhausted) {
  absl::StatusOr<StartedServer> started =
      StartGrpcServer("127.0.0.1:0", {}, {}, "", /*max_request_bytes=*/4096);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(CheckWithPadding(started->port, 1000).ok());
  EXPECT_EQ(CheckWithPadding(started->port, 8192).code(), absl::StatusCode::kResourceExhausted);
  started->server->Shutdown();
}

TEST(StartGrpcServerTest, TheDefaultLimitTakesAReferralButNotAFloodOfBytes) {
  absl::StatusOr<StartedServer> started = StartGrpcServer("127.0.0.1:0", {});
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(CheckWithPadding(started->port, 64 * 1024).ok());
  EXPECT_EQ(CheckWithPadding(started->port, kDefaultMaxRequestBytes + 1).code(),
            absl::StatusCode::kResourceExhausted);
  started->server->Shutdown();
}

}  // namespace
}  // namespace referrals
