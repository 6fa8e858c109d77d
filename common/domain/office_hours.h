// Whether a moment falls in an authority's office hours: weekly opening
// windows in local clock time plus a public-holiday calendar. Built from the
// OfficeHours and HolidayCalendar messages of a RoutingConfig.
//
// Immutable once created; safe to share between threads. Pure: no I/O after
// the time zone is loaded.
#ifndef COMMON_DOMAIN_OFFICE_HOURS_H_
#define COMMON_DOMAIN_OFFICE_HOURS_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "referrals/v1/routing_config.pb.h"

namespace referrals {

// "HH:MM" (00:00..23:59, or 24:00 as an end) as minutes past midnight, or
// nullopt when malformed.
std::optional<int> ParseClockTime(absl::string_view text, bool allow_end_of_day);

// An ISO date ("2025-12-25") as a civil day, or nullopt when malformed or not
// a real date.
std::optional<absl::CivilDay> ParseIsoDate(absl::string_view text);

// The result of asking whether a moment is out of hours.
struct OfficeHoursCheck {
  bool out_of_hours = false;
  // A short account for the decision's reasons, e.g. "Friday 17:05 (Europe/
  // London) is after closing at 16:30" or "2026-12-28 is a bank holiday
  // (England and Wales bank holidays)". Never empty.
  std::string why;
};

class OfficeHours {
 public:
  // `calendar` may be null when `hours.holiday_calendar` is empty.
  // Errors: INVALID_ARGUMENT naming the element ("open[2]: closes \"25:00\" is
  // not a time HH:MM"; two windows for one day; opens not before closes; a
  // holiday date malformed, out of order or after covers_until).
  static absl::StatusOr<OfficeHours> Create(const referrals::v1::OfficeHours& hours,
                                            const referrals::v1::HolidayCalendar* calendar,
                                            absl::TimeZone zone);

  // Out of hours: a holiday, a day without a window, or a local time outside
  // [opens, closes). After the calendar's covers_until every day is taken as
  // a working day, and `why` says that the calendar has run out.
  OfficeHoursCheck Check(absl::Time time) const;

 private:
  struct Window {
    bool open = false;
    int opens = 0;   // minutes past local midnight
    int closes = 0;  // exclusive
  };

  absl::TimeZone zone_;
  std::array<Window, 7> windows_{};  // Monday first
  std::vector<absl::CivilDay> holidays_;  // ascending
  std::optional<absl::CivilDay> covers_until_;
  std::string calendar_name_;
};

}  // namespace referrals

#endif  // COMMON_DOMAIN_OFFICE_HOURS_H_
