#include "common/domain/office_hours.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace referrals {
namespace {

constexpr const char* kDayNames[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                      "Friday", "Saturday", "Sunday"};

// absl::Weekday counts from Monday = 0, as windows_ does.
int DayIndex(absl::CivilDay day) { return static_cast<int>(absl::GetWeekday(day)); }

// Hand-rolled rather than StrFormat/FormatCivilTime: these run for every
// routed referral, and the formatting libraries cost more than the rest of
// the office-hours check.
std::string ClockText(int minutes) {
  return absl::StrCat(absl::Dec(minutes / 60, absl::kZeroPad2), ":",
                      absl::Dec(minutes % 60, absl::kZeroPad2));
}

// YYYY-MM-DD, as absl::FormatCivilTime writes a CivilDay (years 0-9999).
std::string DayText(absl::CivilDay day) {
  return absl::StrCat(absl::Dec(day.year(), absl::kZeroPad4), "-",
                      absl::Dec(day.month(), absl::kZeroPad2), "-",
                      absl::Dec(day.day(), absl::kZeroPad2));
}

}  // namespace

std::optional<int> ParseClockTime(absl::string_view text, bool allow_end_of_day) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (!absl::ascii_isdigit(text[i])) return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59) return std::nullopt;
  if (hours == 24 && minutes == 0 && allow_end_of_day) return 24 * 60;
  if (hours > 23) return std::nullopt;
  return hours * 60 + minutes;
}

std::optional<absl::CivilDay> ParseIsoDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return std::nullopt;
  // ParseCivilTime normalises 2025-02-30 to March; a real date round-trips.
  if (absl::FormatCivilTime(day) != text) return std::nullopt;
  return day;
}

absl::StatusOr<OfficeHours> OfficeHours::Create(const referrals::v1::OfficeHours& hours,
                                                const referrals::v1::HolidayCalendar* calendar,
                                                absl::TimeZone zone) {
  OfficeHours result;
  result.zone_ = zone;
  std::vector<std::string> problems;
  for (int i = 0; i < hours.open_size(); ++i) {
    const referrals::v1::OpenWindow& window = hours.open(i);
    const std::string label = absl::StrCat("open[", i, "]");
    const int day = static_cast<int>(window.day());
    if (day < referrals::v1::MONDAY || day > referrals::v1::SUNDAY) {
      problems.push_back(absl::StrCat(label, ": day is not a day of the week"));
      continue;
    }
    const std::optional<int> opens = ParseClockTime(window.opens(), false);
    const std::optional<int> closes = ParseClockTime(window.closes(), true);
    if (!opens) {
      problems.push_back(absl::StrCat(label, ": opens \"", absl::CHexEscape(window.opens()),
                                      "\" is not a time HH:MM"));
    }
    if (!closes) {
      problems.push_back(absl::StrCat(label, ": closes \"", absl::CHexEscape(window.closes()),
                                      "\" is not a time HH:MM"));
    }
    if (!opens || !closes) continue;
    if (*opens >= *closes) {
      problems.push_back(absl::StrCat(label, ": opens ", window.opens(), " is not before closes ",
                                      window.closes()));
      continue;
    }
    Window& slot = result.windows_[day - 1];
    if (slot.open) {
      problems.push_back(absl::StrCat(label, ": ", kDayNames[day - 1],
                                      " already has an opening window; they would overlap"));
      continue;
    }
    slot = Window{true, *opens, *closes};
  }
  if (calendar != nullptr) {
    result.calendar_name_ = calendar->name().empty() ? calendar->id() : calendar->name();
    for (int i = 0; i < calendar->dates_size(); ++i) {
      std::optional<absl::CivilDay> day = ParseIsoDate(calendar->dates(i));
      if (!day) {
        problems.push_back(absl::StrCat("holiday calendar ", calendar->id(), ": dates[", i, "] \"",
                                        absl::CHexEscape(calendar->dates(i)),
                                        "\" is not a valid ISO date"));
        continue;
      }
      if (!result.holidays_.empty() && *day <= result.holidays_.back()) {
        problems.push_back(absl::StrCat("holiday calendar ", calendar->id(), ": dates[", i, "] ",
                                        calendar->dates(i), " is not after the date before it"));
        continue;
      }
      result.holidays_.push_back(*day);
    }
    if (!calendar->covers_until().empty()) {
      result.covers_until_ = ParseIsoDate(calendar->covers_until());
      if (!result.covers_until_) {
        problems.push_back(absl::StrCat("holiday calendar ", calendar->id(), ": covers_until \"",
                                        absl::CHexEscape(calendar->covers_until()),
                                        "\" is not a valid ISO date"));
      } else if (!result.holidays_.empty() && result.holidays_.back() > *result.covers_until_) {
        problems.push_back(absl::StrCat("holiday calendar ", calendar->id(),
                                        ": a date is after covers_until ",
                                        calendar->covers_until()));
      }
    }
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return result;
}

OfficeHoursCheck OfficeHours::Check(absl::Time time) const {
  const absl::CivilMinute local = absl::ToCivilMinute(time, zone_);
  const absl::CivilDay day(local);
  const int index = DayIndex(day);
  const int minute = local.hour() * 60 + local.minute();
  const std::string when = absl::StrCat(kDayNames[index], " ", DayText(day), " ", ClockText(minute),
                                        " (", zone_.name(), ")");

  std::string calendar_note;
  if (covers_until_ && day > *covers_until_) {
    calendar_note = absl::StrCat("; the holiday calendar ends ", DayText(*covers_until_),
                                 ", so no holidays are known");
  } else if (std::binary_search(holidays_.begin(), holidays_.end(), day)) {
    return {true, absl::StrCat(when, " is a public holiday (", calendar_name_, ")")};
  }
  const Window& window = windows_[index];
  if (!window.open) {
    return {true, absl::StrCat(when, ": closed all day", calendar_note)};
  }
  if (minute < window.opens) {
    return {true,
            absl::StrCat(when, " is before opening at ", ClockText(window.opens), calendar_note)};
  }
  if (minute >= window.closes) {
    return {true,
            absl::StrCat(when, " is after closing at ", ClockText(window.closes), calendar_note)};
  }
  return {false, absl::StrCat(when, " is within office hours ", ClockText(window.opens), "-",
                              ClockText(window.closes), calendar_note)};
}

}  // namespace referrals
