#include "common/service/http_server.h"

#include <httplib.h>
#include <stdexcept>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HttpServer, ServesOnThePortTheOsPicked) {
  HttpServer server;
  server.server().Get("/hello", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("hi", "text/plain");
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  httplib::Result result = client.Get("/hello");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "hi");
  server.Stop();
}

TEST(HttpServer, StopIsIdempotentAndRefusesConnectionsAfter) {
  HttpServer server;
  server.server().Get("/x", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("x", "text/plain");
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const int port = server.port();
  server.Stop();
  server.Stop();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  EXPECT_FALSE(client.Get("/x"));
}

TEST(HttpServer, StopBeforeStartIsANoOp) {
  HttpServer server;
  server.Stop();
  EXPECT_EQ(server.port(), 0);
}

TEST(HttpServer, StartTwiceFails) {
  HttpServer server;
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  EXPECT_EQ(server.Start("127.0.0.1:0").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpServer, RejectsMalformedAddresses) {
  for (const char* address : {"", "127.0.0.1", ":80", "127.0.0.1:http", "127.0.0.1:70000"}) {
    HttpServer server;
    EXPECT_EQ(server.Start(address).code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(HttpServer, PortInUseIsUnavailable) {
  HttpServer first;
  ASSERT_TRUE(first.Start("127.0.0.1:0").ok());
  HttpServer second;
  EXPECT_EQ(second.Start(absl::StrCat("127.0.0.1:", first.port())).code(),
            absl::StatusCode::kUnavailable);
}

TEST(HttpServer, HandlerExceptionBecomesGeneric500WithoutItsText) {
  HttpServer server;
  server.server().Get("/boom", [](const httplib::Request&, httplib::Response&) {
    throw std::runtime_error("secret personal detail");
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  httplib::Result result = client.Get("/boom");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 500);
  EXPECT_THAT(result->body, Not(HasSubstr("secret")));
  for (const auto& [name, value] : result->headers) {
    EXPECT_THAT(value, Not(HasSubstr("secret"))) << name;
  }
}

TEST(HttpServer, BodyOverTheLimitIs413BeforeTheHandler) {
  HttpServer::Options options;
  options.max_body_bytes = 16;
  HttpServer server(options);
  bool handler_ran = false;
  server.server().Post("/in", [&](const httplib::Request&, httplib::Response& response) {
    handler_ran = true;
    response.status = 204;
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", server.port());
  httplib::Result small = client.Post("/in", "0123456789abcdef", "text/plain");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 204);
  handler_ran = false;
  httplib::Result big = client.Post("/in", std::string(17, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_FALSE(handler_ran);
}

}  // namespace
}  // namespace referrals
