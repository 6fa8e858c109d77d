// PostcodeDirectory over ONS unit data (ONSPD and NSPL, in the legacy and
// the August 2025 layouts), written by each test to a temporary directory.
// Postcodes are real Essex units with their real districts (from Code-Point
// Open 2025.4); every other field is synthetic.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/postcode_directory.h"
#include "tests/services/routing/synthetic_postcode_files.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;

using referrals::testing::IsOk;
using referrals::testing::OnsFile;
using referrals::testing::OnsHeader;
using referrals::testing::OnsLayout;
using referrals::testing::OnsRow;
using referrals::testing::StatusIs;
using referrals::testing::SyntheticUnit;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kChelmsford[] = "E07000070";
constexpr char kColchester[] = "E07000071";
constexpr char kSouthend[] = "E06000033";
constexpr char kThurrock[] = "E06000034";
constexpr char kBasildon[] = "E07000066";
constexpr char kCastlePoint[] = "E07000069";
constexpr char kBrentwood[] = "E07000068";

constexpr char kSectorTable[] =
    "# data_version: test-sectors-1\n"
    "sector,district_code,units\n"
    "SS9 3,E06000033,202\n"
    "SS9 3,E07000069,8\n"
    "SS17 9,E06000034,135\n"
    "SS17 9,E07000066,7\n"
    "CM1 1,E07000070,300\n";

// Live units, and two terminated ones (doterm set).
const std::vector<SyntheticUnit>& EssexUnits() {
  static const std::vector<SyntheticUnit> units = {
      {"CM1 1AE", kChelmsford, ""},  {"SS1 1AA", kSouthend, ""},
      {"RM17 5AA", kThurrock, ""},   {"SS9 3RB", kCastlePoint, ""},
      {"SS17 9FP", kBasildon, ""},   {"CO1 1AA", kColchester, ""},
      {"CM13 1AB", kBrentwood, ""},  {"CM1 1ZW", kChelmsford, "201903"},
      {"SS1 1ZT", kSouthend, "202406"}};
  return units;
}

void WriteFile(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  ASSERT_TRUE(out.good()) << path;
}

class OnsUnitDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("postcode_directory_ons_test_", info->name(), "_", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sectors_ = (dir_ / "sectors.csv").string();
    WriteFile(sectors_, kSectorTable);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `contents` to `name` under the test directory; returns its path.
  std::string Write(const std::string& name, const std::string& contents) {
    WriteFile(dir_ / name, contents);
    return (dir_ / name).string();
  }

  static Postcode P(const std::string& text) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(text);
    EXPECT_THAT(postcode, IsOk()) << text;
    return postcode.ok() ? *postcode : Postcode{};
  }

  // Every unit of EssexUnits() resolves at unit level to its district, and
  // is marked terminated exactly when it has a doterm.
  static void ExpectEssexUnitsResolve(const PostcodeDirectory& directory) {
    for (const SyntheticUnit& unit : EssexUnits()) {
      const PostcodeLookup lookup = directory.Lookup(P(unit.postcode));
      EXPECT_EQ(lookup.level, LookupLevel::kUnit) << unit.postcode;
      EXPECT_THAT(lookup.districts, ElementsAre(DistrictUnits{unit.district, 1})) << unit.postcode;
      EXPECT_EQ(lookup.terminated, !unit.doterm.empty()) << unit.postcode;
    }
  }

  fs::path dir_;
  std::string sectors_;
};

// Layouts.

TEST_F(OnsUnitDataTest, LegacyOnspdLoadsByColumnName) {
  const std::string path =
      Write("ONSPD_FEB_2023_UK.csv", OnsFile(OnsLayout::kOnspdLegacy, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  ExpectEssexUnitsResolve(*directory);
  const LoadReport& report = directory->load_report();
  EXPECT_EQ(report.unit_format, "ONSPD");
  EXPECT_EQ(report.unit_data_version, "ONSPD FEB 2023");
  EXPECT_EQ(report.unit_layout,
            "header: postcode pcds (field 3), district oslaua (field 8), terminated doterm "
            "(field 5); 53 fields");
  EXPECT_EQ(report.unit_rows_read, 9);
  EXPECT_EQ(report.units_loaded, 9);
  EXPECT_EQ(report.units_terminated, 2);
  EXPECT_EQ(report.unit_rows_skipped, 0);
  EXPECT_EQ(report.unit_districts, 7);
  EXPECT_THAT(report.units_by_area,
              ElementsAre(Pair("CM", 3), Pair("CO", 1), Pair("RM", 1), Pair("SS", 4)));
  EXPECT_EQ(directory->data_version(), "test-sectors-1 + ONSPD FEB 2023 units (9)");
}

TEST_F(OnsUnitDataTest, LegacyNsplLoadsByColumnName) {
  const std::string path =
      Write("NSPL21_FEB_2024_UK.csv", OnsFile(OnsLayout::kNsplLegacy, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  ExpectEssexUnitsResolve(*directory);
  const LoadReport& report = directory->load_report();
  EXPECT_EQ(report.unit_format, "NSPL");
  EXPECT_EQ(report.unit_data_version, "NSPL21 FEB 2024");
  EXPECT_EQ(report.unit_layout,
            "header: postcode pcds (field 3), district laua (field 13), terminated doterm "
            "(field 5); 35 fields");
  EXPECT_EQ(report.units_terminated, 2);
}

TEST_F(OnsUnitDataTest, August2025LayoutLoadsByColumnName) {
  const std::string path =
      Write("ONSPD_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  ExpectEssexUnitsResolve(*directory);
  const LoadReport& report = directory->load_report();
  EXPECT_EQ(report.unit_format, "ONSPD");
  EXPECT_EQ(report.unit_data_version, "ONSPD AUG 2025");
  EXPECT_EQ(report.unit_layout,
            "header: postcode pcds (field 3), district lad25cd (field 13), terminated doterm "
            "(field 5); 35 fields");
  EXPECT_EQ(directory->data_version(), "test-sectors-1 + ONSPD AUG 2025 units (9)");
}

TEST_F(OnsUnitDataTest, UnitLevelOverridesASplitSector) {
  // SS17 9 is Thurrock 135 / Basildon 7: only the unit says Basildon.
  const std::string path =
      Write("ONSPD_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_THAT(directory->Lookup(P("SS17 9FP")).districts,
              ElementsAre(DistrictUnits{kBasildon, 1}));
  const PostcodeLookup sector = directory->Lookup(P("SS17 9ZZ"));
  EXPECT_EQ(sector.level, LookupLevel::kSector);
  EXPECT_FALSE(sector.terminated);
}

TEST_F(OnsUnitDataTest, LaterYearDistrictColumnWins) {
  // A 2026 file may carry both; the newer boundaries decide.
  const std::string path = Write("lookup.csv",
                                 "pcds,lad25cd,lad26cd,doterm\n"
                                 "\"CM1 1AE\",\"E07000070\",\"E06000099\",\"\"\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_THAT(directory->Lookup(P("CM1 1AE")).districts,
              ElementsAre(DistrictUnits{"E06000099", 1}));
  EXPECT_THAT(directory->load_report().unit_layout, HasSubstr("district lad26cd (field 3)"));
}

TEST_F(OnsUnitDataTest, PaddedPostcodeColumnsAreUsedWithoutPcds) {
  // pcd7/pcd8 only, with their padding ("E1   6AN"); case and spacing are
  // normalised as for any postcode.
  const std::string path = Write("lookup.csv",
                                 "pcd8,lad25cd\n"
                                 "\"CM13 1AB\",\"E07000068\"\n"
                                 "\"SS9  3RB\",\"E07000069\"\n"
                                 "\"e1   6an\",\"E09000030\"\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_THAT(directory->Lookup(P("CM13 1AB")).districts,
              ElementsAre(DistrictUnits{kBrentwood, 1}));
  EXPECT_THAT(directory->Lookup(P("SS9 3RB")).districts,
              ElementsAre(DistrictUnits{kCastlePoint, 1}));
  EXPECT_EQ(directory->Lookup(P("E1 6AN")).level, LookupLevel::kUnit);
  EXPECT_THAT(directory->load_report().unit_layout,
              AllOf(HasSubstr("postcode pcd8 (field 1)"), HasSubstr("no doterm column")));
  EXPECT_FALSE(directory->Lookup(P("SS9 3RB")).terminated);
}

TEST_F(OnsUnitDataTest, PcdsIsPreferredOverThePaddedForms) {
  // pcd holds something else here: the loader must have used pcds.
  const std::string path = Write("lookup.csv",
                                 "pcd,pcds,oslaua\n"
                                 "\"SS1 1AA\",\"CM1 1AE\",\"E07000070\"\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_EQ(directory->Lookup(P("CM1 1AE")).level, LookupLevel::kUnit);
  EXPECT_NE(directory->Lookup(P("SS1 1AA")).level, LookupLevel::kUnit);
}

TEST_F(OnsUnitDataTest, HeaderNamesMatchInAnyCaseQuotedOrNot) {
  const std::string path = Write("lookup.csv",
                                 "\"PCD7\",\"PCDS\",\" DoTerm \",\"LAD25CD\"\n"
                                 "\"CM1 1AE\",\"CM1 1AE\",\"201903\",\"E07000070\"\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_TRUE(directory->Lookup(P("CM1 1AE")).terminated);
  EXPECT_EQ(directory->load_report().unit_format, "ONSPD/NSPL");
}

// Formats and versions from names and columns.

TEST_F(OnsUnitDataTest, UnnamedFilesTakeTheirFormatFromColumns) {
  const std::string onspd = Write("a/postcodes.csv", OnsFile(OnsLayout::kOnspdLegacy, EssexUnits()));
  const std::string nspl = Write("b/postcodes.csv", OnsFile(OnsLayout::kNsplLegacy, EssexUnits()));
  const std::string neither = Write("c/postcodes.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto a, PostcodeDirectory::Create(sectors_, onspd));
  ASSERT_OK_AND_ASSIGN(auto b, PostcodeDirectory::Create(sectors_, nspl));
  ASSERT_OK_AND_ASSIGN(auto c, PostcodeDirectory::Create(sectors_, neither));
  EXPECT_EQ(a->load_report().unit_format, "ONSPD");
  EXPECT_EQ(b->load_report().unit_format, "NSPL");
  EXPECT_EQ(c->load_report().unit_format, "ONSPD/NSPL");
  EXPECT_EQ(c->load_report().unit_data_version, "postcodes.csv");
  EXPECT_EQ(c->data_version(), "test-sectors-1 + postcodes.csv units (9)");
}

TEST_F(OnsUnitDataTest, DirectoryOfSeveralFilesLoadsThemAll) {
  // ONSPD's Data/multi_csv style: one file per area, one header each.
  std::map<std::string, std::vector<SyntheticUnit>> by_area;
  for (const SyntheticUnit& unit : EssexUnits()) {
    by_area[unit.postcode.substr(0, 2)].push_back(unit);
  }
  for (const auto& [area, units] : by_area) {
    Write(absl::StrCat("multi/ONSPD_AUG_2025_UK_", area, ".csv"),
          OnsFile(OnsLayout::kAug2025, units));
  }
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(sectors_, (dir_ / "multi").string()));
  ExpectEssexUnitsResolve(*directory);
  const LoadReport& report = directory->load_report();
  ASSERT_EQ(report.files_read.size(), 5u);
  EXPECT_THAT(report.files_read[1], HasSubstr("ONSPD_AUG_2025_UK_CM.csv"));
  EXPECT_THAT(report.files_read[4], HasSubstr("ONSPD_AUG_2025_UK_SS.csv"));
  EXPECT_EQ(report.unit_format, "ONSPD");
  EXPECT_EQ(report.unit_data_version, "ONSPD AUG 2025");
  EXPECT_EQ(report.units_loaded, 9);
}

TEST_F(OnsUnitDataTest, ReleaseDirectoryReadsDataButNotMultiCsv) {
  // Both hold every unit: reading both would be a duplicate-unit error.
  Write("release/Data/ONSPD_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  Write("release/Data/multi_csv/ONSPD_AUG_2025_UK_CM.csv",
        OnsFile(OnsLayout::kAug2025, EssexUnits()));
  Write("release/Documents/readme.txt", "user guide\n");
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(sectors_, (dir_ / "release").string()));
  EXPECT_EQ(directory->load_report().units_loaded, 9);
  EXPECT_EQ(directory->load_report().files_read.size(), 2u);
}

TEST_F(OnsUnitDataTest, FilesOfDifferentReleasesAreVersionedByTheDirectory) {
  // Same layout, different release names (e.g. a renamed copy).
  Write("mixed/ONSPD_AUG_2025_UK_CM.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[0]}));
  Write("mixed/ONSPD_NOV_2025_UK_SS.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[1]}));
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(sectors_, (dir_ / "mixed").string() + "/"));
  EXPECT_EQ(directory->load_report().unit_data_version, "mixed");
}

// Tolerated input.

TEST_F(OnsUnitDataTest, QuotedCommasByteOrderMarkAndCrLfAreTolerated) {
  const std::string crlf_bom = absl::StrCat(
      "\xEF\xBB\xBF", OnsHeader(OnsLayout::kAug2025), "\r\n",
      OnsRow(OnsLayout::kAug2025, EssexUnits()[0], {{"wd25cd", "Moulsham, and Central"}}), "\r\n",
      "\r\n",  // a blank line
      OnsRow(OnsLayout::kAug2025, EssexUnits()[7], {{"oa21cd", "a \"\"quoted\"\", value"}}),
      "\r\n", OnsRow(OnsLayout::kAug2025, EssexUnits()[1]));  // no final line end
  const std::string path = Write("ONSPD_AUG_2025_UK.csv", crlf_bom);
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  EXPECT_EQ(directory->load_report().units_loaded, 3);
  EXPECT_THAT(directory->Lookup(P("CM1 1AE")).districts,
              ElementsAre(DistrictUnits{kChelmsford, 1}));
  EXPECT_TRUE(directory->Lookup(P("CM1 1ZW")).terminated);
  EXPECT_EQ(directory->Lookup(P("SS1 1AA")).level, LookupLevel::kUnit);
}

TEST_F(OnsUnitDataTest, UnitsWithoutADistrictOrAUnitPostcodeAreSkippedAndCounted) {
  const std::vector<SyntheticUnit> units = {
      {"CM1 1AE", kChelmsford, ""},
      {"GY1 1AA", "L99999999", ""},  // Guernsey: pseudo code
      {"IM1 1AA", "M99999999", ""},  // Isle of Man: pseudo code
      {"SS9 3RB", "", ""},           // no district
      {"GIR 0AA", "E09000033", ""},  // not a geographic unit postcode
  };
  const std::string path = Write("ONSPD_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, units));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, path));
  const LoadReport& report = directory->load_report();
  EXPECT_EQ(report.unit_rows_read, 5);
  EXPECT_EQ(report.units_loaded, 1);
  EXPECT_EQ(report.unit_rows_skipped, 4);
  EXPECT_THAT(report.skipped_by_reason,
              ElementsAre(Pair("no district code", 1), Pair("not a unit postcode", 1),
                          Pair("pseudo district code", 2)));
  EXPECT_EQ(directory->Lookup(P("GY1 1AA")).level, LookupLevel::kNotFound);
  EXPECT_EQ(directory->Lookup(P("SS9 3RB")).level, LookupLevel::kSector);
}

TEST_F(OnsUnitDataTest, EmptyFilesInADirectoryContributeNothing) {
  Write("dir/ONSPD_AUG_2025_UK_AB.csv", "");
  Write("dir/ONSPD_AUG_2025_UK_CM.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(sectors_, (dir_ / "dir").string()));
  EXPECT_EQ(directory->load_report().units_loaded, 9);
}

// Refusals: each names the file, the line and, for a field, the column; and
// Create returns no directory at all.

TEST_F(OnsUnitDataTest, HeaderWithoutPostcodeColumnListsTheColumns) {
  const std::string path = Write("bad.csv",
                                 "postcode,lad25cd,doterm\n"
                                 "\"CM1 1AE\",\"E07000070\",\"\"\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:1:"), HasSubstr("no postcode column"),
                             HasSubstr("pcds, pcd, pcd7, pcd2 or pcd8"),
                             HasSubstr("its columns are: postcode, lad25cd, doterm"))));
}

TEST_F(OnsUnitDataTest, HeaderWithoutDistrictColumnListsTheColumns) {
  const std::string path = Write("bad.csv",
                                 "pcds,ladcd,lad2025cd\n"
                                 "\"CM1 1AE\",\"E07000070\",\"E07000070\"\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:1:"), HasSubstr("no district column"),
                             HasSubstr("its columns are: pcds, ladcd, lad2025cd"))));
}

TEST_F(OnsUnitDataTest, ColumnNamedTwiceIsRefused) {
  const std::string path = Write("bad.csv", "pcds,lad25cd,pcds\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:1:"), HasSubstr("pcds twice (fields 1 and 3)"))));
}

TEST_F(OnsUnitDataTest, RowWithWrongFieldCountNamesFileAndLine) {
  std::string contents = OnsFile(OnsLayout::kAug2025, {EssexUnits()[0], EssexUnits()[1]});
  absl::StrAppend(&contents, "\"SS9 3RB\",\"SS9  3RB\",\"SS9 3RB\",\"198001\"\n");
  const std::string path = Write("ONSPD_AUG_2025_UK.csv", contents);
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK.csv:4:"),
                             HasSubstr("has 4 comma-separated fields, expected 35"))));
}

TEST_F(OnsUnitDataTest, UnquotedCommaInAFieldIsAWrongFieldCount) {
  const std::string contents = absl::StrCat(
      OnsHeader(OnsLayout::kAug2025), "\n",
      absl::StrReplaceAll(OnsRow(OnsLayout::kAug2025, EssexUnits()[0], {{"wd25cd", "X"}}),
                          {{"\"X\"", "Moulsham, Central"}}),
      "\n");
  const std::string path = Write("bad.csv", contents);
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:2:"), HasSubstr("36 comma-separated fields"))));
}

TEST_F(OnsUnitDataTest, UnbalancedQuoteNamesTheColumn) {
  const std::string contents =
      absl::StrCat(OnsHeader(OnsLayout::kAug2025), "\n",
                   absl::StrReplaceAll(OnsRow(OnsLayout::kAug2025, EssexUnits()[0]),
                                       {{"\"E07000070\"", "\"E07000070"}}),
                   "\n");
  const std::string path = Write("bad.csv", contents);
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:2:"), HasSubstr("field 13 (lad25cd)"),
                             HasSubstr("quotes"))));
}

TEST_F(OnsUnitDataTest, BadDistrictCodeNamesTheColumn) {
  const std::string path = Write(
      "ONSPD_FEB_2023_UK.csv",
      OnsFile(OnsLayout::kOnspdLegacy, {EssexUnits()[0], {"SS1 1AA", "Southend", ""}}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_FEB_2023_UK.csv:3:"),
                             HasSubstr("field 8 (oslaua) is not a GSS code"))));
}

TEST_F(OnsUnitDataTest, BadTerminationDateNamesTheColumn) {
  const std::string path = Write("ONSPD_AUG_2025_UK.csv",
                                 OnsFile(OnsLayout::kAug2025, {{"SS1 1AA", kSouthend, "2024-06"}}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK.csv:2:"),
                             HasSubstr("field 5 (doterm)"), HasSubstr("YYYYMM"))));
}

TEST_F(OnsUnitDataTest, DuplicateUnitIsRefused) {
  const std::string path = Write(
      "ONSPD_AUG_2025_UK.csv",
      OnsFile(OnsLayout::kAug2025, {EssexUnits()[0], EssexUnits()[1], {"cm1 1ae", kSouthend, ""}}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK.csv:4:"), HasSubstr("field 3 (pcds)"),
                             HasSubstr("repeats a postcode unit"))));
}

TEST_F(OnsUnitDataTest, DuplicateUnitAcrossFilesIsRefused) {
  Write("dir/ONSPD_AUG_2025_UK_CM.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  Write("dir/ONSPD_AUG_2025_UK_SS.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[3]}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "dir").string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK_SS.csv:2:"), HasSubstr("repeats"))));
}

TEST_F(OnsUnitDataTest, MixedFormatsInOneDirectoryAreRefused) {
  Write("dir/a.csv",
        "\"CM1 1AE\",10,570000,206000,\"E92000001\",\"E19000001\",\"E18000006\","
        "\"E10000012\",\"E07000070\",\"E05004102\"\n");
  Write("dir/b.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[1]}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "dir").string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("b.csv:1:"), HasSubstr("a.csv is OS Code-Point Open"),
                             HasSubstr("must all be of one format"))));
}

TEST_F(OnsUnitDataTest, OnspdAndNsplInOneDirectoryAreRefused) {
  Write("dir/NSPL_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[0]}));
  Write("dir/ONSPD_AUG_2025_UK.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[1]}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "dir").string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK.csv:1: is ONSPD but"),
                             HasSubstr("NSPL_AUG_2025_UK.csv is NSPL"),
                             HasSubstr("one format"))));
}

TEST_F(OnsUnitDataTest, DifferentHeadersInOneDirectoryAreRefused) {
  // A legacy and an August 2025 file: two releases mixed up.
  Write("dir/a.csv", OnsFile(OnsLayout::kNsplLegacy, {EssexUnits()[0]}));
  Write("dir/b.csv", OnsFile(OnsLayout::kAug2025, {EssexUnits()[1]}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "dir").string()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("b.csv:1:"), HasSubstr("header differs from that of"),
                             HasSubstr("a.csv"))));
}

TEST_F(OnsUnitDataTest, EmptyDirectoryIsNotFound) {
  fs::create_directories(dir_ / "empty");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "empty").string()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no CSV files")));
}

TEST_F(OnsUnitDataTest, HeaderOnlyLoadsNoUnitAndIsRefused) {
  const std::string path = Write("ONSPD_AUG_2025_UK.csv", OnsHeader(OnsLayout::kAug2025) + "\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ONSPD_AUG_2025_UK.csv"), HasSubstr("no unit loaded"))));
}

TEST_F(OnsUnitDataTest, OnlySkippedRowsIsRefusedWithTheReasons) {
  const std::string path = Write("ONSPD_AUG_2025_UK.csv",
                                 OnsFile(OnsLayout::kAug2025, {{"GY1 1AA", "L99999999", ""}}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no unit loaded from 1 data rows"),
                             HasSubstr("pseudo district code 1"))));
}

TEST_F(OnsUnitDataTest, ErrorOnTheVeryLastLineStillLoadsNothing) {
  // Everything before the bad line was good: still no directory.
  Write("dir/ONSPD_AUG_2025_UK_CM.csv", OnsFile(OnsLayout::kAug2025, EssexUnits()));
  Write("dir/ONSPD_AUG_2025_UK_ZZ.csv",
        absl::StrCat(OnsHeader(OnsLayout::kAug2025), "\n", "\"ZZ\"\n"));
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      PostcodeDirectory::Create(sectors_, (dir_ / "dir").string());
  EXPECT_THAT(directory, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("ONSPD_AUG_2025_UK_ZZ.csv:2:")));
  EXPECT_FALSE(directory.ok());
}

TEST_F(OnsUnitDataTest, ErrorsDoNotEchoOtherRowsData) {
  // The message names place and column, not neighbouring values.
  const std::string path = Write(
      "ONSPD_AUG_2025_UK.csv",
      OnsFile(OnsLayout::kAug2025, {{"SS1 1AA", kSouthend, "bad"}}));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, path),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("SS1 1AA"))));
}

// The real Code-Point release rewritten as an August 2025 ONSPD file: the
// same units must give the same answers through either loader.
TEST_F(OnsUnitDataTest, RealCodePointUnitsAnswerTheSameAsOnspd) {
  const char* codepoint_dir = std::getenv("REFERRALS_CODEPOINT_DIR");
  if (codepoint_dir == nullptr || *codepoint_dir == '\0') {
    GTEST_SKIP() << "set REFERRALS_CODEPOINT_DIR to an OS Code-Point Open directory to run this";
  }
  ASSERT_OK_AND_ASSIGN(auto codepoint,
                       PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, codepoint_dir));
  std::string onspd = OnsHeader(OnsLayout::kAug2025) + "\n";
  std::vector<Postcode> postcodes;
  int64_t n = 0;
  for (const std::string& file : codepoint->load_report().files_read) {
    if (file == REFERRALS_DEFAULT_SECTORS) continue;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields = absl::StrSplit(line, ',');
      ASSERT_EQ(fields.size(), 10u);
      for (std::string& field : fields) {
        field = std::string(absl::StripPrefix(absl::StripSuffix(field, "\""), "\""));
      }
      // Every tenth unit terminated, to carry the bit through a real-sized table.
      absl::StrAppend(&onspd,
                      OnsRow(OnsLayout::kAug2025, {fields[0], fields[8], ++n % 10 == 0 ? "202001" : ""}),
                      "\n");
      postcodes.push_back(*ParsePostcode(fields[0]));
    }
  }
  const std::string path = Write("ONSPD_AUG_2025_UK.csv", onspd);
  ASSERT_OK_AND_ASSIGN(auto ons, PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, path));
  EXPECT_EQ(ons->load_report().units_loaded, codepoint->load_report().units_loaded);
  EXPECT_EQ(ons->load_report().unit_rows_skipped, codepoint->load_report().unit_rows_skipped);
  int64_t differences = 0, terminated = 0;
  for (const Postcode& postcode : postcodes) {
    const PostcodeLookup a = codepoint->Lookup(postcode);
    const PostcodeLookup b = ons->Lookup(postcode);
    differences += a.level != b.level || a.districts != b.districts;
    terminated += b.terminated;
  }
  EXPECT_EQ(differences, 0);
  EXPECT_EQ(ons->load_report().units_terminated, terminated);
  EXPECT_GT(terminated, 10000);
}

}  // namespace
}  // namespace referrals
