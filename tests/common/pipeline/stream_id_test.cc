// StreamId: what it accepts, how it prints, how ids order. Pure; no Redis.
#include "common/pipeline/stream_id.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

MATCHER_P2(IsId, millis, sequence, "") {
  return arg.millis == static_cast<uint64_t>(millis) &&
         arg.sequence == static_cast<uint64_t>(sequence);
}

TEST(StreamIdParse, AcceptsTheCanonicalForm) {
  EXPECT_THAT(StreamId::Parse("1700000000123-0"), Optional(IsId(1700000000123, 0)));
  EXPECT_THAT(StreamId::Parse("0-0"), Optional(IsId(0, 0)));
  EXPECT_THAT(StreamId::Parse("5-42"), Optional(IsId(5, 42)));
}

TEST(StreamIdParse, AcceptsBothPartsUpToUint64Max) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  std::optional<StreamId> id = StreamId::Parse("18446744073709551615-18446744073709551615");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->millis, max);
  EXPECT_EQ(id->sequence, max);
}

TEST(StreamIdParse, RejectsOverflowInEitherPart) {
  EXPECT_EQ(StreamId::Parse("18446744073709551616-0"), std::nullopt);
  EXPECT_EQ(StreamId::Parse("0-18446744073709551616"), std::nullopt);
  EXPECT_EQ(StreamId::Parse("99999999999999999999-0"), std::nullopt);   // 20 digits, too big
  EXPECT_EQ(StreamId::Parse("100000000000000000000-0"), std::nullopt);  // 21 digits
}

TEST(StreamIdParse, RejectsRedisShorthandsAndSpecialIds) {
  for (const char* text : {"", "5", "-", "+", "$", ">", "*", "5-*", "0", "1700000000123"}) {
    EXPECT_EQ(StreamId::Parse(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(StreamIdParse, RejectsSignsSpacesAndOtherJunk) {
  for (const char* text :
       {"-1-0", "1--0", "1-0-0", "+1-0", "1-+0", " 1-0", "1-0 ", "1 -0", "1- 0", "1-", "-1",
        "0x10-0", "1.5-0", "1-0\n", "a-b", "１-0" /* full-width digit */, "(1-0", "1_0"}) {
    EXPECT_EQ(StreamId::Parse(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(StreamIdParse, RejectsLeadingZerosSoEachIdHasOneSpelling) {
  for (const char* text : {"01-0", "0-01", "00-0", "007-3", "00000000000000000001-0"}) {
    EXPECT_EQ(StreamId::Parse(text), std::nullopt) << "'" << text << "'";
  }
  EXPECT_THAT(StreamId::Parse("10-0"), Optional(IsId(10, 0)));  // an inner zero is fine
}

TEST(StreamIdParse, RejectsEmbeddedNul) {
  const std::string text("1-0\0", 4);
  EXPECT_EQ(StreamId::Parse(absl::string_view(text.data(), text.size())), std::nullopt);
}

TEST(StreamIdToString, RoundTripsThroughParse) {
  for (const char* text : {"0-0", "1-1", "1700000000123-7", "18446744073709551615-0"}) {
    std::optional<StreamId> id = StreamId::Parse(text);
    ASSERT_TRUE(id.has_value()) << text;
    EXPECT_EQ(id->ToString(), text);
  }
  EXPECT_EQ((StreamId{12, 3}).ToString(), "12-3");
}

TEST(StreamIdAtTime, IsTheFirstIdOfThatMillisecond) {
  const absl::Time time = absl::FromUnixMillis(1700000000123) + absl::Microseconds(999);
  EXPECT_THAT(StreamId::AtTime(time), IsId(1700000000123, 0));
  EXPECT_EQ(StreamId::AtTime(absl::UnixEpoch()).ToString(), "0-0");
}

TEST(StreamIdAtTime, TimesBeforeTheEpochGiveZero) {
  EXPECT_EQ(StreamId::AtTime(absl::UnixEpoch() - absl::Milliseconds(1)).ToString(), "0-0");
  EXPECT_EQ(StreamId::AtTime(absl::UnixEpoch() - absl::Hours(24 * 365)).ToString(), "0-0");
  EXPECT_EQ(StreamId::AtTime(absl::InfinitePast()).ToString(), "0-0");
}

TEST(StreamIdOrdering, ComparesTimeFirstThenSequenceNumerically) {
  // As numbers, not text: "9-0" < "10-0" and "1-9" < "1-10".
  EXPECT_LT(*StreamId::Parse("9-0"), *StreamId::Parse("10-0"));
  EXPECT_LT(*StreamId::Parse("1-9"), *StreamId::Parse("1-10"));
  EXPECT_LT(*StreamId::Parse("1-18446744073709551615"), *StreamId::Parse("2-0"));
  EXPECT_EQ(*StreamId::Parse("7-3"), (StreamId{7, 3}));
  EXPECT_GT(*StreamId::Parse("7-4"), (StreamId{7, 3}));

  std::vector<StreamId> ids = {{10, 0}, {9, 5}, {9, 10}, {0, 0}, {10, 1}};
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> texts;
  for (const StreamId& id : ids) texts.push_back(id.ToString());
  EXPECT_THAT(texts, ElementsAre("0-0", "9-5", "9-10", "10-0", "10-1"));
}

}  // namespace
}  // namespace referrals
