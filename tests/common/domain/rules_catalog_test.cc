// Rules versions: the committed ones in config/rules/, and the checks that
// keep a set of versions (and each version's new sections) consistent.
#include "common/domain/rules_catalog.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time London(int y, int m, int d, int hh, int mm, int ss = 0) {
  absl::TimeZone london;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), london);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A scratch directory, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("rules_catalog_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The committed version text with its header replaced.
std::string Version(const std::string& version, const std::string& effective_from) {
  std::string text = ReadAll(REFERRALS_RULES_2026);
  auto replace = [&text](const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  replace("version: \"2026.11-1\"", "version: \"" + version + "\"");
  replace("effective_from: \"2026-11-23\"", "effective_from: \"" + effective_from + "\"");
  return text;
}

TEST(RulesCatalogTest, LoadsEveryCommittedVersionOldestFirst) {
  ASSERT_OK_AND_ASSIGN(auto catalog, RulesCatalog::Load(REFERRALS_DEFAULT_RULES));
  ASSERT_EQ(catalog->versions().size(), 2u);
  EXPECT_EQ(catalog->versions()[0]->version(), "2025.11-1");
  EXPECT_EQ(catalog->versions()[1]->version(), "2026.11-1");
  EXPECT_EQ(catalog->Describe(), "2025.11-1 (from 2025-11-01), 2026.11-1 (from 2026-11-23)");
}

TEST(RulesCatalogTest, AVersionIsInForceFromLocalMidnightOfItsDate) {
  ASSERT_OK_AND_ASSIGN(auto catalog, RulesCatalog::Load(REFERRALS_DEFAULT_RULES));
  EXPECT_EQ(catalog->InForceAt(London(2026, 11, 22, 23, 59, 59))->version(), "2025.11-1");
  EXPECT_EQ(catalog->InForceAt(London(2026, 11, 23, 0, 0))->version(), "2026.11-1");
  EXPECT_EQ(catalog->InForceAt(London(2030, 1, 1, 0, 0))->version(), "2026.11-1");
  // Before every version: the earliest, as there is nothing else.
  EXPECT_EQ(catalog->InForceAt(London(2020, 1, 1, 0, 0))->version(), "2025.11-1");
  EXPECT_EQ(catalog->Find("2025.11-1")->version(), "2025.11-1");
  EXPECT_EQ(catalog->Find("1999.01-1"), nullptr);
}

// The 2028-style switch: a reorganisation is a new file, not a code change.
TEST(RulesCatalogTest, ANewFileWithALaterDateTakesOverOnThatDate) {
  ScratchDir dir;
  dir.Write("a.textproto", Version("2026.11-1", "2026-11-23"));
  dir.Write("b.textproto", Version("2028.04-1", "2028-04-01"));
  dir.Write("README.txt", "not a rules file: ignored");
  ASSERT_OK_AND_ASSIGN(auto catalog, RulesCatalog::Load(dir.path()));
  // 2028-04-01 00:30 BST is still 2028-03-31 in UTC: the local date counts.
  EXPECT_EQ(catalog->InForceAt(London(2028, 3, 31, 23, 59))->version(), "2026.11-1");
  EXPECT_EQ(catalog->InForceAt(London(2028, 4, 1, 0, 30))->version(), "2028.04-1");
}

TEST(RulesCatalogTest, RefusesConflictingVersions) {
  ScratchDir dir;
  dir.Write("a.textproto", Version("2026.11-1", "2026-11-23"));
  dir.Write("b.textproto", Version("2026.11-1", "2027-01-01"));
  EXPECT_THAT(RulesCatalog::Load(dir.path()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules version \"2026.11-1\" is loaded twice")));

  ScratchDir same_day;
  same_day.Write("a.textproto", Version("2026.11-1", "2026-11-23"));
  same_day.Write("b.textproto", Version("2026.11-2", "2026-11-23"));
  EXPECT_THAT(RulesCatalog::Load(same_day.path()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("both take effect on 2026-11-23")));
}

TEST(RulesCatalogTest, NamesTheFileAndPlaceOfEveryProblem) {
  ScratchDir dir;
  std::string broken = Version("2027.01-1", "2027-01-01");
  // Two windows for one Monday.
  const std::string monday = "open { day: MONDAY opens: \"09:00\" closes: \"17:30\" }";
  broken.replace(broken.find(monday), monday.size(),
                 monday + "\n    open { day: MONDAY opens: \"12:00\" closes: \"18:00\" }");
  const std::string file = dir.Write("broken.textproto", broken);
  absl::Status status = RulesCatalog::Load(dir.path()).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr(file + ": authorities[0] (id \"ESSEX\"): "
                                                "office_hours.open[1]: Monday already has")));
}

TEST(RulesCatalogTest, MissingPathsAreNotFound) {
  EXPECT_THAT(RulesCatalog::Load("/nonexistent/rules").status(),
              StatusIs(absl::StatusCode::kNotFound));
  ScratchDir empty;
  EXPECT_THAT(RulesCatalog::Load(empty.path()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("holds no .textproto files")));
}

TEST(RulesCatalogTest, ValidatesTimeZoneCalendarsAndResponseTargets) {
  ScratchDir dir;
  std::string text = Version("2027.01-1", "2027-01-01");
  auto replace = [&text](const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("time_zone: \"Europe/London\"", "time_zone: \"Europe/Essex\"");
  replace("holiday_calendar: \"ENGLAND_AND_WALES\"", "holiday_calendar: \"ENGLAND\"");
  replace("response_targets { priority: PRIORITY_URGENT minutes: 240 }",
          "response_targets { priority: PRIORITY_EMERGENCY minutes: 0 }");
  dir.Write("bad.textproto", text);
  const std::string message(RulesCatalog::Load(dir.path()).status().message());
  EXPECT_THAT(message, HasSubstr("time_zone: \"Europe/Essex\" is not a time zone"));
  EXPECT_THAT(message, HasSubstr("office_hours.holiday_calendar \"ENGLAND\" is not a holiday "
                                 "calendar"));
  EXPECT_THAT(message, HasSubstr("response_targets[1]: priority PRIORITY_EMERGENCY also has "
                                 "response_targets[0]"));
  EXPECT_THAT(message, HasSubstr("response_targets[1]: minutes must be more than 0"));
}

TEST(RulesCatalogTest, CommittedVersionsKnowTheirOfficeHoursAndTargets) {
  ASSERT_OK_AND_ASSIGN(auto catalog, RulesCatalog::Load(REFERRALS_DEFAULT_RULES));
  for (const auto& version : catalog->versions()) {
    for (const char* authority : {"ESSEX", "SOUTHEND", "THURROCK"}) {
      ASSERT_NE(version->OfficeHoursOf(authority), nullptr) << authority;
      // Christmas Day 2026 at noon is out of hours everywhere.
      EXPECT_TRUE(version->OfficeHoursOf(authority)->Check(London(2026, 12, 25, 12, 0)).out_of_hours);
    }
    EXPECT_EQ(version->ResponseTarget(referrals::v1::PRIORITY_EMERGENCY), absl::Minutes(60));
  }
}

}  // namespace
}  // namespace referrals
