#include "services/routing/local_authorities.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

namespace fs = std::filesystem;

using referrals::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::NotNull;

constexpr char kHeader[] = "lad_code,lad_name,county_code,adult_social_care_authority\n";

class LocalAuthoritiesFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("local_authorities_test_", info->name(), "_", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& contents) {
    const std::string path = (dir_ / "authorities.csv").string();
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path;
  }

  fs::path dir_;
};

// The committed table (data/local_authorities.csv).

TEST(LocalAuthoritiesCommitted, LoadsTheCommittedTable) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  EXPECT_GE(table.size(), 14u);
}

TEST(LocalAuthoritiesCommitted, EssexDistrictsAreEssexCountyCouncil) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  for (int i = 66; i <= 77; ++i) {
    const std::string code = absl::StrCat("E070000", i);
    const LocalAuthority* district = table.Find(code);
    ASSERT_THAT(district, NotNull()) << code;
    EXPECT_EQ(district->county_code, "E10000012") << code;
    EXPECT_EQ(district->adult_social_care_authority, "Essex County Council") << code;
  }
}

TEST(LocalAuthoritiesCommitted, UnitaryAuthoritiesHaveNoCounty) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  const LocalAuthority* southend = table.Find("E06000033");
  const LocalAuthority* thurrock = table.Find("E06000034");
  ASSERT_THAT(southend, NotNull());
  ASSERT_THAT(thurrock, NotNull());
  EXPECT_EQ(southend->name, "Southend-on-Sea");
  EXPECT_EQ(southend->county_code, "");
  EXPECT_EQ(southend->adult_social_care_authority, "Southend-on-Sea City Council");
  EXPECT_EQ(thurrock->name, "Thurrock");
  EXPECT_EQ(thurrock->adult_social_care_authority, "Thurrock Council");
}

TEST(LocalAuthoritiesCommitted, NeighbouringTwoTierDistrictNamesItsCountyCouncil) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  const LocalAuthority* babergh = table.Find("E07000200");
  ASSERT_THAT(babergh, NotNull());
  EXPECT_EQ(babergh->name, "Babergh");
  EXPECT_EQ(babergh->adult_social_care_authority, "Suffolk County Council");
}

TEST(LocalAuthoritiesCommitted, UnknownCodeIsNotFound) {
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table,
                       LocalAuthorities::LoadCsv(REFERRALS_DEFAULT_AUTHORITIES));
  EXPECT_THAT(table.Find("E99999999"), IsNull());
  EXPECT_THAT(table.Find(""), IsNull());
}

// Fixtures.

TEST_F(LocalAuthoritiesFixtureTest, LoadsRowsAfterCommentsAndHeader) {
  const std::string path = Write(absl::StrCat("# source: test\n", kHeader,
                                              "E07000075,Rochford,E10000012,Essex County Council\n"
                                              "\n# a comment\n"
                                              "E06000034,Thurrock,,Thurrock Council\n"));
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table, LocalAuthorities::LoadCsv(path));
  EXPECT_EQ(table.size(), 2u);
  ASSERT_THAT(table.Find("E07000075"), NotNull());
  EXPECT_EQ(table.Find("E07000075")->name, "Rochford");
}

TEST_F(LocalAuthoritiesFixtureTest, QuotedNameMayHoldCommasAndQuotes) {
  const std::string path = Write(absl::StrCat(
      kHeader, "E06000010,\"Kingston upon Hull, City of\",,\"Hull City Council \"\"KCC\"\"\"\n"));
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table, LocalAuthorities::LoadCsv(path));
  ASSERT_THAT(table.Find("E06000010"), NotNull());
  EXPECT_EQ(table.Find("E06000010")->name, "Kingston upon Hull, City of");
  EXPECT_EQ(table.Find("E06000010")->adult_social_care_authority, "Hull City Council \"KCC\"");
}

TEST_F(LocalAuthoritiesFixtureTest, ToleratesCrLfLineEnds) {
  const std::string path = Write(
      "lad_code,lad_name,county_code,adult_social_care_authority\r\n"
      "E06000034,Thurrock,,Thurrock Council\r\n");
  ASSERT_OK_AND_ASSIGN(LocalAuthorities table, LocalAuthorities::LoadCsv(path));
  ASSERT_THAT(table.Find("E06000034"), NotNull());
  EXPECT_EQ(table.Find("E06000034")->adult_social_care_authority, "Thurrock Council");
}

TEST_F(LocalAuthoritiesFixtureTest, MissingFileIsNotFound) {
  EXPECT_THAT(LocalAuthorities::LoadCsv((dir_ / "absent.csv").string()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.csv")));
}

TEST_F(LocalAuthoritiesFixtureTest, MissingHeaderNamesLine) {
  const std::string path = Write("# comment\nE06000034,Thurrock,,Thurrock Council\n");
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("header"))));
}

TEST_F(LocalAuthoritiesFixtureTest, HeaderOnlyIsInvalid) {
  EXPECT_THAT(LocalAuthorities::LoadCsv(Write(kHeader)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
}

TEST_F(LocalAuthoritiesFixtureTest, EmptyFileIsInvalid) {
  EXPECT_THAT(LocalAuthorities::LoadCsv(Write("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no header")));
}

TEST_F(LocalAuthoritiesFixtureTest, WrongFieldCountNamesLine) {
  const std::string path = Write(absl::StrCat(kHeader, "E06000034,Thurrock,Thurrock Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("3 fields"))));
}

TEST_F(LocalAuthoritiesFixtureTest, BadDistrictCodeNamesLineAndField) {
  const std::string path = Write(absl::StrCat(kHeader, "E0600003,Thurrock,,Thurrock Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("lad_code"))));
}

TEST_F(LocalAuthoritiesFixtureTest, BadCountyCodeNamesField) {
  const std::string path =
      Write(absl::StrCat(kHeader, "E07000075,Rochford,Essex,Essex County Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("county_code"))));
}

TEST_F(LocalAuthoritiesFixtureTest, EmptyNameNamesField) {
  const std::string path = Write(absl::StrCat(kHeader, "E06000034,,,Thurrock Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("lad_name"))));
}

TEST_F(LocalAuthoritiesFixtureTest, EmptyAuthorityNamesField) {
  const std::string path = Write(absl::StrCat(kHeader, "E06000034,Thurrock,,\n"));
  EXPECT_THAT(
      LocalAuthorities::LoadCsv(path),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("adult_social_care_authority"))));
}

TEST_F(LocalAuthoritiesFixtureTest, RepeatedCodeNamesLine) {
  const std::string path = Write(absl::StrCat(kHeader,
                                              "E06000034,Thurrock,,Thurrock Council\n"
                                              "E06000034,Thurrock,,Thurrock Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:3:"), HasSubstr("repeats"))));
}

TEST_F(LocalAuthoritiesFixtureTest, UnterminatedQuoteNamesLine) {
  const std::string path = Write(absl::StrCat(kHeader, "E06000034,\"Thurrock,,Thurrock Council\n"));
  EXPECT_THAT(LocalAuthorities::LoadCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("authorities.csv:2:"), HasSubstr("quoted"))));
}

}  // namespace
}  // namespace referrals
