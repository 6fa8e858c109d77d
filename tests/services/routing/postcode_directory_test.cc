#include "services/routing/postcode_directory.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/local_authorities.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;

using referrals::testing::IsOk;
using referrals::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr char kSouthend[] = "E06000033";
constexpr char kThurrock[] = "E06000034";
constexpr char kBasildon[] = "E07000066";
constexpr char kBrentwood[] = "E07000068";
constexpr char kCastlePoint[] = "E07000069";
constexpr char kRochford[] = "E07000075";

// A small sector table: SS9 1 in one district, SS9 3 and SS9 5 split, CM13 1
// split with a tie.
constexpr char kSectorTable[] =
    "# Test sector table (synthetic counts).\n"
    "# data_version: test-sectors-1\n"
    "sector,district_code,units\n"
    "SS9 1,E06000033,179\n"
    "SS9 3,E06000033,202\n"
    "SS9 3,E07000069,8\n"
    "\n"
    "# A comment between rows.\n"
    "SS9 5,E07000075,21\n"
    "SS9 5,E06000033,221\n"
    "CM13 1,E07000068,5\n"
    "CM13 1,E07000066,5\n";

// Code-Point rows: quoted, no header. SS9 3AB is in Castle Point although its
// sector is mostly Southend; SS9 9ZZ has no grid reference and no district.
std::string CodePointRow(const std::string& postcode, const std::string& district) {
  return absl::StrCat("\"", postcode, "\",10,583000,186000,\"E92000001\",\"E19000001\",",
                      "\"E18000006\",\"\",\"", district, "\",\"E05000001\"\n");
}

void WriteFile(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  ASSERT_TRUE(out.good()) << path;
}

class PostcodeDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("postcode_directory_test_", info->name(), "_", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sectors_ = (dir_ / "sectors.csv").string();
    codepoint_ = (dir_ / "codepoint").string();
    WriteFile(sectors_, kSectorTable);
    WriteFile(dir_ / "codepoint" / "Data" / "CSV" / "ss.csv",
              CodePointRow("SS9 1AA", kSouthend) + CodePointRow("SS9 3AB", kCastlePoint) +
                  "\"SS9 9ZZ\",60,0,0,\"E92000001\",\"\",\"\",\"\",\"\",\"\"\n");
    WriteFile(dir_ / "codepoint" / "Data" / "CSV" / "cm.csv", CodePointRow("CM13 1AB", kBrentwood));
    WriteFile(dir_ / "codepoint" / "Doc" / "metadata.txt",
              "ORDNANCE SURVEY\nPRODUCT: OS CODE-POINT_03.02\n"
              "DATASET VERSION NUMBER: 2025.4.0\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Postcode P(const std::string& text) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(text);
    EXPECT_THAT(postcode, IsOk()) << text;
    return postcode.ok() ? *postcode : Postcode{};
  }

  // Writes `contents` to a file named `name` in the test directory.
  std::string Write(const std::string& name, const std::string& contents) {
    WriteFile(dir_ / name, contents);
    return (dir_ / name).string();
  }

  fs::path dir_;
  std::string sectors_;
  std::string codepoint_;
};

TEST_F(PostcodeDirectoryTest, UnitInUnitDataResolvesAtUnitLevel) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  PostcodeLookup lookup = directory->Lookup(P("ss9 1aa"));
  EXPECT_EQ(lookup.level, LookupLevel::kUnit);
  EXPECT_THAT(lookup.districts, ElementsAre(DistrictUnits{kSouthend, 1}));
  EXPECT_EQ(lookup.postcode, P("SS9 1AA"));
  EXPECT_FALSE(lookup.terminated);
}

TEST_F(PostcodeDirectoryTest, UnitLevelWinsOverSectorMajority) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  PostcodeLookup lookup = directory->Lookup(P("SS9 3AB"));
  EXPECT_EQ(lookup.level, LookupLevel::kUnit);
  EXPECT_THAT(lookup.districts, ElementsAre(DistrictUnits{kCastlePoint, 1}));
}

TEST_F(PostcodeDirectoryTest, UnknownUnitFallsBackToSector) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  PostcodeLookup lookup = directory->Lookup(P("SS9 1ZZ"));
  EXPECT_EQ(lookup.level, LookupLevel::kSector);
  EXPECT_THAT(lookup.districts, ElementsAre(DistrictUnits{kSouthend, 179}));
}

TEST_F(PostcodeDirectoryTest, SplitSectorListsEveryDistrictMostUnitsFirst) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, ""));
  PostcodeLookup lookup = directory->Lookup(P("SS9 5QQ"));
  EXPECT_EQ(lookup.level, LookupLevel::kSector);
  EXPECT_THAT(lookup.districts,
              ElementsAre(DistrictUnits{kSouthend, 221}, DistrictUnits{kRochford, 21}));
}

TEST_F(PostcodeDirectoryTest, SplitSectorOrdersTiesByDistrictCode) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, ""));
  PostcodeLookup lookup = directory->Lookup(P("CM13 1ZZ"));
  EXPECT_THAT(lookup.districts,
              ElementsAre(DistrictUnits{kBasildon, 5}, DistrictUnits{kBrentwood, 5}));
}

TEST_F(PostcodeDirectoryTest, UnknownSectorIsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  PostcodeLookup lookup = directory->Lookup(P("SS9 2AA"));
  EXPECT_EQ(lookup.level, LookupLevel::kNotFound);
  EXPECT_THAT(lookup.districts, IsEmpty());
}

TEST_F(PostcodeDirectoryTest, WithoutUnitDataAKnownUnitResolvesAtSectorLevel) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, ""));
  PostcodeLookup lookup = directory->Lookup(P("SS9 3AB"));
  EXPECT_EQ(lookup.level, LookupLevel::kSector);
  EXPECT_THAT(lookup.districts,
              ElementsAre(DistrictUnits{kSouthend, 202}, DistrictUnits{kCastlePoint, 8}));
}

TEST_F(PostcodeDirectoryTest, HandMadeOversizedPostcodeIsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  PostcodeLookup lookup = directory->Lookup(Postcode{"SS9SS9SS9", "1AA"});
  EXPECT_EQ(lookup.level, LookupLevel::kNotFound);
}

TEST_F(PostcodeDirectoryTest, UnitRowsWithoutDistrictAreSkippedAndCounted) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  EXPECT_EQ(directory->load_report().unit_rows_read, 4);
  EXPECT_EQ(directory->load_report().units_loaded, 3);
  EXPECT_EQ(directory->load_report().unit_rows_skipped, 1);
  EXPECT_THAT(directory->load_report().skipped_by_reason, ElementsAre(Pair("no district code", 1)));
  EXPECT_EQ(directory->Lookup(P("SS9 9ZZ")).level, LookupLevel::kNotFound);
}

TEST_F(PostcodeDirectoryTest, CommentsAndBlankLinesAreIgnored) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, ""));
  EXPECT_EQ(directory->load_report().sector_rows, 7);
  EXPECT_EQ(directory->load_report().sectors, 4);
  EXPECT_EQ(directory->load_report().split_sectors, 3);
}

TEST_F(PostcodeDirectoryTest, DataVersionIsTheSectorTableVersionWithoutUnitData) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, ""));
  EXPECT_EQ(directory->data_version(), "test-sectors-1");
}

TEST_F(PostcodeDirectoryTest, DataVersionDescribesUnitDataWhenLoaded) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  EXPECT_EQ(directory->data_version(), "test-sectors-1 + codepoint-open-2025.4.0 units (3)");
}

TEST_F(PostcodeDirectoryTest, LoadReportListsFilesInOrderAndUnitsByArea) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  const LoadReport& report = directory->load_report();
  ASSERT_EQ(report.files_read.size(), 3u);
  EXPECT_EQ(report.files_read[0], sectors_);
  EXPECT_THAT(report.files_read[1], HasSubstr("cm.csv"));
  EXPECT_THAT(report.files_read[2], HasSubstr("ss.csv"));
  EXPECT_THAT(report.units_by_area, ElementsAre(Pair("CM", 1), Pair("SS", 2)));
  EXPECT_EQ(report.unit_districts, 3);
}

TEST_F(PostcodeDirectoryTest, LoadReportDescribesCodePointData) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  const LoadReport& report = directory->load_report();
  EXPECT_EQ(report.unit_format, "Code-Point Open");
  EXPECT_EQ(report.unit_layout,
            "no header: postcode Postcode (field 1), district Admin_district_code (field 9); "
            "10 fields");
  EXPECT_EQ(report.unit_data_version, "codepoint-open-2025.4.0");
  EXPECT_EQ(report.units_terminated, 0);
}

TEST_F(PostcodeDirectoryTest, CodePointWithoutMetadataIsVersionedByItsName) {
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(
                           sectors_, (fs::path(codepoint_) / "Data" / "CSV" / "cm.csv").string()));
  EXPECT_EQ(directory->load_report().unit_data_version, "cm.csv");
  EXPECT_EQ(directory->data_version(), "test-sectors-1 + codepoint units (1)");
}

TEST_F(PostcodeDirectoryTest, CodePointPseudoDistrictCodeIsSkippedAndCounted) {
  const std::string units = Write(
      "units.csv", CodePointRow("SS9 1AA", kSouthend) + CodePointRow("SS9 1AB", "E99999999"));
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, units));
  EXPECT_THAT(directory->load_report().skipped_by_reason,
              ElementsAre(Pair("pseudo district code", 1)));
  EXPECT_EQ(directory->Lookup(P("SS9 1AB")).level, LookupLevel::kSector);
}

TEST_F(PostcodeDirectoryTest, CodePointWithByteOrderMarkAndUnquotedFieldsLoads) {
  const std::string units =
      Write("units.csv",
            "\xEF\xBB\xBFSS9 1AA,10,1,1,E92000001,,,,E06000033,\nSS9 3AB,10,1,1,E92000001,,,,"
            "E07000069,\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, units));
  EXPECT_EQ(directory->load_report().unit_format, "Code-Point Open");
  EXPECT_THAT(directory->Lookup(P("SS9 1AA")).districts, ElementsAre(DistrictUnits{kSouthend, 1}));
  EXPECT_EQ(directory->load_report().units_loaded, 2);
}

TEST_F(PostcodeDirectoryTest, AcceptsTheDataCsvDirectory) {
  ASSERT_OK_AND_ASSIGN(
      auto directory,
      PostcodeDirectory::Create(sectors_, (fs::path(codepoint_) / "Data" / "CSV").string()));
  EXPECT_EQ(directory->Lookup(P("CM13 1AB")).level, LookupLevel::kUnit);
  EXPECT_EQ(directory->data_version(), "test-sectors-1 + codepoint units (3)");
}

TEST_F(PostcodeDirectoryTest, AcceptsASingleCsvFile) {
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(
                           sectors_, (fs::path(codepoint_) / "Data" / "CSV" / "cm.csv").string()));
  EXPECT_EQ(directory->Lookup(P("CM13 1AB")).level, LookupLevel::kUnit);
  EXPECT_EQ(directory->Lookup(P("SS9 1AA")).level, LookupLevel::kSector);
  EXPECT_EQ(directory->load_report().units_loaded, 1);
}

TEST_F(PostcodeDirectoryTest, ToleratesCrLfLineEnds) {
  const std::string sectors =
      Write("crlf.csv", "# data_version: v\r\nsector,district_code,units\r\nSS9 1,E06000033,3\r\n");
  const std::string units = Write("crlf_units.csv",
                                  "\"SS9 1AA\",10,1,1,\"E92000001\",\"\","
                                  "\"\",\"\",\"E06000033\",\"\"\r\n");
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors, units));
  EXPECT_THAT(directory->Lookup(P("SS9 1AA")).districts, ElementsAre(DistrictUnits{kSouthend, 1}));
  EXPECT_EQ(directory->data_version(), "v + codepoint units (1)");
}

TEST_F(PostcodeDirectoryTest, ConcurrentLookupsAgree) {
  ASSERT_OK_AND_ASSIGN(auto directory, PostcodeDirectory::Create(sectors_, codepoint_));
  const Postcode postcodes[] = {P("SS9 1AA"), P("SS9 3AB"), P("SS9 5AA"), P("SS9 2AA")};
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        const Postcode& postcode = postcodes[i % 4];
        PostcodeLookup lookup = directory->Lookup(postcode);
        const LookupLevel expected[] = {LookupLevel::kUnit, LookupLevel::kUnit,
                                        LookupLevel::kSector, LookupLevel::kNotFound};
        if (lookup.level != expected[i % 4]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

// Errors.

TEST_F(PostcodeDirectoryTest, MissingSectorTableIsNotFound) {
  EXPECT_THAT(PostcodeDirectory::Create((dir_ / "absent.csv").string(), ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.csv")));
}

TEST_F(PostcodeDirectoryTest, EmptySectorTablePathIsInvalid) {
  EXPECT_THAT(PostcodeDirectory::Create("", codepoint_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PostcodeDirectoryTest, MissingUnitDataIsNotFound) {
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "no-such-dir").string()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-dir")));
}

TEST_F(PostcodeDirectoryTest, UnitDirectoryWithoutCsvFilesIsNotFound) {
  Write("empty/readme.txt", "nothing here\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, (dir_ / "empty").string()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no CSV files")));
}

TEST_F(PostcodeDirectoryTest, SectorTableWithoutHeaderNamesFileAndLine) {
  const std::string path = Write("bad.csv", "# data_version: v\nSS9 1,E06000033,3\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:2:"), HasSubstr("header"))));
}

TEST_F(PostcodeDirectoryTest, SectorTableWithoutDataVersionIsInvalid) {
  const std::string path = Write("bad.csv", "sector,district_code,units\nSS9 1,E06000033,3\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv"), HasSubstr("data_version"))));
}

TEST_F(PostcodeDirectoryTest, SectorTableWithoutRowsIsInvalid) {
  const std::string path = Write("bad.csv", "# data_version: v\nsector,district_code,units\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no data rows")));
}

TEST_F(PostcodeDirectoryTest, MalformedSectorNamesFileLineAndField) {
  const std::string path =
      Write("bad.csv",
            "# data_version: v\nsector,district_code,units\nSS9 1,E06000033,3\nSS91,"
            "E06000033,3\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:4:"), HasSubstr("field 1 (sector)"))));
}

TEST_F(PostcodeDirectoryTest, MalformedDistrictCodeNamesField) {
  const std::string path =
      Write("bad.csv", "# data_version: v\nsector,district_code,units\nSS9 1,Southend,3\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:3:"), HasSubstr("field 2 (district_code)"))));
}

TEST_F(PostcodeDirectoryTest, NonPositiveUnitsNamesField) {
  const std::string path =
      Write("bad.csv", "# data_version: v\nsector,district_code,units\nSS9 1,E06000033,0\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:3:"), HasSubstr("field 3 (units)"))));
}

TEST_F(PostcodeDirectoryTest, WrongFieldCountInSectorTableNamesLine) {
  const std::string path =
      Write("bad.csv", "# data_version: v\nsector,district_code,units\nSS9 1,E06000033,3,x\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:3:"), HasSubstr("more than 3"))));
}

TEST_F(PostcodeDirectoryTest, RepeatedSectorDistrictPairIsInvalid) {
  const std::string path = Write("bad.csv",
                                 "# data_version: v\nsector,district_code,units\n"
                                 "SS9 1,E06000033,3\nSS9 1,E06000033,4\n");
  EXPECT_THAT(PostcodeDirectory::Create(path, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.csv:4:"), HasSubstr("repeats"))));
}

TEST_F(PostcodeDirectoryTest, UnitRowWithTooFewFieldsNamesFileAndLine) {
  const std::string units =
      Write("units.csv", CodePointRow("SS9 1AA", kSouthend) + "\"SS9 1AB\",10,1,1\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, units),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("units.csv:2:"), HasSubstr("expected 10"))));
}

TEST_F(PostcodeDirectoryTest, UnitRowWithBadPostcodeNamesField) {
  const std::string units = Write("units.csv", CodePointRow("SS9 1A", kSouthend));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, units),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("units.csv:1:"), HasSubstr("field 1 (Postcode)"))));
}

TEST_F(PostcodeDirectoryTest, UnitRowWithBadDistrictNamesField) {
  const std::string units = Write("units.csv", CodePointRow("SS9 1AA", "E0600003"));
  EXPECT_THAT(
      PostcodeDirectory::Create(sectors_, units),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("units.csv:1:"), HasSubstr("field 9 (Admin_district_code)"))));
}

TEST_F(PostcodeDirectoryTest, UnitRowWithUnbalancedQuoteNamesField) {
  const std::string units =
      Write("units.csv", "\"SS9 1AA,10,1,1,\"E92000001\",\"\",\"\",\"\",\"E06000033\",\"\"\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, units),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("units.csv:1:"), HasSubstr("field 1 (Postcode)"),
                             HasSubstr("quotes"))));
}

TEST_F(PostcodeDirectoryTest, RepeatedUnitIsInvalid) {
  const std::string units =
      Write("units.csv", CodePointRow("SS9 1AA", kSouthend) + CodePointRow("ss91aa", kRochford));
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, units),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("units.csv:2:"), HasSubstr("repeats"))));
}

TEST_F(PostcodeDirectoryTest, ErrorInLaterFileNamesThatFile) {
  Write("codepoint/Data/CSV/zz.csv", CodePointRow("ZZ1 1AA", kSouthend) + "garbage\n");
  EXPECT_THAT(PostcodeDirectory::Create(sectors_, codepoint_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zz.csv:2:")));
}

// The committed sector table (data/postcode_sectors.csv).

// Sums the units per district over every sector of `outward` ("SS9").
std::map<std::string, int> DistrictTotals(const PostcodeDirectory& directory,
                                          const std::string& outward) {
  std::map<std::string, int> totals;
  for (int digit = 0; digit <= 9; ++digit) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(absl::StrCat(outward, " ", digit, "ZZ"));
    if (!postcode.ok()) continue;
    PostcodeLookup lookup = directory.Lookup(*postcode);
    for (const DistrictUnits& district : lookup.districts) {
      totals[district.district_code] += district.units;
    }
  }
  return totals;
}

class CommittedSectorTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, "");
    ASSERT_THAT(directory, IsOk());
    directory_ = *std::move(directory);
  }
  std::unique_ptr<PostcodeDirectory> directory_;
};

TEST_F(CommittedSectorTableTest, HasCodePointVersion) {
  EXPECT_THAT(directory_->data_version(), StartsWith("codepoint-open-"));
  EXPECT_THAT(directory_->data_version(), HasSubstr("-sectors"));
}

TEST_F(CommittedSectorTableTest, Ss9IsSplitBetweenSouthendRochfordAndCastlePoint) {
  // DOMAIN.md: SS9 Southend 1,021 / Rochford 21 / Castle Point 11.
  EXPECT_THAT(DistrictTotals(*directory_, "SS9"),
              ElementsAre(Pair(kSouthend, 1021), Pair(kCastlePoint, 11), Pair(kRochford, 21)));
}

TEST_F(CommittedSectorTableTest, Ss9SectorsAreSplitAtSectorLevel) {
  const PostcodeLookup lookup = directory_->Lookup(*ParsePostcode("SS9 5ZZ"));
  EXPECT_EQ(lookup.level, LookupLevel::kSector);
  EXPECT_GT(lookup.districts.size(), 1u);
  EXPECT_EQ(lookup.districts.front().district_code, kSouthend);
}

TEST_F(CommittedSectorTableTest, KnownSplitOutwardCodesHaveDomainCounts) {
  // DOMAIN.md, units per district, Code-Point 2025.4.
  EXPECT_THAT(DistrictTotals(*directory_, "SS3"),
              ElementsAre(Pair(kSouthend, 399), Pair(kRochford, 206)));
  EXPECT_THAT(DistrictTotals(*directory_, "SS16"),
              ElementsAre(Pair(kThurrock, 11), Pair(kBasildon, 648)));
  EXPECT_THAT(DistrictTotals(*directory_, "SS17"),
              ElementsAre(Pair(kThurrock, 776), Pair(kBasildon, 7)));
  EXPECT_THAT(DistrictTotals(*directory_, "CB9"),
              ElementsAre(Pair("E07000067", 95), Pair("E07000245", 741)));
  EXPECT_THAT(DistrictTotals(*directory_, "CO10"),
              ElementsAre(Pair("E07000067", 167), Pair("E07000200", 1309), Pair("E07000245", 198)));
  EXPECT_THAT(DistrictTotals(*directory_, "IG7"),
              ElementsAre(Pair("E07000072", 314), Pair("E09000026", 184)));
  EXPECT_THAT(DistrictTotals(*directory_, "CM23"),
              ElementsAre(Pair("E07000077", 99), Pair("E07000242", 1078)));
}

// Reads the (sector, district_code) rows of the committed table directly.
std::vector<std::pair<std::string, std::string>> ReadSectorRows() {
  std::ifstream in(REFERRALS_DEFAULT_SECTORS);
  std::vector<std::pair<std::string, std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("sector,", 0) == 0) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() == 3) rows.emplace_back(fields[0], fields[1]);
  }
  return rows;
}

TEST_F(CommittedSectorTableTest, BoundaryCountsMatchDomain) {
  // DOMAIN.md: of the 85 postcode districts that contain any part of the 14
  // districts, 32 cross an authority boundary and 14 more cross an ECC
  // locality boundary.
  ASSERT_OK_AND_ASSIGN(LocalAuthorities authorities,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  const std::map<std::string, std::string> localities = {
      {"E07000071", "North East"}, {"E07000076", "North East"}, {"E07000070", "Mid"},
      {"E07000067", "Mid"},        {"E07000074", "Mid"},        {"E07000073", "West"},
      {"E07000072", "West"},       {"E07000077", "West"},       {"E07000066", "South West"},
      {"E07000068", "South West"}, {"E07000069", "South East"}, {"E07000075", "South East"},
      {kSouthend, "Southend"},     {kThurrock, "Thurrock"}};
  std::set<std::string> outwards;
  for (const auto& [sector, district] : ReadSectorRows()) {
    outwards.insert(sector.substr(0, sector.find(' ')));
  }
  ASSERT_FALSE(outwards.empty());
  int relevant = 0, cross_authority = 0, cross_locality_only = 0;
  for (const std::string& outward : outwards) {
    std::set<std::string> councils, areas;
    bool touches_essex = false;
    for (const auto& [district, units] : DistrictTotals(*directory_, outward)) {
      const LocalAuthority* authority = authorities.Find(district);
      ASSERT_NE(authority, nullptr) << district;
      councils.insert(authority->adult_social_care_authority);
      auto locality = localities.find(district);
      touches_essex |= locality != localities.end();
      areas.insert(locality != localities.end() ? locality->second : district);
    }
    if (!touches_essex) continue;
    ++relevant;
    if (councils.size() > 1) {
      ++cross_authority;
    } else if (areas.size() > 1) {
      ++cross_locality_only;
    }
  }
  EXPECT_EQ(relevant, 85);
  EXPECT_EQ(cross_authority, 32);
  EXPECT_EQ(cross_locality_only, 14);
}

TEST_F(CommittedSectorTableTest, EveryDistrictIsInTheLocalAuthorityTable) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities authorities,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  std::set<std::string> missing;
  for (const auto& [sector, district] : ReadSectorRows()) {
    if (authorities.Find(district) == nullptr) missing.insert(district);
  }
  EXPECT_THAT(missing, IsEmpty());
}

// The real Code-Point Open release, when REFERRALS_CODEPOINT_DIR names it.
TEST(PostcodeDirectoryRealData, EveryCodePointUnitResolvesToItsDistrict) {
  const char* codepoint_dir = std::getenv("REFERRALS_CODEPOINT_DIR");
  if (codepoint_dir == nullptr || *codepoint_dir == '\0') {
    GTEST_SKIP() << "set REFERRALS_CODEPOINT_DIR to an OS Code-Point Open directory "
                    "(e.g. /work/shared/data/codepoint-open-2025.4) to run this test";
  }
  const auto load_start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto directory,
                       PostcodeDirectory::Create(REFERRALS_DEFAULT_SECTORS, codepoint_dir));
  const auto load_time = std::chrono::steady_clock::now() - load_start;

  // Read the files again independently of the loader.
  std::vector<std::pair<Postcode, std::string>> units;
  int64_t rows = 0, without_district = 0;
  for (const std::string& file : directory->load_report().files_read) {
    if (file == REFERRALS_DEFAULT_SECTORS) continue;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      ++rows;
      std::vector<std::string> fields = absl::StrSplit(line, ',');
      ASSERT_EQ(fields.size(), 10u) << file << ":" << rows;
      for (std::string& field : fields)
        field = std::string(absl::StripPrefix(absl::StripSuffix(field, "\""), "\""));
      ASSERT_OK_AND_ASSIGN(Postcode postcode, ParsePostcode(fields[0]));
      if (fields[8].empty()) {
        ++without_district;
        EXPECT_NE(directory->Lookup(postcode).level, LookupLevel::kUnit);
        continue;
      }
      units.emplace_back(std::move(postcode), fields[8]);
    }
  }

  int64_t mismatches = 0;
  for (const auto& [postcode, district] : units) {
    const PostcodeLookup lookup = directory->Lookup(postcode);
    if (lookup.level != LookupLevel::kUnit || lookup.districts.size() != 1 ||
        lookup.districts[0].district_code != district) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(directory->load_report().units_loaded, static_cast<int64_t>(units.size()));
  EXPECT_EQ(directory->load_report().unit_rows_skipped, without_district);
  EXPECT_EQ(directory->load_report().unit_format, "Code-Point Open");
  EXPECT_EQ(directory->load_report().units_terminated, 0);

  // Time lookups (informational only: timing depends on the machine).
  constexpr int kRounds = 5;
  int64_t checksum = 0;
  const auto lookup_start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& [postcode, district] : units) {
      checksum += directory->Lookup(postcode).districts.size();
    }
  }
  const auto lookup_time = std::chrono::steady_clock::now() - lookup_start;
  EXPECT_EQ(checksum, kRounds * static_cast<int64_t>(units.size()));

  const LoadReport& report = directory->load_report();
  std::cout << "data_version: " << directory->data_version() << "\n"
            << "rows: " << rows << ", units checked: " << units.size()
            << ", without district: " << without_district << ", mismatches: " << mismatches
            << ", districts: " << report.unit_districts << ", files: " << report.files_read.size()
            << "\n"
            << "load: " << std::chrono::duration<double, std::milli>(load_time).count()
            << " ms; lookup (unit hit, incl. result building): "
            << std::chrono::duration<double, std::nano>(lookup_time).count() /
                   (kRounds * static_cast<double>(units.size()))
            << " ns\n";
  for (const auto& [area, count] : report.units_by_area) {
    std::cout << "  " << area << ": " << count << "\n";
  }
}

}  // namespace
}  // namespace referrals
