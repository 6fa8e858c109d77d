// referralctl's offline commands, run as a process: `explain` over every
// committed example referral and `resolve` in both output forms.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/routing/synthetic_postcode_files.h"

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
  EXPECT_THAT(r.out, HasSubstr("Versions:  rules 2026.11-1"));
}

TEST(ReferralctlExplain, EveryExampleGetsExactlyOneOutcome) {
  const char* examples[] = {"01-safeguarding-harm-in-southend.json",
                            "02-equipment-colchester.json",
                            "03-organisational-care-home.json",
                            "04-out-of-area-cambridge.json",
                            "05-urgent-harm-in-thurrock.json",
                            "06-split-sector-manual-triage.json",
                            "07-neglect-harlow-child-at-risk.json"};
  const char* expected_queue[] = {"southend-front-door", "ecc-icels",
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

// Issue 4: an out-of-hours urgent concern in Thurrock carries Thurrock's own
// duty line (DOMAIN.md, "Timing"); the same referral in office hours does not.
TEST(ReferralctlExplain, AsAtDecidesOutOfHoursAndNamesTheDutyLine) {
  Result evening = Referralctl("explain --as_at=2026-11-27T18:00:00Z " +
                               Example("05-urgent-harm-in-thurrock.json"));
  ASSERT_EQ(evening.exit_code, 0);
  EXPECT_THAT(evening.out, HasSubstr("Received:  2026-11-27 18:00:00 GMT  OUT OF HOURS"));
  EXPECT_THAT(evening.out, HasSubstr("Duty line: 01375 372468"));
  EXPECT_THAT(evening.out, HasSubstr("[route.out_of_hours_duty]"));
  Result morning = Referralctl("explain --as_at=2026-11-27T11:00:00Z " +
                               Example("05-urgent-harm-in-thurrock.json"));
  ASSERT_EQ(morning.exit_code, 0);
  EXPECT_THAT(morning.out, Not(HasSubstr("Duty line")));
  EXPECT_THAT(morning.out, HasSubstr("[time.office_hours]"));
  Result bad = Referralctl("explain --as_at=yesterday " + Example("05-urgent-harm-in-thurrock.json"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.out.empty());
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
  EXPECT_THAT(lines[0], HasSubstr("\"terminated\":false"));
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

// Unit-level data given to the offline commands: a synthetic August 2025
// ONSPD file of two real Essex units, one of them terminated.
class ReferralctlUnitData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("referralctl_test_", ::getpid());
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "ONSPD_AUG_2025_UK.csv").string();
    std::ofstream(data_, std::ios::binary)
        << referrals::testing::OnsFile(referrals::testing::OnsLayout::kAug2025,
                                       {{"SS17 9FP", "E07000066", "202311"},
                                        {"SS9 3RB", "E07000069", ""}});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string data_;
};

TEST_F(ReferralctlUnitData, ResolveJsonCarriesTerminatedAndTheDataVersion) {
  Result r = Referralctl(absl::StrCat("resolve --json --postcode_data='", data_,
                                      "' 'SS17 9FP' 'SS9 3RB' 'SS9 3ZZ'"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("\"level\":\"UNIT\""));
  EXPECT_THAT(lines[0], HasSubstr("\"district_name\":\"Basildon\""));
  EXPECT_THAT(lines[0], HasSubstr("\"terminated\":true"));
  EXPECT_THAT(lines[0], HasSubstr("+ ONSPD AUG 2025 units (2)\""));
  EXPECT_THAT(lines[1], HasSubstr("\"terminated\":false"));
  EXPECT_THAT(lines[2], HasSubstr("\"level\":\"SECTOR\""));
  EXPECT_THAT(lines[2], HasSubstr("\"terminated\":false"));
}

TEST_F(ReferralctlUnitData, ResolveTextNamesTheDataAndMarksTerminatedUnits) {
  Result r = Referralctl(absl::StrCat("resolve --postcode_data='", data_, "' 'SS17 9FP' 'SS9 3RB'"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("# postcode data: "));
  EXPECT_THAT(lines[0], HasSubstr(" + ONSPD AUG 2025 units (2)"));
  EXPECT_THAT(lines[1], HasSubstr("SS17 9FP  UNIT  ESSEX  Basildon (E07000066)"));
  EXPECT_THAT(lines[1], HasSubstr("(terminated postcode)"));
  EXPECT_THAT(lines[2], Not(HasSubstr("terminated")));
}

TEST_F(ReferralctlUnitData, EnvironmentVariableIsUsedAndTheFlagWins) {
  // popen's shell inherits this process's environment.
  ASSERT_EQ(setenv("REFERRALS_POSTCODE_DATA", data_.c_str(), 1), 0);
  Result from_env = Referralctl("resolve --json 'SS9 3RB'");
  ASSERT_EQ(setenv("REFERRALS_POSTCODE_DATA", "/nonexistent", 1), 0);
  Result flag_wins =
      Referralctl(absl::StrCat("resolve --json --postcode_data='", data_, "' 'SS9 3RB'"));
  Result env_only = Referralctl("resolve --json 'SS9 3RB'");
  unsetenv("REFERRALS_POSTCODE_DATA");

  ASSERT_EQ(from_env.exit_code, 0) << from_env.out;
  EXPECT_THAT(from_env.out, HasSubstr("\"level\":\"UNIT\""));
  ASSERT_EQ(flag_wins.exit_code, 0) << flag_wins.out;
  EXPECT_THAT(flag_wins.out, HasSubstr("\"level\":\"UNIT\""));
  EXPECT_EQ(env_only.exit_code, 1);  // the environment's path does not exist
}

TEST_F(ReferralctlUnitData, ExplainUsesTheUnitData) {
  Result r = Referralctl(absl::StrCat("explain --postcode_data='", data_, "' ",
                                      Example("01-safeguarding-harm-in-southend.json")));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("+ ONSPD AUG 2025 units (2)"));
}

TEST_F(ReferralctlUnitData, UnreadableUnitDataFailsWithoutOutput) {
  const std::string bad = (dir_ / "bad.csv").string();
  std::ofstream(bad) << "postcode,district\nSS9 3RB,E07000069\n";
  Result r = Referralctl(absl::StrCat("resolve --postcode_data='", bad, "' 'SS9 3RB'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace referrals
