#include "common/service/auth/authorizer.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string lines;
    for (auto [id, role, authority] :
         {std::tuple{"portal", Role::kSubmitter, ""},
          std::tuple{"thurrock", Role::kTeam, "THURROCK"}, std::tuple{"ops", Role::kOperations, ""},
          std::tuple{"root", Role::kAdmin, ""}}) {
      auto made = TokenStore::MakeToken(id, role, authority);
      ASSERT_THAT(made.status(), IsOk());
      tokens_[id] = absl::StrCat("Bearer ", made->token);
      absl::StrAppend(&lines, made->line, "\n");
    }
    auto store = TokenStore::Parse(lines, "test");
    ASSERT_THAT(store.status(), IsOk());
    authorizer_ = std::make_unique<Authorizer>(*std::move(store));
  }
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(AuthorizerTest, NoTokenIsUnauthenticated) {
  EXPECT_THAT(authorizer_->Authorize("RoutingService/ListQueues", "").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthorizerTest, OtherSchemeIsUnauthenticated) {
  EXPECT_THAT(authorizer_->Authorize("RoutingService/ListQueues", "Basic dXNlcjpwYXNz").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(authorizer_->Authorize("RoutingService/ListQueues", "Bearer ").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthorizerTest, AllowedRoleGetsItsCaller) {
  auto caller = authorizer_->Authorize("RoutingService/ListQueues", tokens_["ops"]);
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_EQ(caller->id, "ops");
}

TEST_F(AuthorizerTest, SchemeIsCaseInsensitive) {
  std::string lower = tokens_["ops"];
  lower[0] = 'b';
  EXPECT_THAT(authorizer_->Authorize("RoutingService/ListQueues", lower).status(), IsOk());
}

TEST_F(AuthorizerTest, WrongRoleIsPermissionDenied) {
  EXPECT_THAT(authorizer_->Authorize("IntakeService/SubmitReferral", tokens_["ops"]).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_->Authorize("RoutingService/ListQueues", tokens_["portal"]).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, UnknownMethodIsDeniedEvenToAdmin) {
  EXPECT_THAT(authorizer_->Authorize("RoutingService/DropEverything", tokens_["root"]).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, OpenAuthorizerAllowsEverything) {
  Authorizer open(nullptr);
  EXPECT_TRUE(open.open());
  auto caller = open.Authorize("RoutingService/ClaimNext", "");
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_FALSE(caller->authenticated);
  EXPECT_EQ(caller->role, Role::kAdmin);
}

TEST(AuthorizerTableTest, AdminMayCallEveryMethodInTheTable) {
  for (const char* method : {"IntakeService/SubmitReferral",
                             "IntakeService/GetReferral",
                             kHttpSubmitReferral,
                             kHttpGetReferralStatus,
                             kHttpMetrics,
                             kHttpDashboardQueues,
                             kHttpDashboardReferral,
                             "TriageService/Triage",
                             "RoutingService/ResolveLocation",
                             "RoutingService/Route",
                             "RoutingService/ListQueues",
                             "RoutingService/WatchQueue",
                             "RoutingService/ListDeadLetters",
                             "RoutingService/ReplayDeadLetter",
                             "RoutingService/GetReferral",
                             "RoutingService/GetReferralOutcome",
                             "RoutingService/AcceptReferral",
                             "RoutingService/RedirectReferral",
                             "RoutingService/RejectReferral",
                             "RoutingService/CompleteReferral",
                             "RoutingService/CancelReferral",
                             "RoutingService/ListWorklist",
                             "RoutingService/ClaimNext",
                             "RoutingService/RenewLease",
                             "RoutingService/ReleaseLease",
                             "RoutingService/ListOverdue"}) {
    EXPECT_TRUE(Authorizer::RoleAllows(Role::kAdmin, method)) << method;
  }
}

TEST(AuthorizerTableTest, SubmitterMaySubmitAndReadOutcomesOnly) {
  EXPECT_TRUE(Authorizer::RoleAllows(Role::kSubmitter, "IntakeService/SubmitReferral"));
  EXPECT_TRUE(Authorizer::RoleAllows(Role::kSubmitter, "RoutingService/GetReferralOutcome"));
  EXPECT_FALSE(Authorizer::RoleAllows(Role::kSubmitter, "IntakeService/GetReferral"));
  EXPECT_FALSE(Authorizer::RoleAllows(Role::kSubmitter, "RoutingService/AcceptReferral"));
}

TEST(AuthorizerTableTest, OperationsReadsButDoesNotActForTeams) {
  EXPECT_TRUE(Authorizer::RoleAllows(Role::kOperations, "RoutingService/ReplayDeadLetter"));
  EXPECT_TRUE(Authorizer::RoleAllows(Role::kOperations, "RoutingService/ListWorklist"));
  EXPECT_FALSE(Authorizer::RoleAllows(Role::kOperations, "RoutingService/AcceptReferral"));
  EXPECT_FALSE(Authorizer::RoleAllows(Role::kOperations, "RoutingService/ClaimNext"));
}

TEST(AuthorityCheckTest, TeamMayActOnlyForItsAuthority) {
  Caller team{"thurrock", Role::kTeam, "THURROCK", true};
  EXPECT_THAT(Authorizer::CheckAuthority(team, "RoutingService/ClaimNext", "THURROCK"), IsOk());
  EXPECT_THAT(Authorizer::CheckAuthority(team, "RoutingService/ClaimNext", "ESSEX"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Authorizer::CheckAuthority(team, "RoutingService/ClaimNext", ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(AuthorityCheckTest, OtherRolesAreNotLimitedByAuthority) {
  Caller ops{"ops", Role::kOperations, "", true};
  EXPECT_THAT(Authorizer::CheckAuthority(ops, "RoutingService/ListWorklist", "ESSEX"), IsOk());
}

TEST(AuthorizerTableTest, OperationsRoutesOverHttpAreForStaffAndTeamsReadOneReferral) {
  for (const char* method : {kHttpMetrics, kHttpDashboardQueues}) {
    EXPECT_TRUE(Authorizer::RoleAllows(Role::kOperations, method)) << method;
    EXPECT_FALSE(Authorizer::RoleAllows(Role::kTeam, method)) << method;
    EXPECT_FALSE(Authorizer::RoleAllows(Role::kSubmitter, method)) << method;
  }
  EXPECT_TRUE(Authorizer::RoleAllows(Role::kTeam, kHttpDashboardReferral));
  EXPECT_FALSE(Authorizer::RoleAllows(Role::kSubmitter, kHttpDashboardReferral));
}

TEST(AuthorizerTableTest, MethodsListsEveryRowOnce) {
  const std::vector<std::string> methods = Authorizer::Methods();
  EXPECT_EQ(methods.size(), 27u);  // 22 RPCs, 5 HTTP routes
  for (const std::string& method : methods) {
    EXPECT_TRUE(Authorizer::RoleAllows(Role::kAdmin, method)) << method;
  }
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/reload_test_tokens_", getpid());
    first_ = Make("ops", Role::kOperations);
    Write(first_.line);
    auto store = TokenStore::Load(path_);
    ASSERT_THAT(store.status(), IsOk());
    authorizer_ = std::make_unique<Authorizer>(*std::move(store), path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  static TokenStore::NewToken Make(const char* id, Role role) {
    auto made = TokenStore::MakeToken(id, role, "");
    EXPECT_THAT(made.status(), IsOk());
    return *made;
  }
  void Write(const std::string& text) { std::ofstream(path_) << text << "\n"; }
  absl::Status Check(const TokenStore::NewToken& token) {
    return authorizer_->Authorize(kHttpMetrics, absl::StrCat("Bearer ", token.token)).status();
  }

  std::string path_;
  TokenStore::NewToken first_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(ReloadTest, ReloadSwapsInTheNewFile) {
  const TokenStore::NewToken second = Make("ops2", Role::kOperations);
  EXPECT_THAT(Check(second), StatusIs(absl::StatusCode::kUnauthenticated));
  Write(second.line);
  ASSERT_THAT(authorizer_->ReloadTokens(), IsOk());
  EXPECT_THAT(Check(second), IsOk());
  EXPECT_THAT(Check(first_), StatusIs(absl::StatusCode::kUnauthenticated));  // revoked
}

TEST_F(ReloadTest, AnInvalidFileKeepsTheOldTokens) {
  Write("ops operations g1$not$hex");
  EXPECT_THAT(authorizer_->ReloadTokens(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Check(first_), IsOk());
  std::remove(path_.c_str());
  EXPECT_THAT(authorizer_->ReloadTokens(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Check(first_), IsOk());
}

TEST(ReloadOpenTest, AnOpenAuthorizerCannotReload) {
  Authorizer open(nullptr, "");
  EXPECT_THAT(open.ReloadTokens(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(open.open());
}

}  // namespace
}  // namespace referrals
