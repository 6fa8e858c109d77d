// Property tests of the routing decision (issue 4, "Tests") over a few
// thousand generated referrals: random kind, postcodes drawn from every
// sector of data/postcode_sectors.csv plus random and malformed ones, random
// risk flags and harm/service locations, random receipt times 2025-2029. The
// generator has a fixed seed, so a failure reproduces; each failure message
// carries the referral's index and a synthetic description (no personal data:
// the referrals are generated).
//
// Properties, for every generated referral:
//  1. exactly one outcome: TEAM (with an authority of the version in force and
//     a team of that authority), MANUAL_TRIAGE (no authority) or OUT_OF_AREA
//     (no authority, at least one council to contact);
//  2. the queue is always set and is a known team's queue in that version;
//  3. the location that decided follows the kind (harm, else residence for
//     safeguarding; service for organisational; residence otherwise), and a
//     sector the table splits between authorities or ECC localities never
//     resolves to a single authority (manual triage, naming the table's
//     districts); a sector that is not split resolves to its authority;
//  4. deciding twice gives the same decision except decided_time;
//  5. rules_version is the version in force at receipt (2025.11-1 before
//     2026-11-23 00:00 Europe/London, 2026.11-1 from then);
//  6. priority and signposts follow the risk flags (never dropped);
//  7. out of hours is the deciding authority's (Mon-Thu 09:00-17:30, Fri
//     09:00-16:30 local time, bank holidays), with its duty line exactly when
//     urgent or an emergency;
//  8. other authorities are told only when a location other than the
//     residence decided, never the deciding authority itself; respond_by
//     follows the priority's target.
// And, exhaustively, property 3 for every sector of the table under every
// rules version.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/domain/office_hours.h"
#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_engine.h"

namespace referrals {
namespace {

using referrals::v1::Referral;
using referrals::v1::RoutingDecision;

constexpr uint64_t kSeed = 20261123;
constexpr int kReferrals = 5000;
constexpr int kMaxReported = 25;  // failures reported in full; all are counted

absl::TimeZone London() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Europe/London", &zone)) ADD_FAILURE() << "no Europe/London zone";
  return zone;
}

// The sector table, read independently of PostcodeDirectory: sector ->
// district codes.
using SectorTable = std::map<std::string, std::vector<std::string>>;

SectorTable ReadSectorTable(const std::string& path) {
  SectorTable table;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || absl::StartsWith(line, "sector,")) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() != 3) {
      ADD_FAILURE() << "bad sector table line: " << line;
      continue;
    }
    table[fields[0]].push_back(fields[1]);
  }
  return table;
}

// "authority/locality" groups of a sector's districts under `config`: more
// than one is a split (DOMAIN.md 'Postcode data').
std::set<std::string> Groups(const std::vector<std::string>& districts, const RulesConfig& config) {
  std::set<std::string> groups;
  for (const std::string& code : districts) {
    const auto* authority = config.AuthorityForDistrict(code);
    const auto* locality = config.LocalityForDistrict(code);
    groups.insert(
        absl::StrCat(authority ? authority->id() : "", "/", locality ? locality->id() : ""));
  }
  return groups;
}

// DOMAIN.md 'Postcode data': upper case, spaces removed, one space before the
// last three characters. Empty when too short to be a unit postcode.
std::string Normalise(const std::string& text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ')
      compact.push_back(static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(c))));
  }
  if (compact.size() < 5) return "";
  return absl::StrCat(compact.substr(0, compact.size() - 3), " ",
                      compact.substr(compact.size() - 3));
}

// "SS9 5" for "SS9 5AB".
std::string SectorOf(const std::string& normalised) {
  return normalised.size() < 3 ? "" : normalised.substr(0, normalised.size() - 2);
}

// ---------------------------------------------------------------------------
// The generator.

class Generator {
 public:
  Generator(uint64_t seed, std::vector<std::string> sectors)
      : rng_(seed), sectors_(std::move(sectors)) {}

  Referral Next() {
    Referral referral;
    referral.set_kind(static_cast<referrals::v1::ReferralKind>(Uniform(1, 5)));
    referral.mutable_adult()->set_given_name("Synthetic");
    referral.mutable_adult()->set_family_name(absl::StrCat("Person", Uniform(1, 9999)));
    if (Chance(97)) referral.mutable_adult()->mutable_home_address()->set_postcode(Postcode());
    // Harm location: often given for safeguarding, sometimes on other kinds.
    const bool safeguarding = referral.kind() == referrals::v1::ADULT_SAFEGUARDING_CONCERN;
    const int harm = Uniform(0, 99);
    if (harm < (safeguarding ? 55 : 15)) {
      referral.mutable_harm_location()->mutable_address()->set_postcode(Postcode());
    } else if (harm < (safeguarding ? 65 : 18)) {
      referral.mutable_harm_location()->set_unknown(true);
    } else if (harm < (safeguarding ? 70 : 20)) {
      referral.mutable_harm_location()->set_description("somewhere in town, no postcode");
    }
    const bool organisational =
        referral.kind() == referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN;
    if (Chance(organisational ? 90 : 20)) {
      referral.mutable_service()->set_name("Synthetic Care Ltd");
      referral.mutable_service()->mutable_address()->set_postcode(Postcode());
    }
    auto* risk = referral.mutable_risk();
    risk->set_immediate_danger(Chance(10));
    risk->set_suspected_crime(Chance(15));
    risk->set_child_at_risk(Chance(12));
    risk->set_mental_health_crisis(Chance(12));
    return referral;
  }

  // A receipt time between 2025-01-01 and 2029-12-31, London.
  absl::Time Received() {
    static const absl::Time from =
        absl::FromCivil(absl::CivilSecond(2025, 1, 1, 0, 0, 0), London());
    static const absl::Time to = absl::FromCivil(absl::CivilSecond(2030, 1, 1, 0, 0, 0), London());
    const int64_t span = absl::ToInt64Seconds(to - from);
    return from + absl::Seconds(static_cast<int64_t>(rng_() % static_cast<uint64_t>(span)));
  }

 private:
  int Uniform(int lo, int hi) {
    return lo + static_cast<int>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  char Letter() {
    static constexpr char kLetters[] = "ABDEFGHJLNPQRSTUWXYZ";
    return kLetters[Uniform(0, sizeof(kLetters) - 2)];
  }

  std::string Postcode() {
    const int pick = Uniform(0, 99);
    if (pick < 80) {
      // A unit of a sector in the table (not in any unit data: sector level).
      const std::string& sector =
          sectors_[static_cast<size_t>(Uniform(0, static_cast<int>(sectors_.size()) - 1))];
      return absl::StrCat(sector, std::string(1, Letter()), std::string(1, Letter()));
    }
    if (pick < 86) {
      // The same, as a form might give it: lower case, spacing lost.
      const std::string& sector =
          sectors_[static_cast<size_t>(Uniform(0, static_cast<int>(sectors_.size()) - 1))];
      std::string text = absl::StrCat(sector, std::string(1, Letter()), std::string(1, Letter()));
      text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
      return Chance(50) ? absl::AsciiStrToLower(text) : absl::StrCat(" ", text, "  ");
    }
    if (pick < 97) {
      // A random unit: an area near Essex or far away, any district.
      static const char* const kAreas[] = {"CM", "CO", "SS", "RM", "IG", "EN", "E",  "CB",
                                           "SG", "IP", "NR", "N",  "W",  "ZE", "AB", "B"};
      const std::string area = kAreas[Uniform(0, 15)];
      return absl::StrCat(area, Uniform(1, 30), " ", Uniform(0, 9), std::string(1, Letter()),
                          std::string(1, Letter()));
    }
    // Malformed.
    static const char* const kBad[] = {"NOT KNOWN", "12345", "SS9", "CM1 1", "C0 1AB!"};
    return kBad[Uniform(0, 4)];
  }

  std::mt19937_64 rng_;
  std::vector<std::string> sectors_;
};

// A description for failure messages (synthetic data only).
std::string Describe(const Referral& referral, absl::Time received) {
  return absl::StrCat(referrals::v1::ReferralKind_Name(referral.kind()), " home=\"",
                      referral.adult().home_address().postcode(), "\" harm=\"",
                      referral.harm_location().address().postcode(), "\"",
                      referral.harm_location().unknown() ? " (unknown)" : "", " service=\"",
                      referral.service().address().postcode(), "\" risk={",
                      referral.risk().immediate_danger(), referral.risk().suspected_crime(),
                      referral.risk().child_at_risk(), referral.risk().mental_health_crisis(),
                      "} received ", absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", received, London()));
}

// ---------------------------------------------------------------------------

class RoutingPropertiesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                           REFERRALS_DEFAULT_AUTHORITIES};
    auto data = LoadRoutingData(paths);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = new RoutingData(*std::move(data));
    table_ = new SectorTable(ReadSectorTable(REFERRALS_DEFAULT_SECTORS));
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
    delete table_;
    table_ = nullptr;
  }

  // The version in force, computed from the rules files' dates, not by the
  // catalog (config/rules: 2025.11-1 from 2025-11-01, 2026.11-1 from
  // 2026-11-23; the earliest before all).
  static std::string ExpectedVersion(absl::Time received) {
    static const absl::Time switch_2026 = absl::FromCivil(absl::CivilDay(2026, 11, 23), London());
    return received < switch_2026 ? "2025.11-1" : "2026.11-1";
  }

  // DOMAIN.md 'Timing': out of hours is Monday-Thursday 17:30-09:00, Friday
  // 16:30 to Monday 09:00 and English bank holidays (from the version's
  // calendar, none after covers_until).
  static bool ExpectedOutOfHours(absl::Time received, const RulesConfig& config) {
    const absl::CivilMinute local = absl::ToCivilMinute(received, London());
    const absl::CivilDay day(local);
    for (const auto& calendar : config.proto().holiday_calendars()) {
      std::optional<absl::CivilDay> until = ParseIsoDate(calendar.covers_until());
      if (until.has_value() && day > *until) continue;
      for (const std::string& date : calendar.dates()) {
        if (ParseIsoDate(date) == day) return true;
      }
    }
    const int minutes = local.hour() * 60 + local.minute();
    switch (absl::GetWeekday(day)) {
      case absl::Weekday::monday:
      case absl::Weekday::tuesday:
      case absl::Weekday::wednesday:
      case absl::Weekday::thursday:
        return minutes < 9 * 60 || minutes >= 17 * 60 + 30;
      case absl::Weekday::friday:
        return minutes < 9 * 60 || minutes >= 16 * 60 + 30;
      default:
        return true;
    }
  }

  // The postcode that should decide, by kind (DOMAIN.md kinds table; the
  // rules' kind_rules), with its basis; empty when none is given.
  static std::pair<referrals::v1::LocationBasis, std::string> ExpectedLocation(
      const Referral& referral) {
    const std::string& home = referral.adult().home_address().postcode();
    switch (referral.kind()) {
      case referrals::v1::ADULT_SAFEGUARDING_CONCERN: {
        const std::string& harm = referral.harm_location().address().postcode();
        if (!referral.harm_location().unknown() && !harm.empty()) {
          return {referrals::v1::LOCATION_BASIS_PLACE_OF_HARM, harm};
        }
        if (!home.empty()) return {referrals::v1::LOCATION_BASIS_RESIDENCE, home};
        return {referrals::v1::LOCATION_BASIS_UNSPECIFIED, ""};
      }
      case referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN: {
        const std::string& service = referral.service().address().postcode();
        if (!service.empty()) return {referrals::v1::LOCATION_BASIS_SERVICE, service};
        return {referrals::v1::LOCATION_BASIS_UNSPECIFIED, ""};
      }
      default:
        if (!home.empty()) return {referrals::v1::LOCATION_BASIS_RESIDENCE, home};
        return {referrals::v1::LOCATION_BASIS_UNSPECIFIED, ""};
    }
  }

  // Every property of one decision; the failures, one per line.
  static std::vector<std::string> Check(const Referral& referral, absl::Time received,
                                        const RoutingDecision& decision) {
    std::vector<std::string> failures;
    auto fail = [&](auto&&... parts) { failures.push_back(absl::StrCat(parts...)); };
    const std::string outcome_name = referrals::v1::RoutingOutcome_Name(decision.outcome());

    // 5. The version in force at receipt.
    const std::string version = ExpectedVersion(received);
    if (decision.rules_version() != version) {
      fail("rules_version ", decision.rules_version(), ", expected ", version);
    }
    if (data_->rules->InForceAt(received)->version() != version) {
      fail("catalog's InForceAt gives ", data_->rules->InForceAt(received)->version());
    }
    const std::shared_ptr<const RulesConfig> config = data_->rules->Find(decision.rules_version());
    if (config == nullptr) {
      fail("rules_version ", decision.rules_version(), " is not loaded");
      return failures;
    }

    // 1. Exactly one outcome. 2. A known queue.
    const referrals::v1::Team* by_queue = config->FindTeamByQueue(decision.queue());
    if (decision.queue().empty()) fail("queue is empty");
    if (by_queue == nullptr) fail("queue \"", decision.queue(), "\" is no team's queue");
    if (by_queue != nullptr && by_queue->id() != decision.team_id()) {
      fail("queue \"", decision.queue(), "\" is team ", by_queue->id(), ", decision says team ",
           decision.team_id());
    }
    switch (decision.outcome()) {
      case referrals::v1::ROUTING_OUTCOME_TEAM: {
        const referrals::v1::Authority* authority = config->FindAuthority(decision.authority_id());
        const referrals::v1::Team* team = config->FindTeam(decision.team_id());
        if (authority == nullptr)
          fail("TEAM with unknown authority \"", decision.authority_id(), "\"");
        if (team == nullptr) {
          fail("TEAM with unknown team \"", decision.team_id(), "\"");
        } else {
          if (team->authority_id() != decision.authority_id()) {
            fail("team ", team->id(), " belongs to ", team->authority_id(), ", not ",
                 decision.authority_id());
          }
          if (team->queue() != decision.queue()) fail("queue is not team ", team->id(), "'s");
        }
        if (decision.out_of_area_councils_size() != 0) fail("TEAM with out-of-area councils");
        if (decision.location().outcome() != referrals::v1::LOCATION_OUTCOME_IN_AREA) {
          fail("TEAM but location outcome ",
               referrals::v1::LocationOutcome_Name(decision.location().outcome()));
        } else if (decision.location().authority_id() != decision.authority_id()) {
          fail("TEAM authority ", decision.authority_id(), " but location in ",
               decision.location().authority_id());
        }
        break;
      }
      case referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE:
        if (!decision.authority_id().empty()) fail("MANUAL_TRIAGE with an authority");
        if (decision.team_id() != config->manual_triage_team().id()) fail("MANUAL_TRIAGE team");
        if (decision.out_of_area_councils_size() != 0) fail("MANUAL_TRIAGE with councils");
        break;
      case referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA:
        if (!decision.authority_id().empty()) fail("OUT_OF_AREA with an authority");
        if (decision.team_id() != config->out_of_area_team().id()) fail("OUT_OF_AREA team");
        if (decision.out_of_area_councils_size() == 0) fail("OUT_OF_AREA without a council");
        for (const std::string& council : decision.out_of_area_councils()) {
          if (council.empty()) fail("OUT_OF_AREA with an empty council");
        }
        if (decision.location().outcome() != referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA) {
          fail("OUT_OF_AREA but location outcome ",
               referrals::v1::LocationOutcome_Name(decision.location().outcome()));
        }
        break;
      default:
        fail("outcome ", outcome_name);
    }

    // 3. The deciding location, and split sectors.
    const auto [basis, postcode] = ExpectedLocation(referral);
    if (decision.location_basis() != basis) {
      fail("location basis ", referrals::v1::LocationBasis_Name(decision.location_basis()),
           ", expected ", referrals::v1::LocationBasis_Name(basis));
    }
    if (postcode.empty() && decision.outcome() != referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE) {
      fail("no postcode to route on, but ", outcome_name);
    }
    if (decision.has_location()) {
      const std::string normalised = Normalise(postcode);
      if (decision.location().postcode() != normalised) {
        fail("resolved \"", decision.location().postcode(), "\", expected \"", normalised, "\"");
      }
      auto sector = table_->find(SectorOf(normalised));
      if (sector != table_->end()) {
        const std::set<std::string> groups = Groups(sector->second, *config);
        if (decision.location().level() != referrals::v1::RESOLUTION_LEVEL_SECTOR) {
          fail("sector ", sector->first, " not resolved at sector level");
        }
        if (groups.size() > 1) {
          if (decision.outcome() != referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE ||
              decision.location().outcome() != referrals::v1::LOCATION_OUTCOME_SPLIT ||
              !decision.authority_id().empty() || !decision.location().authority_id().empty()) {
            fail("split sector ", sector->first, " (", absl::StrJoin(groups, " "), ") resolved to ",
                 outcome_name, " ", decision.authority_id());
          }
          std::vector<std::string> codes;
          for (const auto& candidate : decision.location().candidates()) {
            codes.push_back(candidate.district_code());
          }
          std::sort(codes.begin(), codes.end());
          std::vector<std::string> expected = sector->second;
          std::sort(expected.begin(), expected.end());
          if (codes != expected) {
            fail("split sector ", sector->first, " candidates ", absl::StrJoin(codes, ","),
                 ", table ", absl::StrJoin(expected, ","));
          }
        } else {
          const std::string group = *groups.begin();
          const std::string authority = group.substr(0, group.find('/'));
          const std::string locality = group.substr(group.find('/') + 1);
          if (decision.location().authority_id() != authority ||
              decision.location().locality_id() != locality) {
            fail("sector ", sector->first, " resolved to ", decision.location().authority_id(), "/",
                 decision.location().locality_id(), ", table says ", group);
          }
          const auto want = authority.empty() ? referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA
                                              : referrals::v1::ROUTING_OUTCOME_TEAM;
          if (decision.outcome() != want) {
            fail("settled sector ", sector->first, " gave ", outcome_name);
          }
        }
      } else if (decision.location().outcome() != referrals::v1::LOCATION_OUTCOME_NOT_FOUND ||
                 decision.outcome() != referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE) {
        fail("sector ", SectorOf(normalised), " is not in the table, but ", outcome_name);
      }
    } else if (decision.outcome() != referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE) {
      fail("no location resolved, but ", outcome_name);
    }

    // 6. Priority and signposts follow the flags.
    const auto& risk = referral.risk();
    referrals::v1::Priority priority = referrals::v1::PRIORITY_ROUTINE;
    if (risk.suspected_crime() || risk.child_at_risk() || risk.mental_health_crisis()) {
      priority = referrals::v1::PRIORITY_URGENT;
    }
    if (risk.immediate_danger()) priority = referrals::v1::PRIORITY_EMERGENCY;
    if (decision.priority() != priority) {
      fail("priority ", referrals::v1::Priority_Name(decision.priority()), ", expected ",
           referrals::v1::Priority_Name(priority));
    }
    std::vector<std::string> want_signposts;
    if (risk.immediate_danger()) want_signposts.push_back("EMERGENCY_SERVICES");
    if (risk.suspected_crime()) want_signposts.push_back("POLICE");
    if (risk.child_at_risk()) want_signposts.push_back("CHILDRENS_SAFEGUARDING");
    if (risk.mental_health_crisis()) want_signposts.push_back("MENTAL_HEALTH_CRISIS");
    std::vector<std::string> signposts;
    for (const auto& signpost : decision.signposts()) {
      signposts.push_back(signpost.id());
      if (signpost.contact().empty()) fail("signpost ", signpost.id(), " without a contact");
    }
    if (signposts != want_signposts) {
      fail("signposts ", absl::StrJoin(signposts, ","), ", expected ",
           absl::StrJoin(want_signposts, ","));
    }

    // 7. Office hours are the deciding authority's.
    if (decision.outcome() == referrals::v1::ROUTING_OUTCOME_TEAM) {
      const bool ooh = ExpectedOutOfHours(received, *config);
      if (decision.out_of_hours() != ooh) {
        fail("out_of_hours ", decision.out_of_hours(), ", expected ", ooh);
      }
      const referrals::v1::Authority* authority = config->FindAuthority(decision.authority_id());
      const std::string contact = (ooh && priority >= referrals::v1::PRIORITY_URGENT && authority)
                                      ? authority->out_of_hours_contact()
                                      : "";
      if (decision.out_of_hours_contact() != contact) {
        fail("out_of_hours_contact \"", decision.out_of_hours_contact(), "\", expected \"", contact,
             "\"");
      }
    } else if (decision.out_of_hours() || !decision.out_of_hours_contact().empty()) {
      fail(outcome_name, " has out-of-hours facts without an authority");
    }

    // 8. Who else is told; when a response is due.
    // Only when the place of harm decided, for a team or an out-of-area
    // council; out of area, only an in-area home authority is told.
    if (decision.to_be_informed_size() > 0 &&
        (decision.outcome() == referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE ||
         decision.location_basis() != referrals::v1::LOCATION_BASIS_PLACE_OF_HARM)) {
      fail("to_be_informed on a ", outcome_name, " not decided by the place of harm");
    }
    if (decision.outcome() == referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA) {
      for (const auto& inform : decision.to_be_informed()) {
        if (inform.authority_id().empty()) fail("out of area, told a council that is not ours");
      }
    }
    for (const auto& inform : decision.to_be_informed()) {
      if (!inform.authority_id().empty() && inform.authority_id() == decision.authority_id()) {
        fail("the deciding authority is also to be informed");
      }
      if (inform.authority_name().empty()) fail("to_be_informed without a name");
    }
    const std::optional<absl::Duration> target = config->ResponseTarget(decision.priority());
    if (target.has_value() != decision.has_respond_by() ||
        (target.has_value() && FromTimestamp(decision.respond_by()) != received + *target)) {
      fail("respond_by does not follow the priority's target");
    }
    if (FromTimestamp(decision.received_time()) != received) fail("received_time");
    return failures;
  }

  static RoutingData* data_;
  static SectorTable* table_;
};

RoutingData* RoutingPropertiesTest::data_ = nullptr;
SectorTable* RoutingPropertiesTest::table_ = nullptr;

TEST_F(RoutingPropertiesTest, GeneratedReferralsKeepEveryProperty) {
  ASSERT_NE(data_, nullptr);
  ASSERT_GT(table_->size(), 600u);  // data/README.md: 625 sectors
  std::vector<std::string> sectors;
  for (const auto& [sector, districts] : *table_) sectors.push_back(sector);
  Generator generator(kSeed, sectors);

  int failed = 0;
  std::map<std::string, int> outcomes;  // coverage of the generated set
  std::set<std::string> versions;
  int splits = 0;
  for (int i = 0; i < kReferrals; ++i) {
    const Referral referral = generator.Next();
    const absl::Time received = generator.Received();
    const RoutingDecision first =
        data_->engine->Decide(referral, data_->triage->Classify(referral, received), received,
                              received + absl::Seconds(2));
    // 4. Determinism: again, later, from a fresh classification.
    RoutingDecision second = data_->engine->Decide(
        referral, data_->triage->Classify(referral, received), received, received + absl::Hours(7));

    std::vector<std::string> failures = Check(referral, received, first);
    RoutingDecision a = first;
    a.clear_decided_time();
    second.clear_decided_time();
    std::string diff;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    if (!differencer.Compare(a, second)) failures.push_back("not deterministic: " + diff);

    outcomes[referrals::v1::RoutingOutcome_Name(first.outcome())]++;
    versions.insert(first.rules_version());
    if (first.location().outcome() == referrals::v1::LOCATION_OUTCOME_SPLIT) ++splits;
    if (!failures.empty()) {
      if (++failed <= kMaxReported) {
        ADD_FAILURE() << "referral #" << i << " (seed " << kSeed
                      << "): " << Describe(referral, received) << "\n  "
                      << absl::StrJoin(failures, "\n  ");
      }
    }
  }
  EXPECT_EQ(failed, 0) << "referrals failing a property, of " << kReferrals;
  // The generated set reaches every outcome, both versions and split sectors.
  EXPECT_GT(outcomes["ROUTING_OUTCOME_TEAM"], kReferrals / 4);
  EXPECT_GT(outcomes["ROUTING_OUTCOME_MANUAL_TRIAGE"], kReferrals / 20);
  EXPECT_GT(outcomes["ROUTING_OUTCOME_OUT_OF_AREA"], kReferrals / 20);
  EXPECT_THAT(versions, ::testing::ElementsAre("2025.11-1", "2026.11-1"));
  EXPECT_GT(splits, kReferrals / 20);
}

// Property 3 for every sector of the table, under every loaded version:
// split (more than one authority/locality) -> SPLIT with every district as
// candidate; otherwise that authority and locality, or out of area.
TEST_F(RoutingPropertiesTest, EverySectorOfTheTableUnderEveryVersion) {
  ASSERT_NE(data_, nullptr);
  int split = 0;
  for (const auto& config : data_->rules->versions()) {
    for (const auto& [sector, districts] : *table_) {
      const std::string postcode = absl::StrCat(sector, "ZZ");
      auto resolved = data_->engine->resolver().Resolve(postcode, *config);
      ASSERT_TRUE(resolved.ok()) << postcode << ": " << resolved.status();
      const std::set<std::string> groups = Groups(districts, *config);
      SCOPED_TRACE(absl::StrCat(config->version(), " sector ", sector, " groups ",
                                absl::StrJoin(groups, " ")));
      EXPECT_EQ(resolved->level(), referrals::v1::RESOLUTION_LEVEL_SECTOR);
      if (groups.size() > 1) {
        ++split;
        EXPECT_EQ(resolved->outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT);
        EXPECT_TRUE(resolved->authority_id().empty());
        EXPECT_TRUE(resolved->district_code().empty());
        EXPECT_EQ(resolved->candidates_size(), static_cast<int>(districts.size()));
      } else {
        const std::string group = *groups.begin();
        const std::string authority = group.substr(0, group.find('/'));
        EXPECT_EQ(resolved->outcome(), authority.empty()
                                           ? referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA
                                           : referrals::v1::LOCATION_OUTCOME_IN_AREA);
        EXPECT_EQ(resolved->authority_id(), authority);
        EXPECT_EQ(resolved->locality_id(), group.substr(group.find('/') + 1));
        if (authority.empty()) {
          EXPECT_GT(resolved->out_of_area_councils_size(), 0);
        }
        EXPECT_EQ(resolved->candidates_size(), 0);
      }
    }
  }
  // data/README.md: 180 of 625 sectors are split between districts; fewer
  // split between authorities or localities. Both versions share the
  // boundaries.
  EXPECT_GT(split, 0);
}

}  // namespace
}  // namespace referrals
