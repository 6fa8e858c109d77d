// Office hours as DOMAIN.md ("Timing") publishes them: out of hours is
// Monday-Thursday 17:30-09:00, Friday 16:30 to Monday 09:00, and English bank
// holidays, in UK local time (Europe/London, with summer time).
#include "common/domain/office_hours.h"

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/text_format.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::StatusIs;
using ::testing::HasSubstr;

referrals::v1::OfficeHours Hours(const std::string& text) {
  referrals::v1::OfficeHours hours;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &hours)) << text;
  return hours;
}

referrals::v1::HolidayCalendar Calendar(const std::string& text) {
  referrals::v1::HolidayCalendar calendar;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &calendar)) << text;
  return calendar;
}

constexpr char kPublishedHours[] = R"pb(
  open { day: MONDAY opens: "09:00" closes: "17:30" }
  open { day: TUESDAY opens: "09:00" closes: "17:30" }
  open { day: WEDNESDAY opens: "09:00" closes: "17:30" }
  open { day: THURSDAY opens: "09:00" closes: "17:30" }
  open { day: FRIDAY opens: "09:00" closes: "16:30" }
  holiday_calendar: "ENGLAND_AND_WALES"
)pb";

constexpr char kBankHolidays[] = R"pb(
  id: "ENGLAND_AND_WALES"
  name: "England and Wales bank holidays"
  dates: [ "2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28" ]
  covers_until: "2028-12-31"
)pb";

class OfficeHoursTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london_));
    calendar_ = Calendar(kBankHolidays);
    auto hours = OfficeHours::Create(Hours(kPublishedHours), &calendar_, london_);
    ASSERT_TRUE(hours.ok()) << hours.status();
    hours_ = *std::move(hours);
  }

  // A UTC instant, so the tests show that the check uses local time.
  static absl::Time Utc(int y, int m, int d, int hh, int mm) {
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
  }

  absl::TimeZone london_;
  referrals::v1::HolidayCalendar calendar_;
  std::optional<OfficeHours> hours_;
};

TEST_F(OfficeHoursTest, WeekdayDaytimeIsInHours) {
  // Tuesday 2026-11-24, 11:00 GMT.
  OfficeHoursCheck check = hours_->Check(Utc(2026, 11, 24, 11, 0));
  EXPECT_FALSE(check.out_of_hours);
  EXPECT_THAT(check.why, HasSubstr("within office hours 09:00-17:30"));
}

TEST_F(OfficeHoursTest, OpeningAndClosingEdges) {
  EXPECT_TRUE(hours_->Check(Utc(2026, 11, 23, 8, 59)).out_of_hours);   // Monday 08:59
  EXPECT_FALSE(hours_->Check(Utc(2026, 11, 23, 9, 0)).out_of_hours);   // Monday 09:00
  EXPECT_FALSE(hours_->Check(Utc(2026, 11, 26, 17, 29)).out_of_hours); // Thursday 17:29
  EXPECT_TRUE(hours_->Check(Utc(2026, 11, 26, 17, 30)).out_of_hours);  // Thursday 17:30
  // Friday closes an hour earlier.
  EXPECT_FALSE(hours_->Check(Utc(2026, 11, 27, 16, 29)).out_of_hours);
  OfficeHoursCheck friday = hours_->Check(Utc(2026, 11, 27, 16, 30));
  EXPECT_TRUE(friday.out_of_hours);
  EXPECT_THAT(friday.why, HasSubstr("after closing at 16:30"));
}

TEST_F(OfficeHoursTest, WeekendIsOutOfHoursAllDay) {
  OfficeHoursCheck saturday = hours_->Check(Utc(2026, 11, 28, 12, 0));
  EXPECT_TRUE(saturday.out_of_hours);
  EXPECT_THAT(saturday.why, HasSubstr("Saturday"));
  EXPECT_THAT(saturday.why, HasSubstr("closed all day"));
  EXPECT_TRUE(hours_->Check(Utc(2026, 11, 29, 12, 0)).out_of_hours);  // Sunday
}

TEST_F(OfficeHoursTest, BankHolidaysAreOutOfHoursAllDay) {
  // Easter Monday 2026 and the Boxing Day substitute, both Mondays at noon.
  for (absl::Time time : {Utc(2026, 4, 6, 11, 0), Utc(2026, 12, 28, 12, 0)}) {
    OfficeHoursCheck check = hours_->Check(time);
    EXPECT_TRUE(check.out_of_hours) << check.why;
    EXPECT_THAT(check.why, HasSubstr("public holiday (England and Wales bank holidays)"));
  }
  // The Tuesday after Easter is a working day.
  EXPECT_FALSE(hours_->Check(Utc(2026, 4, 7, 11, 0)).out_of_hours);
}

// Clocks go forward on Sunday 2026-03-29 and back on Sunday 2026-10-25. The
// same UTC time of day lands on either side of 17:30 local.
TEST_F(OfficeHoursTest, EveningsBeforeAndAfterTheSpringClockChange) {
  // Thursday 2026-03-26, 17:15 UTC = 17:15 GMT: still open.
  EXPECT_FALSE(hours_->Check(Utc(2026, 3, 26, 17, 15)).out_of_hours);
  // Monday 2026-03-30, 17:15 UTC = 18:15 BST: closed.
  OfficeHoursCheck after = hours_->Check(Utc(2026, 3, 30, 17, 15));
  EXPECT_TRUE(after.out_of_hours);
  EXPECT_THAT(after.why, HasSubstr("18:15"));
  // Monday 2026-03-30, 16:15 UTC = 17:15 BST: open.
  EXPECT_FALSE(hours_->Check(Utc(2026, 3, 30, 16, 15)).out_of_hours);
}

TEST_F(OfficeHoursTest, EveningsBeforeAndAfterTheAutumnClockChange) {
  // Thursday 2026-10-22, 16:45 UTC = 17:45 BST: closed.
  EXPECT_TRUE(hours_->Check(Utc(2026, 10, 22, 16, 45)).out_of_hours);
  // Monday 2026-10-26, 16:45 UTC = 16:45 GMT: open.
  EXPECT_FALSE(hours_->Check(Utc(2026, 10, 26, 16, 45)).out_of_hours);
  // Monday 2026-10-26, 17:30 UTC = 17:30 GMT: closed.
  EXPECT_TRUE(hours_->Check(Utc(2026, 10, 26, 17, 30)).out_of_hours);
}

TEST_F(OfficeHoursTest, AfterTheCalendarEndsNoDayIsAHolidayAndTheDecisionSaysSo) {
  // Tuesday 2029-12-25 at 10:00: Christmas, but the calendar ends in 2028.
  OfficeHoursCheck check = hours_->Check(Utc(2029, 12, 25, 10, 0));
  EXPECT_FALSE(check.out_of_hours);
  EXPECT_THAT(check.why, HasSubstr("holiday calendar ends 2028-12-31"));
}

TEST(OfficeHoursCreateTest, RefusesOverlappingAndMalformedWindows) {
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  auto two_mondays = OfficeHours::Create(Hours(R"pb(
    open { day: MONDAY opens: "09:00" closes: "12:00" }
    open { day: MONDAY opens: "11:00" closes: "17:00" }
  )pb"), nullptr, london);
  EXPECT_THAT(two_mondays.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("open[1]: Monday already has")));

  auto backwards = OfficeHours::Create(
      Hours(R"pb(open { day: TUESDAY opens: "17:00" closes: "09:00" })pb"), nullptr, london);
  EXPECT_THAT(backwards.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("open[0]: opens 17:00 is not before")));

  auto bad_time = OfficeHours::Create(
      Hours(R"pb(open { day: TUESDAY opens: "9am" closes: "24:00" })pb"), nullptr, london);
  EXPECT_THAT(bad_time.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("open[0]: opens \"9am\" is not a time")));

  auto no_day = OfficeHours::Create(
      Hours(R"pb(open { opens: "09:00" closes: "17:00" })pb"), nullptr, london);
  EXPECT_THAT(no_day.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("open[0]: day is not a day of the week")));
}

TEST(OfficeHoursCreateTest, RefusesBadHolidayLists) {
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  const referrals::v1::OfficeHours hours;
  auto unordered = Calendar(R"pb(id: "X" dates: [ "2026-12-28", "2026-12-25" ])pb");
  EXPECT_THAT(OfficeHours::Create(hours, &unordered, london).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dates[1] 2026-12-25 is not after the date before it")));
  auto not_a_date = Calendar(R"pb(id: "X" dates: [ "2026-02-30" ])pb");
  EXPECT_THAT(OfficeHours::Create(hours, &not_a_date, london).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dates[0] \"2026-02-30\" is not a valid ISO date")));
  auto beyond = Calendar(R"pb(id: "X" dates: [ "2029-01-01" ] covers_until: "2028-12-31")pb");
  EXPECT_THAT(OfficeHours::Create(hours, &beyond, london).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after covers_until")));
}

TEST(ClockAndDateParsingTest, AcceptsOnlyWellFormedValues) {
  EXPECT_EQ(ParseClockTime("09:30", false), 9 * 60 + 30);
  EXPECT_EQ(ParseClockTime("24:00", true), 24 * 60);
  EXPECT_EQ(ParseClockTime("24:00", false), std::nullopt);
  EXPECT_EQ(ParseClockTime("9:30", false), std::nullopt);
  EXPECT_EQ(ParseClockTime("12:60", false), std::nullopt);
  EXPECT_EQ(ParseIsoDate("2028-02-29"), absl::CivilDay(2028, 2, 29));
  EXPECT_EQ(ParseIsoDate("2027-02-29"), std::nullopt);
  EXPECT_EQ(ParseIsoDate("2027-2-28"), std::nullopt);
}

}  // namespace
}  // namespace referrals
