#include "common/service/auth/http_auth.h"

#include <httplib.h>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class HttpAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ops = TokenStore::MakeToken("ops", Role::kOperations, "");
    auto team = TokenStore::MakeToken("ecc", Role::kTeam, "ESSEX");
    ASSERT_THAT(ops.status(), IsOk());
    ASSERT_THAT(team.status(), IsOk());
    ops_ = ops->token;
    team_ = team->token;
    auto store = TokenStore::Parse(absl::StrCat(ops->line, "\n", team->line, "\n"), "test");
    ASSERT_THAT(store.status(), IsOk());
    authorizer_ = std::make_unique<Authorizer>(*std::move(store));
  }

  absl::StatusOr<Caller> Check(const std::string& authorization, httplib::Response& response) {
    httplib::Request request;
    if (!authorization.empty()) request.set_header("Authorization", authorization);
    return AuthorizeHttpRequest(authorizer_.get(), kHttpMetrics, request, response);
  }

  std::string ops_, team_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(HttpAuthTest, NoTokenIs401WithAChallenge) {
  httplib::Response response;
  EXPECT_THAT(Check("", response).status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.get_header_value("WWW-Authenticate"), R"(Bearer realm="referrals")");
  EXPECT_THAT(response.body, HasSubstr(R"("status":"UNAUTHENTICATED")"));
}

TEST_F(HttpAuthTest, AWrongTokenIs401InvalidTokenAndIsNotEchoed) {
  httplib::Response response;
  const std::string wrong = absl::StrCat("ops~", std::string(64, 'f'));
  EXPECT_THAT(Check(absl::StrCat("Bearer ", wrong), response).status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(response.get_header_value("WWW-Authenticate"), HasSubstr(R"(error="invalid_token")"));
  EXPECT_THAT(response.body, Not(HasSubstr(std::string(64, 'f'))));
}

TEST_F(HttpAuthTest, AnotherRoleIs403) {
  httplib::Response response;
  EXPECT_THAT(Check(absl::StrCat("Bearer ", team_), response).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(response.status, 403);
  EXPECT_FALSE(response.has_header("WWW-Authenticate"));
  EXPECT_THAT(response.body, HasSubstr(R"("status":"PERMISSION_DENIED")"));
}

TEST_F(HttpAuthTest, AllowedCallerLeavesTheResponseAlone) {
  httplib::Response response;
  absl::StatusOr<Caller> caller = Check(absl::StrCat("Bearer ", ops_), response);
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_EQ(caller->id, "ops");
  EXPECT_EQ(response.status, -1);
  EXPECT_TRUE(response.body.empty());
}

TEST(HttpAuthOpenTest, NullAuthorizerAllowsAnonymously) {
  httplib::Request request;
  httplib::Response response;
  absl::StatusOr<Caller> caller = AuthorizeHttpRequest(nullptr, kHttpMetrics, request, response);
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_FALSE(caller->authenticated);
}

TEST(ReplyAuthErrorTest, MessageIsJsonEscaped) {
  httplib::Response response;
  ReplyAuthError(absl::UnauthenticatedError(R"(expected "Bearer")"), true, response);
  EXPECT_THAT(response.body, HasSubstr(R"(expected \"Bearer\")"));
}

}  // namespace
}  // namespace referrals
