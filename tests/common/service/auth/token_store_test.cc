#include "common/service/auth/token_store.h"

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

TEST(TokenStoreTest, MadeTokenVerifiesAsItsCaller) {
  auto made = TokenStore::MakeToken("thurrock-duty", Role::kTeam, "THURROCK");
  ASSERT_THAT(made.status(), IsOk());
  auto store = TokenStore::Parse(made->line, "test");
  ASSERT_THAT(store.status(), IsOk());
  auto caller = (*store)->Verify(made->token);
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_EQ(caller->id, "thurrock-duty");
  EXPECT_EQ(caller->role, Role::kTeam);
  EXPECT_EQ(caller->authority, "THURROCK");
  EXPECT_TRUE(caller->authenticated);
}

TEST(TokenStoreTest, FileLineHoldsNoClearToken) {
  auto made = TokenStore::MakeToken("portal", Role::kSubmitter, "");
  ASSERT_THAT(made.status(), IsOk());
  const std::string secret = made->token.substr(made->token.find('~') + 1);
  EXPECT_THAT(made->line, Not(HasSubstr(secret)));
  EXPECT_THAT(made->line, HasSubstr("portal submitter g1$"));
}

TEST(TokenStoreTest, WrongSecretIsUnauthenticated) {
  auto made = TokenStore::MakeToken("portal", Role::kSubmitter, "");
  auto other = TokenStore::MakeToken("portal", Role::kSubmitter, "");
  ASSERT_THAT(made.status(), IsOk());
  ASSERT_THAT(other.status(), IsOk());
  auto store = TokenStore::Parse(made->line, "test");
  ASSERT_THAT(store.status(), IsOk());
  EXPECT_THAT((*store)->Verify(other->token).status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TokenStoreTest, MalformedTokenIsUnauthenticatedWithoutEchoingIt) {
  auto made = TokenStore::MakeToken("portal", Role::kSubmitter, "");
  auto store = TokenStore::Parse(made->line, "test");
  ASSERT_THAT(store.status(), IsOk());
  for (const char* token : {"", "portal", "portal~abc", "secret-value-xyz"}) {
    absl::Status status = (*store)->Verify(token).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated));
    if (*token != '\0') {
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(token)));
    }
  }
}

TEST(TokenStoreTest, TokenOfAnotherCallerIdDoesNotVerify) {
  auto made = TokenStore::MakeToken("portal", Role::kSubmitter, "");
  auto store = TokenStore::Parse(made->line, "test");
  ASSERT_THAT(store.status(), IsOk());
  const std::string renamed = absl::StrCat("ops", made->token.substr(made->token.find('~')));
  EXPECT_THAT((*store)->Verify(renamed).status(), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TokenStoreTest, TwoLinesForOneCallerBothVerify) {
  auto first = TokenStore::MakeToken("ops", Role::kOperations, "");
  auto second = TokenStore::MakeToken("ops", Role::kOperations, "");
  auto store =
      TokenStore::Parse(absl::StrCat("# rotation\n", first->line, "\n\n", second->line, "\n"), "t");
  ASSERT_THAT(store.status(), IsOk());
  EXPECT_EQ((*store)->size(), 2u);
  EXPECT_THAT((*store)->Verify(first->token).status(), IsOk());
  EXPECT_THAT((*store)->Verify(second->token).status(), IsOk());
}

TEST(TokenStoreTest, RejectsBadLinesNamingTheLine) {
  auto team = TokenStore::MakeToken("t", Role::kTeam, "ESSEX");
  auto admin = TokenStore::MakeToken("t", Role::kAdmin, "");
  ASSERT_THAT(team.status(), IsOk());
  const std::string hash = team->line.substr(team->line.rfind(' ') + 1);
  for (const std::string& line :
       {std::string("x submitter"), absl::StrCat("x boss ", hash), absl::StrCat("x team ", hash),
        absl::StrCat("x admin:ESSEX ", hash), absl::StrCat("x submitter g1$00$11"),
        absl::StrCat("bad/id submitter ", hash), absl::StrCat(team->line, "\n", admin->line)}) {
    EXPECT_THAT(TokenStore::Parse(line, "tokens.txt").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tokens.txt:")))
        << line;
  }
}

TEST(TokenStoreTest, MakeTokenChecksRoleAndAuthority) {
  EXPECT_THAT(TokenStore::MakeToken("t", Role::kTeam, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenStore::MakeToken("t", Role::kAdmin, "ESSEX").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenStore::MakeToken("", Role::kAdmin, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TokenStoreTest, MissingFileIsNotFound) {
  EXPECT_THAT(TokenStore::Load("/nonexistent/tokens").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(TokenStoreTest, ClaimedCallerIdIsThePublicPartOnly) {
  EXPECT_EQ(TokenStore::ClaimedCallerId("portal~0123"), "portal");
  EXPECT_EQ(TokenStore::ClaimedCallerId("no-tilde"), "");
  EXPECT_EQ(TokenStore::ClaimedCallerId("bad id~0123"), "");
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kSubmitter, Role::kTeam, Role::kOperations, Role::kAdmin}) {
    auto parsed = ParseRole(RoleName(role));
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_THAT(ParseRole("root").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace referrals
