#include "common/domain/postcode.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::IsOk;
using referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// Parses `text` and returns its normalised form, or "error: <message>".
std::string NormalisedOrError(const std::string& text) {
  absl::StatusOr<Postcode> postcode = ParsePostcode(text);
  if (!postcode.ok()) return "error: " + std::string(postcode.status().message());
  return postcode->Normalised();
}

TEST(ParsePostcode, NormalisesLowerCaseWithSpace) {
  EXPECT_EQ(NormalisedOrError("cm1 1aa"), "CM1 1AA");
}

TEST(ParsePostcode, NormalisesWhenSpaceIsMissing) {
  EXPECT_EQ(NormalisedOrError("CM11AA"), "CM1 1AA");
}

TEST(ParsePostcode, NormalisesWhenSpacesAreLeadingTrailingAndDoubled) {
  EXPECT_EQ(NormalisedOrError(" ss9  1aa "), "SS9 1AA");
}

TEST(ParsePostcode, NormalisesWhenSpacesAreInsideTheOutwardCode) {
  EXPECT_EQ(NormalisedOrError("S S 9 1 A A"), "SS9 1AA");
}

TEST(ParsePostcode, AcceptsEveryOutwardShape) {
  EXPECT_EQ(NormalisedOrError("E1 6AN"), "E1 6AN");      // A9
  EXPECT_EQ(NormalisedOrError("N10 1AA"), "N10 1AA");    // A99
  EXPECT_EQ(NormalisedOrError("CM1 1AA"), "CM1 1AA");    // AA9
  EXPECT_EQ(NormalisedOrError("SS17 0AA"), "SS17 0AA");  // AA99
  EXPECT_EQ(NormalisedOrError("W1A 0AX"), "W1A 0AX");    // A9A
  EXPECT_EQ(NormalisedOrError("EC1A 1BB"), "EC1A 1BB");  // AA9A
  EXPECT_EQ(NormalisedOrError("e1w 1aa"), "E1W 1AA");    // A9A, lower case
  EXPECT_EQ(NormalisedOrError("ec1a1bb"), "EC1A 1BB");   // AA9A, no space
}

TEST(ParsePostcode, SplitsOutwardAndInwardCodes) {
  ASSERT_OK_AND_ASSIGN(Postcode postcode, ParsePostcode("ss17 0aa"));
  EXPECT_EQ(postcode.outward, "SS17");
  EXPECT_EQ(postcode.inward, "0AA");
}

TEST(Postcode, SectorIsOutwardSpaceAndInwardDigit) {
  ASSERT_OK_AND_ASSIGN(Postcode postcode, ParsePostcode("SS9 1AA"));
  EXPECT_EQ(postcode.Sector(), "SS9 1");
}

TEST(Postcode, SectorKeepsTheOutwardLetter) {
  ASSERT_OK_AND_ASSIGN(Postcode postcode, ParsePostcode("EC1A1BB"));
  EXPECT_EQ(postcode.Sector(), "EC1A 1");
}

TEST(Postcode, AreaIsTheLeadingLetters) {
  ASSERT_OK_AND_ASSIGN(Postcode two_letters, ParsePostcode("SS17 0AA"));
  ASSERT_OK_AND_ASSIGN(Postcode one_letter, ParsePostcode("E1W 1AA"));
  ASSERT_OK_AND_ASSIGN(Postcode letter_suffix, ParsePostcode("W1A 0AX"));
  EXPECT_EQ(two_letters.Area(), "SS");
  EXPECT_EQ(one_letter.Area(), "E");
  EXPECT_EQ(letter_suffix.Area(), "W");
}

TEST(Postcode, EqualWhenSpelledDifferently) {
  ASSERT_OK_AND_ASSIGN(Postcode a, ParsePostcode("cm1 1aa"));
  ASSERT_OK_AND_ASSIGN(Postcode b, ParsePostcode(" CM11AA"));
  EXPECT_EQ(a, b);
}

TEST(ParsePostcode, RejectsEmptyText) {
  EXPECT_THAT(ParsePostcode(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));
}

TEST(ParsePostcode, RejectsOnlySpacesAsEmpty) {
  EXPECT_THAT(ParsePostcode("   "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));
}

TEST(ParsePostcode, RejectsPunctuation) {
  EXPECT_THAT(ParsePostcode("CM1-1AA"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("characters other than letters, digits and spaces")));
}

TEST(ParsePostcode, RejectsTabsAndNewlines) {
  EXPECT_THAT(ParsePostcode("CM1\t1AA"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters other than")));
  EXPECT_THAT(ParsePostcode("CM1 1AA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters other than")));
}

TEST(ParsePostcode, RejectsNonAsciiLetters) {
  EXPECT_THAT(ParsePostcode("CM1 1ÅA"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters other than")));
}

TEST(ParsePostcode, RejectsEmbeddedNul) {
  EXPECT_THAT(ParsePostcode(absl::string_view("CM1\0 1AA", 8)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters other than")));
}

TEST(ParsePostcode, RejectsOutwardCodeAlone) {
  EXPECT_THAT(ParsePostcode("SS9"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too short")));
}

TEST(ParsePostcode, RejectsSectorAlone) {
  EXPECT_THAT(ParsePostcode("SS9 1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too short")));
}

TEST(ParsePostcode, RejectsFourCharacters) {
  EXPECT_THAT(ParsePostcode("E1 6A"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too short")));
}

TEST(ParsePostcode, RejectsMoreThanSevenCharacters) {
  EXPECT_THAT(ParsePostcode("SS17 0AAA"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too long")));
}

TEST(ParsePostcode, RejectsInwardCodeNotStartingWithDigit) {
  EXPECT_THAT(ParsePostcode("CM1 AAA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("inward code must be a digit")));
}

TEST(ParsePostcode, RejectsInwardCodeWithDigitAfterFirst) {
  EXPECT_THAT(ParsePostcode("CM1 1A1"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("inward code must be a digit")));
}

TEST(ParsePostcode, RejectsOutwardCodeOfLettersOnly) {
  EXPECT_THAT(ParsePostcode("CM 1AA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("outward code is not a valid shape")));
}

TEST(ParsePostcode, RejectsOutwardCodeStartingWithDigit) {
  EXPECT_THAT(ParsePostcode("1M1 1AA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("outward code is not a valid shape")));
}

TEST(ParsePostcode, RejectsThreeLeadingLetters) {
  EXPECT_THAT(ParsePostcode("ABC1 1AA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("outward code is not a valid shape")));
}

TEST(ParsePostcode, RejectsThreeDistrictDigits) {
  EXPECT_THAT(ParsePostcode("S123 1AA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("outward code is not a valid shape")));
}

TEST(ParsePostcode, RejectsLetterDirectlyAfterAreaThenDigit) {
  // "A9A" is valid, but "AA" then a letter is not a district.
  EXPECT_THAT(ParsePostcode("SSA 1AA"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("outward code is not a valid shape")));
}

TEST(ParsePostcode, ErrorMessagesNeverContainTheInput) {
  const std::string inputs[] = {"zq9-9zz", "ZQ9 9ZZZZ", "ZQ",      "ZQ 9ZZ",
                                "ZQ9 Z9Z", "QZX9 9ZZ",  "zq9\t9zz"};
  for (const std::string& input : inputs) {
    absl::StatusOr<Postcode> postcode = ParsePostcode(input);
    ASSERT_THAT(postcode, Not(IsOk())) << "case " << &input - inputs;
    const std::string message(postcode.status().message());
    EXPECT_THAT(message, Not(HasSubstr("ZQ")));
    EXPECT_THAT(message, Not(HasSubstr("zq")));
    EXPECT_THAT(message, Not(HasSubstr("9ZZ")));
    EXPECT_THAT(message, Not(HasSubstr("Z9Z")));
    EXPECT_THAT(message, Not(HasSubstr("QZX")));
  }
}

}  // namespace
}  // namespace referrals
