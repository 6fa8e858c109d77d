// referralctl's offline commands, run as a process: `explain` over every
// committed example referral and `resolve` in both output forms.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string out;
};

// Runs referralctl with `args` (already shell-quoted), capturing stdout.
Result Referralctl(const std::string& args) {
  Result result;
  const std::string command = absl::StrCat(REFERRALCTL_BINARY, " ", args, " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Example(const std::string& name) { return absl::StrCat(EXAMPLES_DIR, "/", name); }

TEST(ReferralctlExplain, SouthendHarmOfChelmsfordResidentGoesToSouthend) {
  Result r = Referralctl("explain " + Example("01-safeguarding-harm-in-southend.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("queue southend-front-door"));
  EXPECT_THAT(r.out, HasSubstr("[location.basis] place of harm decides"));
  EXPECT_THAT(r.out, HasSubstr("Versions:  rules 2025.11-1"));
}

TEST(ReferralctlExplain, EveryExampleGetsExactlyOneOutcome) {
  const char* examples[] = {"01-safeguarding-harm-in-southend.json",
                            "02-equipment-colchester.json",
                            "03-organisational-care-home.json",
                            "04-out-of-area-cambridge.json",
                            "05-urgent-harm-in-thurrock.json",
                            "06-split-sector-manual-triage.json",
                            "07-neglect-harlow-child-at-risk.json"};
  const char* expected_queue[] = {"southend-front-door", "ecc-north-east",
                                  "ecc-organisational-safeguarding", "out-of-area",
                                  "thurrock-first", "manual-triage", "ecc-west"};
  for (size_t i = 0; i < std::size(examples); ++i) {
    Result r = Referralctl("explain " + Example(examples[i]));
    ASSERT_EQ(r.exit_code, 0) << examples[i];
    int outcomes = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      outcomes += absl::StrContains(line, "Outcome:");
    }
    EXPECT_EQ(outcomes, 1) << examples[i];
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("(queue ", expected_queue[i], ")"))) << examples[i];
  }
}

TEST(ReferralctlExplain, OutputCarriesNoPersonalData) {
  Result r = Referralctl("explain " + Example("05-urgent-harm-in-thurrock.json"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, Not(HasSubstr("Fictional")));      // the adult's name
  EXPECT_THAT(r.out, Not(HasSubstr("bank card")));      // the concern
  EXPECT_THAT(r.out, Not(HasSubstr("Example Walk")));   // the address
  EXPECT_THAT(r.out, HasSubstr("Call 999"));
}

TEST(ReferralctlExplain, InvalidFileFailsWithAClearMessage) {
  Result r = Referralctl("explain /nonexistent.json");
  EXPECT_EQ(r.exit_code, 1);
}

TEST(ReferralctlResolve, JsonHasTheFieldsScriptsRelyOn) {
  Result r = Referralctl("resolve --json 'ss1 2ab' 'CM1 4ZZ' 'CB2 1AB' 'ZE1 0AA' 'NOT'");
  EXPECT_EQ(r.exit_code, 1);  // one malformed postcode
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("\"postcode\":\"SS1 2AB\""));
  EXPECT_THAT(lines[0], HasSubstr("\"level\":\"SECTOR\""));
  EXPECT_THAT(lines[0], HasSubstr("\"authority\":\"SOUTHEND\""));
  EXPECT_THAT(lines[0], HasSubstr("\"district_code\":\"E06000033\""));
  EXPECT_THAT(lines[1], HasSubstr("\"authority\":\"MANUAL_TRIAGE\""));
  EXPECT_THAT(lines[1], HasSubstr("\"candidates\":[{"));
  EXPECT_THAT(lines[2], HasSubstr("\"authority\":\"OUT_OF_AREA\""));
  EXPECT_THAT(lines[3], HasSubstr("\"level\":\"NOT_FOUND\""));
  EXPECT_THAT(lines[4], HasSubstr("\"error\":"));
  EXPECT_THAT(lines[4], Not(HasSubstr("NOT\"")));  // the input is not echoed
}

TEST(ReferralctlResolve, EssexLocalityIsNamed) {
  Result r = Referralctl("resolve --json 'CO2 7AB'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"locality\":\"NORTH_EAST\""));
  EXPECT_THAT(r.out, HasSubstr("\"district_name\":\"Colchester\""));
}

}  // namespace
}  // namespace referrals
