// `referralctl replay` over files, run as a process: every committed example
// re-decided under a modified rules version and under unit-level postcode
// data, compared with the default data.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/routing/synthetic_postcode_files.h"
#include "tests/tools/referralctl/replay_test_util.h"

namespace referrals {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using referrals::testing::CtlResult;

const char* const kExamples[] = {"01-safeguarding-harm-in-southend.json",
                                 "02-equipment-colchester.json",
                                 "03-organisational-care-home.json",
                                 "04-out-of-area-cambridge.json",
                                 "05-urgent-harm-in-thurrock.json",
                                 "06-split-sector-manual-triage.json",
                                 "07-neglect-harlow-child-at-risk.json"};

std::string Example(const std::string& name) { return absl::StrCat(EXAMPLES_DIR, "/", name); }

std::string AllExamples() {
  std::string args;
  for (const char* name : kExamples) absl::StrAppend(&args, " '", Example(name), "'");
  return args;
}

CtlResult Replay(const std::string& args) {
  return referrals::testing::RunCtl(REFERRALCTL_BINARY, absl::StrCat("replay ", args));
}

// The count table's rows ("old -> new count [unchanged]", spaces squeezed).
std::vector<std::string> CountRows(const std::string& out) {
  std::vector<std::string> rows;
  bool in_table = false;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "OLD QUEUE")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.empty()) break;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    rows.push_back(absl::StrJoin(words, " "));
  }
  return rows;
}

// The lines after "CHANGED: ...".
std::vector<std::string> ChangedLines(const std::string& out) {
  const size_t at = out.find("\nCHANGED: ");
  if (at == std::string::npos) return {};
  std::vector<std::string> lines = absl::StrSplit(out.substr(at + 1), '\n', absl::SkipEmpty());
  lines.erase(lines.begin());
  return lines;
}

void ExpectNoPersonalData(const CtlResult& result) {
  for (const char* name : kExamples) {
    for (const std::string& value : referrals::testing::PersonalValues(Example(name))) {
      EXPECT_THAT(result.out, Not(HasSubstr(value))) << name;
      EXPECT_THAT(result.err, Not(HasSubstr(value))) << name;
    }
  }
}

class ReferralctlReplayFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    // The old data is the default one: no unit data from the environment.
    unsetenv("REFERRALS_POSTCODE_DATA");
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("referralctl_replay_test_", ::getpid());
    std::filesystem::create_directories(dir_);
    rules_ = (dir_ / "2026.11-2.textproto").string();
    referrals::testing::WriteRulesWithoutEquipmentRule(
        absl::StrCat(RULES_DIR, "/2026.11-1.textproto"), rules_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string rules_;
};

TEST_F(ReferralctlReplayFiles, NewRulesMoveOnlyTheEquipmentReferral) {
  CtlResult r = Replay(absl::StrCat("--rules='", rules_, "' --as_at=2026-11-27T11:00:00Z",
                                    AllExamples()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("# old: rules 2025.11-1 (from 2025-11-01), 2026.11-1 (from "
                               "2026-11-23); postcode data codepoint-open-2025.4.0-sectors\n"));
  EXPECT_THAT(r.out, HasSubstr("# new: rules 2026.11-2 (from 2026-11-23); postcode data "
                               "codepoint-open-2025.4.0-sectors\n"));
  EXPECT_THAT(CountRows(r.out),
              ElementsAre("ecc-icels -> ecc-north-east 1",
                          "ecc-organisational-safeguarding -> ecc-organisational-safeguarding 1 "
                          "unchanged",
                          "ecc-west -> ecc-west 1 unchanged",
                          "manual-triage -> manual-triage 1 unchanged",
                          "out-of-area -> out-of-area 1 unchanged",
                          "southend-front-door -> southend-front-door 1 unchanged",
                          "thurrock-first -> thurrock-first 1 unchanged"))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("\nCHANGED: 1 of 7\n"));
  EXPECT_THAT(ChangedLines(r.out),
              ElementsAre(absl::StrCat(
                  Example("02-equipment-colchester.json"),
                  "  TEAM ecc-icels ESSEX rules 2026.11-1  ->  TEAM ecc-north-east ESSEX rules "
                  "2026.11-2  by [team.essex.locality.north_east] (was [team.essex.equipment])")))
      << r.out;
  ExpectNoPersonalData(r);
}

// A rule that now names another team: same rule id at the same place, so
// the rule whose result changed is named.
TEST_F(ReferralctlReplayFiles, SameRuleWithAnotherTeamIsNamed) {
  std::string text = referrals::testing::ReadText(absl::StrCat(RULES_DIR, "/2026.11-1.textproto"));
  const std::string from = "kinds: SENSORY_SUPPORT\n  team_id: \"ecl-sensory-triage\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "kinds: SENSORY_SUPPORT\n  team_id: \"ecc-mid\"");
  const std::string rules = (dir_ / "sensory-to-mid.textproto").string();
  std::ofstream(rules) << text;
  // A sensory referral from Chelmsford (Mid Essex): the example's fields,
  // kind and postcode changed.
  std::string json = referrals::testing::ReadText(Example("02-equipment-colchester.json"));
  json.replace(json.find("COMMUNITY_EQUIPMENT"), 19, "SENSORY_SUPPORT");
  json.replace(json.find("CO2 7XX"), 7, "CM2 0XX");
  const std::string sensory = (dir_ / "sensory.json").string();
  std::ofstream(sensory) << json;

  CtlResult r = Replay(absl::StrCat("--rules='", rules, "' --as_at=2026-11-27T11:00:00Z '",
                                    sensory, "' '", Example("05-urgent-harm-in-thurrock.json"),
                                    "'"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(CountRows(r.out), ElementsAre("ecl-sensory-triage -> ecc-mid 1",
                                            "thurrock-first -> thurrock-first 1 unchanged"));
  EXPECT_THAT(ChangedLines(r.out),
              ElementsAre(absl::StrCat(sensory,
                                       "  TEAM ecl-sensory-triage ESSEX rules 2026.11-1  ->  TEAM "
                                       "ecc-mid ESSEX rules 2026.11-1  by [team.essex.sensory] "
                                       "(same rule, other result)")))
      << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("CM2 0XX")));
}

// New postcode data: a unit of the split sector CM1 4 placed in Chelmsford
// takes the split-sector example from manual triage to a team; old rules
// and new are the same.
TEST_F(ReferralctlReplayFiles, UnitDataSettlesTheSplitSector) {
  const std::string units = (dir_ / "ONSPD_AUG_2025_UK.csv").string();
  std::ofstream(units, std::ios::binary) << referrals::testing::OnsFile(
      referrals::testing::OnsLayout::kAug2025, {{"CM1 4XX", "E07000070", ""}});
  CtlResult r = Replay(absl::StrCat("--postcode_data='", units, "' --as_at=2026-11-27T11:00:00Z",
                                    AllExamples()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("# new: rules 2025.11-1 (from 2025-11-01), 2026.11-1 (from "
                               "2026-11-23); postcode data codepoint-open-2025.4.0-sectors + "
                               "ONSPD AUG 2025 units (1)\n"));
  EXPECT_THAT(CountRows(r.out), Contains("manual-triage -> ecc-care-technology 1"));
  EXPECT_THAT(r.out, HasSubstr("\nCHANGED: 1 of 7\n"));
  EXPECT_THAT(ChangedLines(r.out),
              ElementsAre(absl::StrCat(Example("06-split-sector-manual-triage.json"),
                                       "  MANUAL_TRIAGE manual-triage - rules 2026.11-1  ->  "
                                       "TEAM ecc-care-technology ESSEX rules 2026.11-1  by "
                                       "[location.resolved] (was [route.manual.split_sector])")))
      << r.out;
  ExpectNoPersonalData(r);
}

// The old data can be given too: 2025.11-1 sent every Essex kind to the
// locality teams, so against it the current rules move equipment to ICELS.
TEST_F(ReferralctlReplayFiles, OldRulesCanBeGiven) {
  CtlResult r = Replay(absl::StrCat("--old_rules='", RULES_DIR,
                                    "/2025.11-1.textproto' --as_at=2026-11-27T11:00:00Z '",
                                    Example("02-equipment-colchester.json"), "'"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(CountRows(r.out), ElementsAre("ecc-north-east -> ecc-icels 1"));
  EXPECT_THAT(ChangedLines(r.out),
              ElementsAre(MatchesRegex(".*  TEAM ecc-north-east ESSEX rules 2025.11-1  ->  TEAM "
                                       "ecc-icels ESSEX rules 2026.11-1  by "
                                       "\\[team.essex.equipment\\] \\(was "
                                       "\\[team.essex.locality.north_east\\]\\)")));
}

TEST_F(ReferralctlReplayFiles, NothingChangesWithTheSameData) {
  CtlResult r = Replay(AllExamples());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CountRows(r.out).size(), 7u) << r.out;
  for (const std::string& row : CountRows(r.out)) EXPECT_THAT(row, HasSubstr("unchanged"));
  EXPECT_THAT(r.out, HasSubstr("\nCHANGED: 0 of 7\n"));
}

TEST_F(ReferralctlReplayFiles, AFileThatFailsToLoadIsReportedAndTheRestReplayed) {
  const std::string invalid = (dir_ / "invalid.json").string();
  std::ofstream(invalid) << "{\"kind\": \"COMMUNITY_EQUIPMENT\", \"concern\": \"Ada Secret\"}";
  const std::string garbage = (dir_ / "garbage.json").string();
  std::ofstream(garbage) << "{\"kind\": \"Ada Secret\"";
  CtlResult r = Replay(absl::StrCat("--rules='", rules_, "' /nonexistent.json '", invalid, "' '",
                                    garbage, "' '", Example("02-equipment-colchester.json"), "'"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("\nCHANGED: 1 of 1\n"));
  EXPECT_THAT(r.err, HasSubstr("cannot read /nonexistent.json"));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(invalid, ": invalid referral")));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(garbage, " is not a referral in protobuf JSON")));
  EXPECT_THAT(r.err, Not(HasSubstr("Secret")));
}

TEST_F(ReferralctlReplayFiles, BadUsageExitsTwo) {
  EXPECT_EQ(Replay(absl::StrCat("--as_at=yesterday ", AllExamples())).exit_code, 2);
  // Stored referrals are decided at their own receipt times, against their
  // stored decisions: neither --as_at nor --old_* applies (nor is Redis read).
  EXPECT_EQ(Replay("--as_at=2026-11-27T11:00:00Z --redis=redis://127.0.0.1:1").exit_code, 2);
  EXPECT_EQ(Replay("--old_rules=/x --redis=redis://127.0.0.1:1").exit_code, 2);
  EXPECT_EQ(Replay("--redis=nonsense://x").exit_code, 2);
}

TEST_F(ReferralctlReplayFiles, UnloadableDataExitsOne) {
  CtlResult r = Replay(absl::StrCat("--rules=/nonexistent ", AllExamples()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("new data: "));
}

}  // namespace
}  // namespace referrals
