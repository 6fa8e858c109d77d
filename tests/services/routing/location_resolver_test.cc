// Location resolution over the project's committed sector table, first at
// sector level only, then with unit data (a synthetic ONSPD file).
#include "services/routing/location_resolver.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/routing_data.h"
#include "tests/services/routing/synthetic_postcode_files.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using referrals::testing::StatusIs;

class LocationResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                           REFERRALS_DEFAULT_AUTHORITIES};
    auto data = LoadRoutingData(paths);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = *std::move(data);
  }
  const LocationResolver& resolver() { return data_.engine->resolver(); }

  RoutingData data_;
};

TEST_F(LocationResolverTest, SingleAuthoritySectorResolvesAtSectorLevel) {
  auto resolution = resolver().Resolve("ss1 2ab");
  ASSERT_TRUE(resolution.ok()) << resolution.status();
  EXPECT_EQ(resolution->postcode(), "SS1 2AB");
  EXPECT_EQ(resolution->level(), referrals::v1::RESOLUTION_LEVEL_SECTOR);
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_IN_AREA);
  EXPECT_EQ(resolution->authority_id(), "SOUTHEND");
  EXPECT_EQ(resolution->district_code(), "E06000033");
  EXPECT_FALSE(resolution->data_version().empty());
}

TEST_F(LocationResolverTest, EssexSectorCarriesItsLocality) {
  auto resolution = resolver().Resolve("CO2 7AB");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->authority_id(), "ESSEX");
  EXPECT_EQ(resolution->locality_id(), "NORTH_EAST");
  EXPECT_EQ(resolution->district_name(), "Colchester");
}

// DOMAIN.md: if the sector is split, manual triage naming the candidates;
// never a guess. CM1 4 reaches Chelmsford (Mid) and Uttlesford (West).
TEST_F(LocationResolverTest, SectorAcrossALocalityBoundaryIsSplitWithCandidates) {
  auto resolution = resolver().Resolve("CM1 4ZZ");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT);
  EXPECT_TRUE(resolution->authority_id().empty());
  std::vector<std::string> names;
  for (const auto& candidate : resolution->candidates()) names.push_back(candidate.district_name());
  EXPECT_THAT(names, ElementsAre("Chelmsford", "Uttlesford"));
  EXPECT_GT(resolution->candidates(0).units(), resolution->candidates(1).units());
}

TEST_F(LocationResolverTest, OutOfAreaNamesTheCouncilToContact) {
  auto resolution = resolver().Resolve("CB2 1AB");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA);
  EXPECT_THAT(resolution->out_of_area_councils(), ElementsAre("Cambridgeshire County Council"));
}

TEST_F(LocationResolverTest, UnknownSectorIsNotFound) {
  auto resolution = resolver().Resolve("ZE1 0AA");  // Shetland: not in our areas
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->level(), referrals::v1::RESOLUTION_LEVEL_NOT_FOUND);
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_NOT_FOUND);
}

TEST_F(LocationResolverTest, MalformedPostcodeIsInvalidArgumentWithoutEchoingIt) {
  auto resolution = resolver().Resolve("XYZ 12");
  EXPECT_THAT(resolution, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(resolution.status().message()), Not(HasSubstr("XYZ")));
}

// Across the whole committed table: a split sector never resolves to one
// authority, and a single-authority sector always does.
TEST_F(LocationResolverTest, NoSplitSectorResolvesToASingleAuthority) {
  std::ifstream table(REFERRALS_DEFAULT_SECTORS);
  std::map<std::string, std::set<std::string>> groups;  // sector -> authority/locality
  std::string line;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("sector,", 0) == 0) continue;
    const size_t comma = line.find(',');
    const std::string sector = line.substr(0, comma);
    const std::string district = line.substr(comma + 1, line.find(',', comma + 1) - comma - 1);
    const auto* authority = data_.config->AuthorityForDistrict(district);
    const auto* locality = data_.config->LocalityForDistrict(district);
    groups[sector].insert(std::string(authority ? authority->id() : "OUT") + "/" +
                          (locality ? locality->id() : ""));
  }
  ASSERT_GT(groups.size(), 500u);
  int split = 0;
  for (const auto& [sector, kinds] : groups) {
    auto resolution = resolver().Resolve(sector + "ZZ");
    ASSERT_TRUE(resolution.ok()) << sector;
    if (kinds.size() > 1) {
      ++split;
      EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT) << sector;
    } else {
      EXPECT_NE(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT) << sector;
    }
  }
  EXPECT_GT(split, 0);
}

// With unit data (a synthetic August 2025 ONSPD file of real Essex units):
// the unit decides, and a terminated unit still resolves but says so.
class LocationResolverUnitDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("location_resolver_test_", ::getpid());
    std::filesystem::create_directories(dir_);
    const std::string path = (dir_ / "ONSPD_AUG_2025_UK.csv").string();
    {
      std::ofstream out(path, std::ios::binary);
      out << referrals::testing::OnsFile(referrals::testing::OnsLayout::kAug2025,
                                         {{"SS17 9FP", "E07000066", "202311"},
                                          {"SS9 3RB", "E07000069", ""},
                                          {"CB2 1TA", "E07000008", ""}});
    }
    RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, path,
                           REFERRALS_DEFAULT_AUTHORITIES};
    auto data = LoadRoutingData(paths);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = *std::move(data);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  const LocationResolver& resolver() { return data_.engine->resolver(); }

  std::filesystem::path dir_;
  RoutingData data_;
};

TEST_F(LocationResolverUnitDataTest, TerminatedUnitStillResolvesAndIsMarked) {
  // SS17 9 is split (Thurrock / Basildon); the unit is in Basildon.
  auto resolution = resolver().Resolve("ss17 9fp");
  ASSERT_TRUE(resolution.ok()) << resolution.status();
  EXPECT_EQ(resolution->level(), referrals::v1::RESOLUTION_LEVEL_UNIT);
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_IN_AREA);
  EXPECT_EQ(resolution->authority_id(), "ESSEX");
  EXPECT_EQ(resolution->district_name(), "Basildon");
  EXPECT_TRUE(resolution->terminated());
  EXPECT_THAT(resolution->data_version(), HasSubstr(" + ONSPD AUG 2025 units (3)"));
}

TEST_F(LocationResolverUnitDataTest, LiveUnitIsNotMarkedTerminated) {
  auto resolution = resolver().Resolve("SS9 3RB");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->level(), referrals::v1::RESOLUTION_LEVEL_UNIT);
  EXPECT_EQ(resolution->district_name(), "Castle Point");
  EXPECT_FALSE(resolution->terminated());
}

TEST_F(LocationResolverUnitDataTest, OutOfAreaUnitNamesTheCouncil) {
  auto resolution = resolver().Resolve("CB2 1TA");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA);
  EXPECT_THAT(resolution->out_of_area_councils(), ElementsAre("Cambridgeshire County Council"));
}

TEST_F(LocationResolverUnitDataTest, SectorFallbackIsNeverTerminated) {
  auto resolution = resolver().Resolve("SS17 9ZZ");
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->level(), referrals::v1::RESOLUTION_LEVEL_SECTOR);
  EXPECT_EQ(resolution->outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT);
  EXPECT_FALSE(resolution->terminated());
}

// Issue 4: every unit of the real Code-Point release, resolved from the
// committed sector table alone, is never placed in a wrong authority or
// locality: right, or manual triage (split or unknown sector). Prints the
// manual-triage share.
TEST(LocationResolverRealData, SectorModeNeverPlacesAUnitWrongly) {
  const char* codepoint_dir = std::getenv("REFERRALS_CODEPOINT_DIR");
  if (codepoint_dir == nullptr || *codepoint_dir == '\0') {
    GTEST_SKIP() << "set REFERRALS_CODEPOINT_DIR to an OS Code-Point Open directory "
                    "(e.g. /work/shared/data/codepoint-open-2025.4) to run this test";
  }
  RoutingDataPaths sector_paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                                REFERRALS_DEFAULT_AUTHORITIES};
  ASSERT_OK_AND_ASSIGN(RoutingData sectors, LoadRoutingData(sector_paths));
  RoutingDataPaths unit_paths = sector_paths;
  unit_paths.postcode_data = codepoint_dir;
  ASSERT_OK_AND_ASSIGN(RoutingData units, LoadRoutingData(unit_paths));
  const RulesConfig& rules = *sectors.config;

  int64_t checked = 0, right = 0, manual = 0, wrong = 0, out_of_area = 0;
  int64_t ours = 0, ours_manual = 0;  // units in the three authorities
  for (const std::string& file : units.engine->resolver().directory().load_report().files_read) {
    if (file == REFERRALS_DEFAULT_SECTORS) continue;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields = absl::StrSplit(line, ',');
      if (fields.size() != 10) continue;
      for (std::string& field : fields) field = std::string(absl::StripAsciiWhitespace(field));
      for (std::string& field : fields) {
        if (field.size() >= 2 && field.front() == '"') field = field.substr(1, field.size() - 2);
      }
      const std::string& district = fields[8];
      if (district.empty()) continue;  // no grid reference: no district to compare with
      ++checked;
      const auto* authority = rules.AuthorityForDistrict(district);
      const auto* locality = rules.LocalityForDistrict(district);
      ours += authority != nullptr;
      absl::StatusOr<referrals::v1::LocationResolution> got =
          sectors.engine->resolver().Resolve(fields[0]);
      ASSERT_TRUE(got.ok()) << got.status();
      switch (got->outcome()) {
        case referrals::v1::LOCATION_OUTCOME_IN_AREA:
          if (authority != nullptr && got->authority_id() == authority->id() &&
              got->locality_id() == (locality ? locality->id() : "")) {
            ++right;
          } else {
            ++wrong;
            ADD_FAILURE() << "unit in district " << district << " placed in "
                          << got->authority_id() << "/" << got->locality_id();
          }
          break;
        case referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA:
          if (authority == nullptr) {
            ++right;
            ++out_of_area;
          } else {
            ++wrong;
            ADD_FAILURE() << "unit in " << authority->id() << " district " << district
                          << " called out of area";
          }
          break;
        default:  // split or unknown sector: manual triage, never a guess
          ++manual;
          ours_manual += authority != nullptr;
      }
    }
  }
  std::cout << "[sector mode] units checked " << checked << ", right " << right
            << " (of which out of area " << out_of_area << "), manual triage " << manual << " ("
            << absl::StrFormat("%.2f", 100.0 * static_cast<double>(manual) /
                                           static_cast<double>(std::max<int64_t>(checked, 1)))
            << "%), wrong " << wrong << "; of the " << ours
            << " units in Essex, Southend and Thurrock, manual triage " << ours_manual << " ("
            << absl::StrFormat("%.2f", 100.0 * static_cast<double>(ours_manual) /
                                           static_cast<double>(std::max<int64_t>(ours, 1)))
            << "%)\n";
  EXPECT_GT(checked, 100000);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(right + manual, checked);
}

}  // namespace
}  // namespace referrals
