// `referralctl token new` as a real process: it prints a fresh token and the
// tokens-file line that verifies it, and refuses bad roles and authorities.
// `referralctl key new` (issue 8): prints a data key file line that loads.
#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/data_keyring.h"
#include "common/service/auth/token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out;
};

Result Referralctl(const std::string& args) {
  Result result;
  const std::string command = absl::StrCat(REFERRALCTL_BINARY, " ", args, " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(ReferralctlToken, NewPrintsATokenAndTheLineThatVerifiesIt) {
  Result r = Referralctl("token new --caller thurrock-duty --role team --authority THURROCK");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[1], Not(HasSubstr(lines[0].substr(lines[0].find('~') + 1))));
  auto store = TokenStore::Parse(lines[1], "printed line");
  ASSERT_THAT(store.status(), IsOk());
  auto caller = (*store)->Verify(lines[0]);
  ASSERT_THAT(caller.status(), IsOk());
  EXPECT_EQ(caller->id, "thurrock-duty");
  EXPECT_EQ(caller->role, Role::kTeam);
  EXPECT_EQ(caller->authority, "THURROCK");
}

TEST(ReferralctlToken, TwoTokensForOneCallerDiffer) {
  Result a = Referralctl("token new --caller portal --role submitter");
  Result b = Referralctl("token new --caller portal --role submitter");
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_NE(a.out, b.out);
}

TEST(ReferralctlToken, RefusesBadRolesAndAuthorities) {
  EXPECT_EQ(Referralctl("token new --caller x --role root").exit_code, 2);
  EXPECT_EQ(Referralctl("token new --caller x --role team").exit_code, 2);
  EXPECT_EQ(Referralctl("token new --caller x --role admin --authority ESSEX").exit_code, 2);
  EXPECT_EQ(Referralctl("token new --caller 'bad id' --role admin").exit_code, 2);
  EXPECT_EQ(Referralctl("token").exit_code, 2);
}

TEST(ReferralctlKey, NewPrintsAKeyLineThatLoadsAndIsFreshEachTime) {
  Result a = Referralctl("key new --id 2026-11");
  Result b = Referralctl("key new --id 2026-11");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  ASSERT_EQ(b.exit_code, 0) << b.out;
  EXPECT_NE(a.out, b.out);
  std::vector<std::string> lines = absl::StrSplit(a.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << a.out;
  auto keyring = DataKeyring::Parse(lines[0], "printed line");
  ASSERT_THAT(keyring.status(), IsOk());
  EXPECT_EQ((*keyring)->primary_key_id(), "2026-11");
}

TEST(ReferralctlKey, RefusesABadKeyId) {
  EXPECT_EQ(Referralctl("key new --id 'no spaces'").exit_code, 2);
  EXPECT_EQ(Referralctl("key new").exit_code, 2);
}

}  // namespace
}  // namespace referrals
