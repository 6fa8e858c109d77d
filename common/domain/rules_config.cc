#include "common/domain/rules_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace referrals {
namespace {

using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::referrals::v1::Authority;
using ::referrals::v1::KindRule;
using ::referrals::v1::Locality;
using ::referrals::v1::ReferralKind;
using ::referrals::v1::RoutingConfig;
using ::referrals::v1::SignpostRule;
using ::referrals::v1::Team;
using ::referrals::v1::TeamRule;

// The mapped pointer for `key`, or nullptr.
template <typename Map, typename Key>
typename Map::mapped_type FindOrNull(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------------------
// Shapes of identifiers.

// `"value"`, escaped so that one problem always stays on one line.
std::string Quote(absl::string_view value) {
  return absl::StrCat("\"", absl::CHexEscape(value), "\"");
}

bool AllCharsMatch(absl::string_view value, bool (*allowed)(char)) {
  return !value.empty() && std::all_of(value.begin(), value.end(), allowed);
}

// Authority and locality ids: [A-Z_]+.
bool IsUpperId(absl::string_view value) {
  return AllCharsMatch(value, [](char c) { return absl::ascii_isupper(c) || c == '_'; });
}

// Team ids: lower-case letters, digits, '-' and '.'.
bool IsTeamId(absl::string_view value) {
  return AllCharsMatch(value, [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '.';
  });
}

// Queue names: lower-case letters, digits and '-'.
bool IsQueueName(absl::string_view value) {
  return AllCharsMatch(
      value, [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'; });
}

// GSS code shape: ^[EWSN][0-9]{8}$.
bool IsGssCode(absl::string_view value) {
  if (value.size() != 9) return false;
  if (value[0] != 'E' && value[0] != 'W' && value[0] != 'S' && value[0] != 'N') return false;
  return std::all_of(value.begin() + 1, value.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// An ISO calendar date, exactly YYYY-MM-DD, that exists.
bool IsIsoDate(absl::string_view value) {
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(value[i])) return false;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  if (!absl::SimpleAtoi(value.substr(0, 4), &year) ||
      !absl::SimpleAtoi(value.substr(5, 2), &month) ||
      !absl::SimpleAtoi(value.substr(8, 2), &day)) {
    return false;
  }
  // CivilDay normalises out-of-range fields (2025-02-30 becomes 2025-03-02),
  // so a date exists exactly when it survives the round trip.
  const absl::CivilDay civil(year, month, day);
  return civil.year() == year && civil.month() == month && civil.day() == day;
}

// ---------------------------------------------------------------------------
// Enums.

// "SENSORY_SUPPORT" for a known value, the number otherwise.
std::string EnumName(const EnumDescriptor* descriptor, int number) {
  const EnumValueDescriptor* value = descriptor->FindValueByNumber(number);
  return value != nullptr ? value->name() : absl::StrCat(number);
}

// True for a value the enum defines other than its zero (UNSPECIFIED) value.
bool IsSetEnumValue(const EnumDescriptor* descriptor, int number) {
  return number != 0 && descriptor->FindValueByNumber(number) != nullptr;
}

// Every ReferralKind other than REFERRAL_KIND_UNSPECIFIED, in declaration
// order.
std::vector<ReferralKind> AllKinds() {
  std::vector<ReferralKind> kinds;
  const EnumDescriptor* descriptor = referrals::v1::ReferralKind_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    if (number != 0) kinds.push_back(static_cast<ReferralKind>(number));
  }
  return kinds;
}

// ---------------------------------------------------------------------------
// Team rule matching, shared by validation and RulesConfig::MatchTeamRule.

template <typename T, typename V>
bool EmptyOrContains(const T& list, const V& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

// The index of the first matching team rule, or -1.
int FirstMatchingRule(const RoutingConfig& config, absl::string_view authority_id,
                      ReferralKind kind, absl::string_view locality_id) {
  for (int i = 0; i < config.team_rules_size(); ++i) {
    const TeamRule& rule = config.team_rules(i);
    if (EmptyOrContains(rule.authority_ids(), authority_id) &&
        EmptyOrContains(rule.kinds(), static_cast<int>(kind)) &&
        EmptyOrContains(rule.locality_ids(), locality_id)) {
      return i;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Validation: every problem is collected, none stops the others.

class Validator {
 public:
  explicit Validator(const RoutingConfig& config) : config_(config) {}

  std::vector<std::string> Run() {
    CheckHeader();
    CheckAuthorities();
    CheckLocalities();
    CheckTeams();
    CheckKindRules();
    CheckTeamRules();
    CheckCoverage();
    CheckSignposts();
    CheckSpecialTeam("manual_triage_team", config_.manual_triage_team());
    CheckSpecialTeam("out_of_area_team", config_.out_of_area_team());
    CheckHolidayCalendars();
    CheckOfficeHours();
    CheckResponseTargets();
    return std::move(problems_);
  }

 private:
  template <typename... Args>
  void Problem(const Args&... args) {
    problems_.push_back(absl::StrCat(args...));
  }

  // `teams[3] (id "ecc-mid")`, or `teams[3]` when the id is empty.
  static std::string Label(absl::string_view list, int index, absl::string_view id) {
    std::string label = absl::StrCat(list, "[", index, "]");
    if (!id.empty()) absl::StrAppend(&label, " (id ", Quote(id), ")");
    return label;
  }

  // Records the first index of each id; reports later duplicates.
  void CheckUnique(absl::flat_hash_map<std::string, int>& seen, absl::string_view list,
                   const std::string& label, absl::string_view id, int index) {
    if (id.empty()) return;
    auto [it, inserted] = seen.try_emplace(std::string(id), index);
    if (!inserted) {
      Problem(label, ": id is also used by ", list, "[", it->second, "]");
    }
  }

  void CheckHeader() {
    if (config_.version().empty()) Problem("version: is empty");
    if (!IsIsoDate(config_.effective_from())) {
      Problem("effective_from: ", Quote(config_.effective_from()),
              " is not a valid ISO date (YYYY-MM-DD)");
    }
    if (config_.time_zone().empty()) {
      Problem("time_zone: is empty (an IANA name such as \"Europe/London\")");
    } else if (!absl::LoadTimeZone(config_.time_zone(), &zone_)) {
      Problem("time_zone: ", Quote(config_.time_zone()),
              " is not a time zone this machine knows (is tzdata installed?)");
    }
  }

  void CheckHolidayCalendars() {
    for (int i = 0; i < config_.holiday_calendars_size(); ++i) {
      const referrals::v1::HolidayCalendar& calendar = config_.holiday_calendars(i);
      const std::string label = Label("holiday_calendars", i, calendar.id());
      if (calendar.id().empty()) Problem(label, ": id is empty");
      CheckUnique(calendar_ids_, "holiday_calendars", label, calendar.id(), i);
      if (calendar.covers_until().empty()) Problem(label, ": covers_until is empty");
      // The dates are checked by building an empty schedule over them.
      absl::StatusOr<OfficeHours> built =
          OfficeHours::Create(referrals::v1::OfficeHours(), &calendar, zone_);
      if (!built.ok()) Problem(label, ": ", built.status().message());
    }
  }

  void CheckOfficeHours() {
    for (int i = 0; i < config_.authorities_size(); ++i) {
      const Authority& authority = config_.authorities(i);
      const std::string label = Label("authorities", i, authority.id());
      if (!authority.has_office_hours() || authority.office_hours().open().empty()) {
        Problem(label, ": office_hours has no open windows");
        continue;
      }
      const std::string& calendar_id = authority.office_hours().holiday_calendar();
      const referrals::v1::HolidayCalendar* calendar = nullptr;
      if (!calendar_id.empty()) {
        auto it = calendar_ids_.find(calendar_id);
        if (it == calendar_ids_.end()) {
          Problem(label, ": office_hours.holiday_calendar ", Quote(calendar_id),
                  " is not a holiday calendar");
          continue;
        }
        calendar = &config_.holiday_calendars(it->second);
      }
      absl::StatusOr<OfficeHours> built =
          OfficeHours::Create(authority.office_hours(), calendar, zone_);
      if (!built.ok()) {
        // Calendar problems are reported once, against the calendar.
        for (absl::string_view line : absl::StrSplit(built.status().message(), '\n')) {
          if (!absl::StartsWith(line, "holiday calendar ")) {
            Problem(label, ": office_hours.", line);
          }
        }
      }
    }
  }

  void CheckResponseTargets() {
    const EnumDescriptor* priorities = referrals::v1::Priority_descriptor();
    absl::flat_hash_map<int, int> seen;
    for (int i = 0; i < config_.response_targets_size(); ++i) {
      const referrals::v1::ResponseTarget& target = config_.response_targets(i);
      const std::string label = absl::StrCat("response_targets[", i, "]");
      if (target.priority() == referrals::v1::PRIORITY_UNSPECIFIED ||
          priorities->FindValueByNumber(target.priority()) == nullptr) {
        Problem(label, ": priority is not a priority");
      } else if (auto [it, inserted] = seen.try_emplace(target.priority(), i); !inserted) {
        Problem(label, ": priority ", EnumName(priorities, target.priority()),
                " also has response_targets[", it->second, "]");
      }
      if (target.minutes() <= 0) Problem(label, ": minutes must be more than 0");
    }
  }

  void CheckAuthorities() {
    absl::flat_hash_map<std::string, int> ids;
    for (int i = 0; i < config_.authorities_size(); ++i) {
      const Authority& authority = config_.authorities(i);
      const std::string label = Label("authorities", i, authority.id());
      if (authority.id().empty()) {
        Problem(label, ": id is empty");
      } else if (!IsUpperId(authority.id())) {
        Problem(label, ": id is not upper-case letters and '_'");
      }
      CheckUnique(ids, "authorities", label, authority.id(), i);
      if (authority.name().empty()) Problem(label, ": name is empty");
      for (int j = 0; j < authority.district_codes_size(); ++j) {
        const std::string& code = authority.district_codes(j);
        if (!IsGssCode(code)) {
          Problem(label, ": district_codes[", j, "] ", Quote(code),
                  " is not a GSS code (a letter E, W, S or N and 8 digits)");
          continue;
        }
        auto [it, inserted] = authority_index_by_district_.try_emplace(code, i);
        if (!inserted) {
          const int other = it->second;
          if (other == i) {
            Problem(label, ": district_codes[", j, "] ", Quote(code), " is listed twice");
          } else {
            Problem(label, ": district_codes[", j, "] ", Quote(code), " is also in ",
                    Label("authorities", other, config_.authorities(other).id()));
          }
        }
      }
      // The first authority with an id wins, so later checks have one answer.
      if (!authority.id().empty()) authority_ids_.emplace(authority.id(), i);
    }
  }

  void CheckLocalities() {
    absl::flat_hash_map<std::string, int> ids;
    absl::flat_hash_map<std::string, int> locality_by_district;
    for (int i = 0; i < config_.localities_size(); ++i) {
      const Locality& locality = config_.localities(i);
      const std::string label = Label("localities", i, locality.id());
      if (locality.id().empty()) {
        Problem(label, ": id is empty");
      } else if (!IsUpperId(locality.id())) {
        Problem(label, ": id is not upper-case letters and '_'");
      }
      CheckUnique(ids, "localities", label, locality.id(), i);
      if (locality.name().empty()) Problem(label, ": name is empty");
      const bool authority_known = authority_ids_.contains(locality.authority_id());
      if (!authority_known) {
        Problem(label, ": authority_id ", Quote(locality.authority_id()), " is not an authority");
      }
      for (int j = 0; j < locality.district_codes_size(); ++j) {
        const std::string& code = locality.district_codes(j);
        const std::string element = absl::StrCat(label, ": district_codes[", j, "] ", Quote(code));
        auto owner = authority_index_by_district_.find(code);
        if (owner == authority_index_by_district_.end()) {
          Problem(element, " is not a district of any authority");
        } else if (authority_known &&
                   config_.authorities(owner->second).id() != locality.authority_id()) {
          Problem(element, " belongs to ",
                  Label("authorities", owner->second, config_.authorities(owner->second).id()),
                  ", not to authority ", Quote(locality.authority_id()));
        }
        auto [it, inserted] = locality_by_district.try_emplace(code, i);
        if (!inserted) {
          const int other = it->second;
          if (other == i) {
            Problem(element, " is listed twice");
          } else {
            Problem(element, " is also in ",
                    Label("localities", other, config_.localities(other).id()));
          }
        }
      }
      if (!locality.id().empty()) {
        const bool first = locality_ids_.emplace(locality.id(), i).second;
        if (first && authority_known) {
          localities_of_authority_[locality.authority_id()].push_back(i);
        }
      }
    }
    districts_in_a_locality_.reserve(locality_by_district.size());
    for (const auto& [code, index] : locality_by_district) districts_in_a_locality_.insert(code);
  }

  void CheckTeams() {
    absl::flat_hash_map<std::string, int> ids;
    absl::flat_hash_map<std::string, int> queues;
    for (int i = 0; i < config_.teams_size(); ++i) {
      const Team& team = config_.teams(i);
      const std::string label = Label("teams", i, team.id());
      if (team.id().empty()) {
        Problem(label, ": id is empty");
      } else if (!IsTeamId(team.id())) {
        Problem(label, ": id is not lower-case letters, digits, '-' and '.'");
      }
      CheckUnique(ids, "teams", label, team.id(), i);
      if (team.name().empty()) Problem(label, ": name is empty");
      if (!team.authority_id().empty() && !authority_ids_.contains(team.authority_id())) {
        Problem(label, ": authority_id ", Quote(team.authority_id()), " is not an authority");
      }
      if (team.queue().empty()) {
        Problem(label, ": queue is empty");
      } else if (!IsQueueName(team.queue())) {
        Problem(label, ": queue ", Quote(team.queue()),
                " is not lower-case letters, digits and '-'");
      } else {
        auto [it, inserted] = queues.try_emplace(team.queue(), i);
        if (!inserted) {
          Problem(label, ": queue ", Quote(team.queue()), " is also the queue of ",
                  Label("teams", it->second, config_.teams(it->second).id()));
        }
      }
      if (!team.id().empty()) team_ids_.emplace(team.id(), i);
    }
  }

  void CheckKindRules() {
    const EnumDescriptor* kinds = referrals::v1::ReferralKind_descriptor();
    const EnumDescriptor* bases = referrals::v1::LocationBasis_descriptor();
    const EnumDescriptor* priorities = referrals::v1::Priority_descriptor();
    absl::flat_hash_map<int, int> covered;
    for (int i = 0; i < config_.kind_rules_size(); ++i) {
      const KindRule& rule = config_.kind_rules(i);
      const std::string label =
          absl::StrCat("kind_rules[", i, "] (kind ", EnumName(kinds, rule.kind()), ")");
      if (!IsSetEnumValue(kinds, rule.kind())) {
        Problem(label, ": kind is not a referral kind");
      } else {
        auto [it, inserted] = covered.try_emplace(rule.kind(), i);
        if (!inserted) Problem(label, ": kind is also covered by kind_rules[", it->second, "]");
      }
      if (rule.location_bases().empty()) Problem(label, ": location_bases is empty");
      for (int j = 0; j < rule.location_bases_size(); ++j) {
        if (!IsSetEnumValue(bases, rule.location_bases(j))) {
          Problem(label, ": location_bases[", j, "] ", EnumName(bases, rule.location_bases(j)),
                  " is not a location basis");
        }
      }
      if (!IsSetEnumValue(priorities, rule.base_priority())) {
        Problem(label, ": base_priority ", EnumName(priorities, rule.base_priority()),
                " is not set to a priority");
      }
    }
    for (ReferralKind kind : AllKinds()) {
      if (!covered.contains(kind)) {
        Problem("kind_rules: no rule for kind ", EnumName(kinds, kind));
      }
    }
  }

  void CheckTeamRules() {
    const EnumDescriptor* kinds = referrals::v1::ReferralKind_descriptor();
    absl::flat_hash_map<std::string, int> ids;
    for (int i = 0; i < config_.team_rules_size(); ++i) {
      const TeamRule& rule = config_.team_rules(i);
      const std::string label = Label("team_rules", i, rule.id());
      if (rule.id().empty()) Problem(label, ": id is empty");
      CheckUnique(ids, "team_rules", label, rule.id(), i);
      if (!team_ids_.contains(rule.team_id())) {
        Problem(label, ": team_id ", Quote(rule.team_id()), " is not a team");
      }
      for (int j = 0; j < rule.authority_ids_size(); ++j) {
        if (!authority_ids_.contains(rule.authority_ids(j))) {
          Problem(label, ": authority_ids[", j, "] ", Quote(rule.authority_ids(j)),
                  " is not an authority");
        }
      }
      for (int j = 0; j < rule.kinds_size(); ++j) {
        if (!IsSetEnumValue(kinds, rule.kinds(j))) {
          Problem(label, ": kinds[", j, "] ", EnumName(kinds, rule.kinds(j)),
                  " is not a referral kind");
        }
      }
      for (int j = 0; j < rule.locality_ids_size(); ++j) {
        const std::string& locality_id = rule.locality_ids(j);
        auto locality = locality_ids_.find(locality_id);
        if (locality == locality_ids_.end()) {
          Problem(label, ": locality_ids[", j, "] ", Quote(locality_id), " is not a locality");
          continue;
        }
        // A locality of an authority the rule excludes can never match.
        const std::string& owner = config_.localities(locality->second).authority_id();
        if (!EmptyOrContains(rule.authority_ids(), owner)) {
          Problem(label, ": locality_ids[", j, "] ", Quote(locality_id), " is in authority ",
                  Quote(owner), ", which authority_ids does not include");
        }
      }
    }
  }

  // Every authority × kind × locality of the authority (and "" where some of
  // its districts are in no locality, or it has none) must match a rule, and
  // the rule's team must belong to that authority.
  void CheckCoverage() {
    const EnumDescriptor* kinds = referrals::v1::ReferralKind_descriptor();
    const std::vector<ReferralKind> all_kinds = AllKinds();
    for (int i = 0; i < config_.authorities_size(); ++i) {
      const Authority& authority = config_.authorities(i);
      auto first = authority_ids_.find(authority.id());
      if (first == authority_ids_.end() || first->second != i) continue;  // reported above

      std::vector<std::string> locality_ids;
      auto localities = localities_of_authority_.find(authority.id());
      if (localities != localities_of_authority_.end()) {
        for (int index : localities->second) locality_ids.push_back(config_.localities(index).id());
      }
      const bool has_unlocalised_district = std::any_of(
          authority.district_codes().begin(), authority.district_codes().end(),
          [&](const std::string& code) { return !districts_in_a_locality_.contains(code); });
      if (locality_ids.empty() || has_unlocalised_district) locality_ids.push_back("");

      const std::string label = Label("authorities", i, authority.id());
      for (ReferralKind kind : all_kinds) {
        for (const std::string& locality_id : locality_ids) {
          const std::string where =
              absl::StrCat("kind ", EnumName(kinds, kind), ", locality ",
                           locality_id.empty() ? "(none)" : Quote(locality_id));
          const int rule_index = FirstMatchingRule(config_, authority.id(), kind, locality_id);
          if (rule_index < 0) {
            Problem(label, ": no team rule matches ", where);
            continue;
          }
          const TeamRule& rule = config_.team_rules(rule_index);
          auto team = team_ids_.find(rule.team_id());
          if (team == team_ids_.end()) continue;  // reported with the rule
          const Team& matched = config_.teams(team->second);
          if (matched.authority_id() != authority.id()) {
            Problem(Label("team_rules", rule_index, rule.id()), ": routes authority ",
                    Quote(authority.id()), ", ", where, " to team ", Quote(matched.id()),
                    matched.authority_id().empty()
                        ? std::string(", which has no authority")
                        : absl::StrCat(" of authority ", Quote(matched.authority_id())));
          }
        }
      }
    }
  }

  void CheckSignposts() {
    const EnumDescriptor* flags = referrals::v1::RiskFlag_descriptor();
    const EnumDescriptor* priorities = referrals::v1::Priority_descriptor();
    absl::flat_hash_map<std::string, int> ids;
    for (int i = 0; i < config_.signposts_size(); ++i) {
      const SignpostRule& signpost = config_.signposts(i);
      const std::string label = Label("signposts", i, signpost.id());
      if (signpost.id().empty()) Problem(label, ": id is empty");
      CheckUnique(ids, "signposts", label, signpost.id(), i);
      if (!IsSetEnumValue(flags, signpost.trigger())) {
        Problem(label, ": trigger ", EnumName(flags, signpost.trigger()),
                " is not set to a risk flag");
      }
      if (signpost.name().empty()) Problem(label, ": name is empty");
      if (signpost.default_contact().empty()) Problem(label, ": default_contact is empty");
      if (!IsSetEnumValue(priorities, signpost.raises_priority_to())) {
        Problem(label, ": raises_priority_to ", EnumName(priorities, signpost.raises_priority_to()),
                " is not set to a priority");
      }
      // Map order is unspecified: sort so messages are stable.
      std::vector<std::pair<std::string, std::string>> contacts(
          signpost.contact_by_authority().begin(), signpost.contact_by_authority().end());
      std::sort(contacts.begin(), contacts.end());
      for (const auto& [authority_id, contact] : contacts) {
        if (!authority_ids_.contains(authority_id)) {
          Problem(label, ": contact_by_authority key ", Quote(authority_id),
                  " is not an authority");
        }
        if (contact.empty()) {
          Problem(label, ": contact_by_authority[", Quote(authority_id), "] is empty");
        }
      }
    }
  }

  void CheckSpecialTeam(absl::string_view field, const std::string& team_id) {
    if (team_id.empty()) {
      Problem(field, ": is empty");
      return;
    }
    auto team = team_ids_.find(team_id);
    if (team == team_ids_.end()) {
      Problem(field, ": ", Quote(team_id), " is not a team");
      return;
    }
    const Team& found = config_.teams(team->second);
    if (!found.authority_id().empty()) {
      Problem(field, ": team ", Quote(team_id), " belongs to authority ",
              Quote(found.authority_id()), "; it must have no authority_id");
    }
  }

  const RoutingConfig& config_;
  std::vector<std::string> problems_;
  absl::TimeZone zone_ = absl::UTCTimeZone();
  // First index of each id.
  absl::flat_hash_map<std::string, int> calendar_ids_;
  absl::flat_hash_map<std::string, int> authority_ids_;
  absl::flat_hash_map<std::string, int> locality_ids_;
  absl::flat_hash_map<std::string, int> team_ids_;
  // Well-formed district code → first authority that lists it.
  absl::flat_hash_map<std::string, int> authority_index_by_district_;
  // Authority id → indexes of its localities.
  absl::flat_hash_map<std::string, std::vector<int>> localities_of_authority_;
  absl::flat_hash_set<std::string> districts_in_a_locality_;
};

// Collects text-format parse errors as "PATH:LINE:COLUMN: message" (1-based).
class ParseErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ParseErrorCollector(absl::string_view path) : path_(path) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message));
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string contents;
  char buffer[8192];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) contents.append(buffer, read);
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  if (failed) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
  }
  return contents;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RulesConfig>> RulesConfig::LoadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();

  RoutingConfig config;
  ParseErrorCollector errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(*text, &config)) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a text-format RoutingConfig"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
  }
  return FromProto(std::move(config), path);
}

absl::StatusOr<std::shared_ptr<const RulesConfig>> RulesConfig::FromProto(
    referrals::v1::RoutingConfig config, absl::string_view source) {
  std::vector<std::string> problems = Validator(config).Run();
  if (!problems.empty()) {
    for (std::string& problem : problems) problem = absl::StrCat(source, ": ", problem);
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  }
  // The constructor is private, so std::make_shared cannot reach it.
  std::shared_ptr<RulesConfig> rules(new RulesConfig(std::move(config)));
  rules->BuildIndexes();
  return std::shared_ptr<const RulesConfig>(std::move(rules));
}

RulesConfig::RulesConfig(referrals::v1::RoutingConfig config) : config_(std::move(config)) {}

// Called once, after config_ has reached its final address: the indexes
// point into it.
void RulesConfig::BuildIndexes() {
  for (const Authority& authority : config_.authorities()) {
    authorities_.emplace(authority.id(), &authority);
    for (const std::string& code : authority.district_codes()) {
      authority_by_district_.emplace(code, &authority);
    }
  }
  for (const Locality& locality : config_.localities()) {
    localities_.emplace(locality.id(), &locality);
    for (const std::string& code : locality.district_codes()) {
      locality_by_district_.emplace(code, &locality);
    }
  }
  for (const Team& team : config_.teams()) {
    teams_.emplace(team.id(), &team);
    team_by_queue_.emplace(team.queue(), &team);
  }
  for (const KindRule& rule : config_.kind_rules()) kind_rules_.emplace(rule.kind(), &rule);
  manual_triage_team_ = teams_.at(config_.manual_triage_team());
  out_of_area_team_ = teams_.at(config_.out_of_area_team());

  // Validation has loaded the zone and checked every date and window once.
  absl::LoadTimeZone(config_.time_zone(), &time_zone_);
  effective_from_ =
      absl::FromCivil(*ParseIsoDate(config_.effective_from()), time_zone_);
  for (const Authority& authority : config_.authorities()) {
    const referrals::v1::HolidayCalendar* calendar = nullptr;
    for (const auto& candidate : config_.holiday_calendars()) {
      if (candidate.id() == authority.office_hours().holiday_calendar()) calendar = &candidate;
    }
    office_hours_.emplace(authority.id(),
                          *OfficeHours::Create(authority.office_hours(), calendar, time_zone_));
  }
  for (const referrals::v1::ResponseTarget& target : config_.response_targets()) {
    response_targets_.emplace(target.priority(), absl::Minutes(target.minutes()));
  }
}

const OfficeHours* RulesConfig::OfficeHoursOf(absl::string_view authority_id) const {
  auto it = office_hours_.find(authority_id);
  return it == office_hours_.end() ? nullptr : &it->second;
}

std::optional<absl::Duration> RulesConfig::ResponseTarget(referrals::v1::Priority priority) const {
  auto it = response_targets_.find(static_cast<int>(priority));
  if (it == response_targets_.end()) return std::nullopt;
  return it->second;
}

const Authority* RulesConfig::FindAuthority(absl::string_view authority_id) const {
  return FindOrNull(authorities_, authority_id);
}

const Authority* RulesConfig::AuthorityForDistrict(absl::string_view district_code) const {
  return FindOrNull(authority_by_district_, district_code);
}

const Locality* RulesConfig::LocalityForDistrict(absl::string_view district_code) const {
  return FindOrNull(locality_by_district_, district_code);
}

const Locality* RulesConfig::FindLocality(absl::string_view locality_id) const {
  return FindOrNull(localities_, locality_id);
}

const Team* RulesConfig::FindTeam(absl::string_view team_id) const {
  return FindOrNull(teams_, team_id);
}

const Team* RulesConfig::FindTeamByQueue(absl::string_view queue) const {
  return FindOrNull(team_by_queue_, queue);
}

const KindRule* RulesConfig::FindKindRule(ReferralKind kind) const {
  return FindOrNull(kind_rules_, static_cast<int>(kind));
}

const TeamRule* RulesConfig::MatchTeamRule(absl::string_view authority_id, ReferralKind kind,
                                           absl::string_view locality_id) const {
  const int index = FirstMatchingRule(config_, authority_id, kind, locality_id);
  return index < 0 ? nullptr : &config_.team_rules(index);
}

}  // namespace referrals
