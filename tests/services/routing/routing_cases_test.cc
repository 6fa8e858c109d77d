// Table-driven routing cases (issue 4, "Tests"): one row per referral, each
// with the source its expectation was written from (DOMAIN.md, the two seed
// documents in ../shared/seeds/, or a rules file and rule id). Every row has a
// fixed receipt time in Europe/London, so the rules version it is decided
// under is explicit; the row states that version too.
//
// Decided over the committed rules (config/rules/: 2025.11-1 from 2025-11-01,
// 2026.11-1 from 2026-11-23) and the sector table (data/postcode_sectors.csv)
// without unit data, so every postcode resolves at sector level: the inward
// letters of the synthetic postcodes below do not matter, the sector does.
// The sectors were chosen from the table: a "single" sector has one row (one
// district); a split one has several.
//
// The last tests write a synthetic 2028 rule base (Colchester and Tendring
// moved to a new authority, NORTH_ESSEX) beside the 2026.11-1 file in a temp
// directory and show the same referral changing authority on 2028-04-01.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/domain/rules_catalog.h"
#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "referrals/v1/routing_config.pb.h"
#include "services/routing/routing_data.h"
#include "services/routing/routing_engine.h"

namespace referrals {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// ---------------------------------------------------------------------------
// Synthetic postcodes. The sector (outward code + first inward digit) is what
// the sector table knows; the comment gives the table's district(s).

// ECC districts, one district per sector, with their locality (DOMAIN.md,
// the locality table).
constexpr char kColchester[] = "CO1 1AB";     // CO1 1 Colchester: NORTH_EAST
constexpr char kTendring[] = "CO12 3AB";      // CO12 3 Tendring: NORTH_EAST
constexpr char kChelmsford[] = "CM1 1AB";     // CM1 1 Chelmsford: MID
constexpr char kBraintree[] = "CM7 1AB";      // CM7 1 Braintree: MID
constexpr char kMaldon[] = "CM9 4AB";         // CM9 4 Maldon: MID
constexpr char kHarlow[] = "CM20 1AB";        // CM20 1 Harlow: WEST
constexpr char kEppingForest[] = "CM16 4AB";  // CM16 4 Epping Forest: WEST
constexpr char kUttlesford[] = "CB11 3AB";    // CB11 3 Uttlesford (Saffron Walden): WEST
constexpr char kBasildon[] = "SS12 0AB";      // SS12 0 Basildon: SOUTH_WEST
constexpr char kBrentwood[] = "CM14 4AB";     // CM14 4 Brentwood: SOUTH_WEST
constexpr char kCastlePoint[] = "SS7 1AB";    // SS7 1 Castle Point: SOUTH_EAST
constexpr char kRochford[] = "SS4 1AB";       // SS4 1 Rochford: SOUTH_EAST
// The unitary authorities.
constexpr char kSouthend[] = "SS1 2AB";    // SS1 2 Southend-on-Sea
constexpr char kLeighOnSea[] = "SS0 0AB";  // SS0 0 Southend-on-Sea (Westcliff)
constexpr char kThurrock[] = "RM16 2AB";   // RM16 2 Thurrock (Grays)
constexpr char kTilbury[] = "RM17 6AB";    // RM17 6 Thurrock
// Sectors with several districts of one authority and locality.
constexpr char kColchesterTendring[] = "CO4 3AB";  // CO4 3 Colchester 344, Tendring 1
constexpr char kMidThreeDistricts[] = "CM3 4AB";   // CM3 4 Braintree, Chelmsford, Maldon
// Out of area.
constexpr char kTowerHamlets[] = "E1 1AB";  // E1 1 Tower Hamlets (London)

// Rule contacts (config/rules/*.textproto; DOMAIN.md).
constexpr char kEccSafeguarding[] = "0345 603 7630";
constexpr char kSouthendSafeguarding[] = "01702 215008";
constexpr char kThurrockSafeguarding[] = "01375 511000";
constexpr char kEssexSouthendDuty[] = "0345 606 1212";
constexpr char kThurrockDuty[] = "01375 372468";
constexpr char kPolice[] = "Essex Police: 999 in an emergency, otherwise 101";
constexpr char kChildrenDefault[] =
    "the children's services front door of the council where the child lives";
constexpr char kChildrenEssex[] = "Essex Children and Families Hub 0345 603 7627";
constexpr char kChildrenSouthend[] = "Southend children's services 01702 215007";
constexpr char kChildrenThurrock[] = "Thurrock MASH 01375 652802";
constexpr char kNhs111[] = "NHS 111, option 2";

constexpr char kV2025[] = "2025.11-1";
constexpr char kV2026[] = "2026.11-1";

// A local (Europe/London) minute.
constexpr absl::CivilMinute T(int y, int m, int d, int hh, int mm) {
  return absl::CivilMinute(y, m, d, hh, mm);
}

// A weekday morning under the current rules: Tuesday 2026-11-24 11:00.
constexpr absl::CivilMinute kTue = T(2026, 11, 24, 11, 0);

// The synthetic 2028 authority (see Reorganisation2028Test below).
constexpr char kNorthEssexDuty[] = "North Essex duty line (synthetic test contact)";
constexpr char kNorthEssexSafeguarding[] = "North Essex safeguarding (synthetic test contact)";
constexpr char kNorthEssexChildren[] = "North Essex children's front door (synthetic)";

// Each authority's safeguarding contact, the one an informed authority gets.
std::string SafeguardingContact(const std::string& authority_id) {
  if (authority_id == "ESSEX") return kEccSafeguarding;
  if (authority_id == "SOUTHEND") return kSouthendSafeguarding;
  if (authority_id == "THURROCK") return kThurrockSafeguarding;
  if (authority_id == "NORTH_ESSEX") return kNorthEssexSafeguarding;
  return "";
}

enum RiskBits : unsigned {
  kDanger = 1u << 0,
  kCrime = 1u << 1,
  kChild = 1u << 2,
  kMentalHealth = 1u << 3,
};

absl::TimeZone London() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Europe/London", &zone)) ADD_FAILURE() << "no Europe/London zone";
  return zone;
}

// ---------------------------------------------------------------------------
// One row: the referral, when it arrived, and what the decision must say.
struct Row {
  // Identity.
  std::string name;
  std::string source;  // where the expectation comes from

  // The referral.
  referrals::v1::ReferralKind kind = referrals::v1::ADULT_SAFEGUARDING_CONCERN;
  std::string home;
  std::string harm;
  bool harm_unknown = false;
  std::string harm_description;
  std::string service;
  unsigned risk = 0;
  absl::CivilMinute at;  // receipt, Europe/London

  // The decision.
  referrals::v1::RoutingOutcome outcome = referrals::v1::ROUTING_OUTCOME_UNSPECIFIED;
  std::string queue;
  std::string authority;
  std::string locality;  // decision.location().locality_id()
  referrals::v1::LocationBasis basis = referrals::v1::LOCATION_BASIS_UNSPECIFIED;  // unchecked
  referrals::v1::Priority priority = referrals::v1::PRIORITY_ROUTINE;
  bool out_of_hours = false;
  std::string out_of_hours_contact;
  // Each authority to be informed: its id, or its name when it has no id
  // (an out-of-area council).
  std::vector<std::string> informed;
  std::vector<std::pair<std::string, std::string>> signposts;  // id, contact; in order
  std::string rules_version;
  std::vector<std::string> candidates;  // district names, manual triage of a split sector
  std::vector<std::string> councils;    // out_of_area_councils
  std::string rule;                     // a rule id that must have fired ("" unchecked)

  Row& Kind(referrals::v1::ReferralKind k) {
    kind = k;
    return *this;
  }
  Row& Home(std::string p) {
    home = std::move(p);
    return *this;
  }
  Row& Harm(std::string p) {
    harm = std::move(p);
    return *this;
  }
  Row& HarmUnknown() {
    harm_unknown = true;
    return *this;
  }
  Row& HarmDescribed(std::string d) {
    harm_description = std::move(d);
    return *this;
  }
  Row& Service(std::string p) {
    service = std::move(p);
    return *this;
  }
  Row& Risk(unsigned bits) {
    risk = bits;
    return *this;
  }
  // Receipt time and the rules version expected to be in force then.
  Row& At(absl::CivilMinute t, std::string version) {
    at = t;
    rules_version = std::move(version);
    return *this;
  }

  Row& Team(std::string auth, std::string q, std::string loc = "") {
    outcome = referrals::v1::ROUTING_OUTCOME_TEAM;
    authority = std::move(auth);
    queue = std::move(q);
    locality = std::move(loc);
    return *this;
  }
  Row& Manual(std::vector<std::string> districts = {}) {
    outcome = referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE;
    queue = "manual-triage";
    candidates = std::move(districts);
    return *this;
  }
  Row& OutOfArea(std::vector<std::string> to_contact) {
    outcome = referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA;
    queue = "out-of-area";
    councils = std::move(to_contact);
    return *this;
  }
  Row& Basis(referrals::v1::LocationBasis b) {
    basis = b;
    return *this;
  }
  Row& Priority(referrals::v1::Priority p) {
    priority = p;
    return *this;
  }
  Row& OutOfHours(std::string duty_contact = "") {
    out_of_hours = true;
    out_of_hours_contact = std::move(duty_contact);
    return *this;
  }
  Row& Informed(std::vector<std::string> who) {
    informed = std::move(who);
    return *this;
  }
  Row& Signposts(std::vector<std::pair<std::string, std::string>> s) {
    signposts = std::move(s);
    return *this;
  }
  Row& Fired(std::string rule_id) {
    rule = std::move(rule_id);
    return *this;
  }
};

Row R(std::string name, std::string source) {
  Row row;
  row.name = std::move(name);
  row.source = std::move(source);
  return row;
}

void PrintTo(const Row& row, std::ostream* os) { *os << row.name << " [" << row.source << "]"; }

referrals::v1::Referral Build(const Row& row) {
  referrals::v1::Referral referral;
  referral.set_kind(row.kind);
  referral.mutable_adult()->set_given_name("Test");
  referral.mutable_adult()->set_family_name("Person");
  if (!row.home.empty()) referral.mutable_adult()->mutable_home_address()->set_postcode(row.home);
  if (!row.harm.empty())
    referral.mutable_harm_location()->mutable_address()->set_postcode(row.harm);
  if (row.harm_unknown) referral.mutable_harm_location()->set_unknown(true);
  if (!row.harm_description.empty()) {
    referral.mutable_harm_location()->set_description(row.harm_description);
  }
  if (!row.service.empty()) {
    referral.mutable_service()->set_name("Synthetic Care Services Ltd");
    referral.mutable_service()->mutable_address()->set_postcode(row.service);
  }
  referral.mutable_risk()->set_immediate_danger((row.risk & kDanger) != 0);
  referral.mutable_risk()->set_suspected_crime((row.risk & kCrime) != 0);
  referral.mutable_risk()->set_child_at_risk((row.risk & kChild) != 0);
  referral.mutable_risk()->set_mental_health_crisis((row.risk & kMentalHealth) != 0);
  return referral;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Checks every column of `row` against `decision`.
void ExpectDecision(const Row& row, const referrals::v1::RoutingDecision& decision) {
  using referrals::v1::RoutingOutcome_Name;
  SCOPED_TRACE(absl::StrCat(row.name, " (source: ", row.source, ")"));
  EXPECT_EQ(RoutingOutcome_Name(decision.outcome()), RoutingOutcome_Name(row.outcome));
  EXPECT_EQ(decision.queue(), row.queue);
  EXPECT_EQ(decision.authority_id(), row.authority);
  EXPECT_EQ(decision.location().locality_id(), row.locality);
  if (row.basis != referrals::v1::LOCATION_BASIS_UNSPECIFIED) {
    EXPECT_EQ(referrals::v1::LocationBasis_Name(decision.location_basis()),
              referrals::v1::LocationBasis_Name(row.basis));
  }
  EXPECT_EQ(referrals::v1::Priority_Name(decision.priority()),
            referrals::v1::Priority_Name(row.priority));
  EXPECT_EQ(decision.out_of_hours(), row.out_of_hours);
  EXPECT_EQ(decision.out_of_hours_contact(), row.out_of_hours_contact);
  EXPECT_EQ(decision.rules_version(), row.rules_version);

  std::vector<std::string> informed;
  for (const auto& inform : decision.to_be_informed()) {
    informed.push_back(inform.authority_id().empty() ? inform.authority_name()
                                                     : inform.authority_id());
    EXPECT_FALSE(inform.reason().empty());
    if (!inform.authority_id().empty()) {
      EXPECT_EQ(inform.contact(), SafeguardingContact(inform.authority_id()));
    }
  }
  EXPECT_THAT(informed, ElementsAreArray(row.informed));

  std::vector<std::pair<std::string, std::string>> signposts;
  for (const auto& signpost : decision.signposts()) {
    signposts.emplace_back(signpost.id(), signpost.contact());
  }
  EXPECT_THAT(signposts, ElementsAreArray(row.signposts));

  std::vector<std::string> candidates;
  for (const auto& candidate : decision.location().candidates()) {
    candidates.push_back(candidate.district_name());
  }
  EXPECT_THAT(Sorted(candidates), ElementsAreArray(Sorted(row.candidates)));
  if (!row.candidates.empty()) {
    EXPECT_EQ(decision.location().outcome(), referrals::v1::LOCATION_OUTCOME_SPLIT);
  }

  std::vector<std::string> councils(decision.out_of_area_councils().begin(),
                                    decision.out_of_area_councils().end());
  EXPECT_THAT(councils, UnorderedElementsAreArray(row.councils));

  std::vector<std::string> fired;
  for (const auto& rule : decision.rules()) fired.push_back(rule.rule_id());
  EXPECT_THAT(fired, Not(IsEmpty()));
  if (!row.rule.empty()) {
    EXPECT_THAT(fired, Contains(row.rule));
  }
}

using referrals::v1::ADULT_SAFEGUARDING_CONCERN;
using referrals::v1::CARE_TECHNOLOGY;
using referrals::v1::COMMUNITY_EQUIPMENT;
using referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN;
using referrals::v1::SENSORY_SUPPORT;
constexpr auto kHarmBasis = referrals::v1::LOCATION_BASIS_PLACE_OF_HARM;
constexpr auto kResidenceBasis = referrals::v1::LOCATION_BASIS_RESIDENCE;
constexpr auto kServiceBasis = referrals::v1::LOCATION_BASIS_SERVICE;
constexpr auto kUrgent = referrals::v1::PRIORITY_URGENT;
constexpr auto kEmergency = referrals::v1::PRIORITY_EMERGENCY;

// ---------------------------------------------------------------------------
// The table.

std::vector<Row> KindRows() {
  const std::string kinds = "DOMAIN.md 'Who sends referrals' kinds table";
  const std::string v26 = "config/rules/2026.11-1.textproto";
  return {
      // ECC under the current version: each kind to its own service.
      R("EssexSensoryGoesToEclSensoryTriage",
        kinds + " (sensory: ECL sensory triage); mobilisation pack 'Sensory services in Essex'; " +
            v26 + " team.essex.sensory")
          .Kind(SENSORY_SUPPORT)
          .Home(kColchester)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecl-sensory-triage", "NORTH_EAST")
          .Basis(kResidenceBasis)
          .Fired("team.essex.sensory"),
      R("EssexEquipmentGoesToIcels",
        kinds +
            " (equipment: ICELS, run by Medequip); mobilisation pack 'Access to community "
            "equipment'; " +
            v26 + " team.essex.equipment")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kMaldon)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-icels", "MID")
          .Basis(kResidenceBasis)
          .Fired("team.essex.equipment"),
      R("EssexCareTechnologyGoesToCareTechnologyService",
        kinds + " (care technology: the Council's service); mobilisation pack 'Care Technology'; " +
            v26 + " team.essex.care_technology")
          .Kind(CARE_TECHNOLOGY)
          .Home(kRochford)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-care-technology", "SOUTH_EAST")
          .Fired("team.essex.care_technology"),
      R("EssexSafeguardingGoesToLocalityTeam",
        "mobilisation pack 'Locality Teams'; " + v26 + " team.essex.locality.west")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kHarlow)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-west", "WEST")
          .Basis(kResidenceBasis)
          .Fired("team.essex.locality.west"),
      R("EssexOrganisationalGoesToOrganisationalSafeguarding",
        kinds +
            " (organisational: ECC Organisational Safeguarding team); mobilisation pack "
            "'Safeguarding Contacts'; " +
            v26 + " team.essex.organisational")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kBrentwood)
          .Service(kCastlePoint)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-organisational-safeguarding", "SOUTH_EAST")
          .Basis(kServiceBasis)
          .Fired("team.essex.organisational"),
      // Southend takes every kind at its front door.
      R("SouthendSafeguarding",
        "DOMAIN.md 'The three authorities'; " + v26 + " team.southend.front_door")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Harm(kLeighOnSea)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Basis(kHarmBasis)
          .Fired("team.southend.front_door"),
      R("SouthendOrganisational", v26 + " team.southend.front_door (every Southend referral)")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Service(kLeighOnSea)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Basis(kServiceBasis),
      R("SouthendEquipment",
        "DOMAIN.md 'Timing' (Southend and Thurrock run their own equipment "
        "services); " +
            v26 + " team.southend.front_door")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kSouthend)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Fired("team.southend.front_door"),
      R("SouthendSensory", "DOMAIN.md 'Timing' (Southend runs its own sensory services); " + v26 +
                               " team.southend.front_door")
          .Kind(SENSORY_SUPPORT)
          .Home(kLeighOnSea)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door"),
      R("SouthendCareTechnology", v26 + " team.southend.front_door")
          .Kind(CARE_TECHNOLOGY)
          .Home(kSouthend)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door"),
      // Thurrock: Thurrock First.
      R("ThurrockSafeguarding", "mobilisation pack 'Safeguarding Contacts' (Thurrock First); " +
                                    v26 + " team.thurrock.first")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Harm(kTilbury)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Basis(kHarmBasis)
          .Fired("team.thurrock.first"),
      R("ThurrockOrganisational", v26 + " team.thurrock.first (every Thurrock referral)")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Service(kTilbury)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Basis(kServiceBasis),
      R("ThurrockEquipment", "DOMAIN.md 'Timing' (Thurrock runs its own equipment services); " +
                                 v26 + " team.thurrock.first")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kTilbury)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first"),
      R("ThurrockSensory", "DOMAIN.md 'Timing' (Thurrock runs its own sensory services); " + v26 +
                               " team.thurrock.first")
          .Kind(SENSORY_SUPPORT)
          .Home(kThurrock)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first"),
      R("ThurrockCareTechnology", v26 + " team.thurrock.first")
          .Kind(CARE_TECHNOLOGY)
          .Home(kThurrock)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first"),
  };
}

// Every ECC district, through a safeguarding concern where the harm happened
// there (the adult lives in the same district, so nobody else is told).
std::vector<Row> DistrictRows() {
  struct District {
    const char* name;
    const char* postcode;
    const char* locality;
    const char* queue;
  };
  const District districts[] = {
      {"Colchester", kColchester, "NORTH_EAST", "ecc-north-east"},
      {"Tendring", kTendring, "NORTH_EAST", "ecc-north-east"},
      {"Chelmsford", kChelmsford, "MID", "ecc-mid"},
      {"Braintree", kBraintree, "MID", "ecc-mid"},
      {"Maldon", kMaldon, "MID", "ecc-mid"},
      {"Harlow", kHarlow, "WEST", "ecc-west"},
      {"EppingForest", kEppingForest, "WEST", "ecc-west"},
      {"Uttlesford", kUttlesford, "WEST", "ecc-west"},
      {"Basildon", kBasildon, "SOUTH_WEST", "ecc-south-west"},
      {"Brentwood", kBrentwood, "SOUTH_WEST", "ecc-south-west"},
      {"CastlePoint", kCastlePoint, "SOUTH_EAST", "ecc-south-east"},
      {"Rochford", kRochford, "SOUTH_EAST", "ecc-south-east"},
  };
  std::vector<Row> rows;
  for (const District& d : districts) {
    std::string rule = absl::StrCat("team.essex.locality.", d.locality);
    std::transform(rule.begin(), rule.end(), rule.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    rows.push_back(R(absl::StrCat("HarmIn", d.name),
                     absl::StrCat("DOMAIN.md locality table (", d.name, " is in ", d.locality,
                                  "); mobilisation pack 'Locality Teams'; 2026.11-1 ", rule))
                       .Kind(ADULT_SAFEGUARDING_CONCERN)
                       .Home(d.postcode)
                       .Harm(d.postcode)
                       .At(kTue, kV2026)
                       .Team("ESSEX", d.queue, d.locality)
                       .Basis(kHarmBasis)
                       .Fired(rule));
  }
  // Sectors with more than one district, all in one authority and locality:
  // settled at sector level (DOMAIN.md 'Postcode data': "If every unit of the
  // sector is in one authority (and one locality), that answer may be used").
  rows.push_back(R("SectorColchesterAndTendringIsNorthEast",
                   "DOMAIN.md 'Postcode data' (one authority and one locality); sector CO4 3 is "
                   "Colchester and Tendring, both North East")
                     .Kind(ADULT_SAFEGUARDING_CONCERN)
                     .Home(kColchesterTendring)
                     .At(kTue, kV2026)
                     .Team("ESSEX", "ecc-north-east", "NORTH_EAST"));
  rows.push_back(R("SectorBraintreeChelmsfordMaldonIsMid",
                   "DOMAIN.md 'Postcode data' (one authority and one locality); sector CM3 4 is "
                   "Braintree, Chelmsford and Maldon, all Mid")
                     .Kind(COMMUNITY_EQUIPMENT)
                     .Home(kMidThreeDistricts)
                     .At(kTue, kV2026)
                     .Team("ESSEX", "ecc-icels", "MID"));
  return rows;
}

// The split sectors DOMAIN.md names ('Postcode data': SS3, SS9, SS16, SS17,
// RM14, RM4, CM13, CM22, CM23, CO10, IG7, CB9) and two more: never guessed,
// manual triage naming the candidates.
std::vector<Row> SplitRows() {
  const std::string src =
      "DOMAIN.md 'Postcode data' (split sector -> manual triage naming the "
      "candidate councils, never a guess)";
  struct Split {
    const char* name;
    const char* postcode;
    referrals::v1::ReferralKind kind;
    std::vector<std::string> districts;
  };
  const std::vector<Split> splits = {
      {"SS3_0", "SS3 0AB", ADULT_SAFEGUARDING_CONCERN, {"Southend-on-Sea", "Rochford"}},
      {"SS9_5", "SS9 5AB", SENSORY_SUPPORT, {"Southend-on-Sea", "Rochford"}},
      {"SS9_4", "SS9 4AB", CARE_TECHNOLOGY, {"Southend-on-Sea", "Castle Point"}},
      {"SS16_6", "SS16 6AB", COMMUNITY_EQUIPMENT, {"Thurrock", "Basildon"}},
      {"SS17_9", "SS17 9AB", ADULT_SAFEGUARDING_CONCERN, {"Thurrock", "Basildon"}},
      {"RM14_3", "RM14 3AB", SENSORY_SUPPORT, {"Thurrock", "Brentwood", "Havering"}},
      {"RM4_1", "RM4 1AB", ADULT_SAFEGUARDING_CONCERN, {"Brentwood", "Epping Forest", "Havering"}},
      {"CM13_3",
       "CM13 3AB",
       COMMUNITY_EQUIPMENT,
       {"Thurrock", "Basildon", "Brentwood", "Havering"}},
      {"CM22_7",
       "CM22 7AB",
       CARE_TECHNOLOGY,
       {"Epping Forest", "Uttlesford", "East Hertfordshire"}},
      {"CM23_5", "CM23 5AB", ADULT_SAFEGUARDING_CONCERN, {"Uttlesford", "East Hertfordshire"}},
      {"CO10_8", "CO10 8AB", SENSORY_SUPPORT, {"Braintree", "Babergh", "West Suffolk"}},
      {"IG7_5", "IG7 5AB", ADULT_SAFEGUARDING_CONCERN, {"Epping Forest", "Redbridge"}},
      {"CB9_7", "CB9 7AB", COMMUNITY_EQUIPMENT, {"Braintree", "West Suffolk"}},
      // An ECC locality boundary (Mid / West) is a split too.
      {"CM1_4_LocalityBoundary", "CM1 4AB", CARE_TECHNOLOGY, {"Chelmsford", "Uttlesford"}},
      {"SS6_7_LocalityBoundary",
       "SS6 7AB",
       ADULT_SAFEGUARDING_CONCERN,
       {"Basildon", "Castle Point", "Rochford"}},
  };
  std::vector<Row> rows;
  for (const Split& s : splits) {
    rows.push_back(R(absl::StrCat("SplitSector_", s.name),
                     absl::StrCat(src, "; sector table: ", s.postcode, " is split"))
                       .Kind(s.kind)
                       .Home(s.postcode)
                       .At(kTue, kV2026)
                       .Manual(s.districts)
                       .Fired("route.manual.split_sector"));
  }
  return rows;
}

// Out of area on every side: the referrer is told which council to contact
// (DOMAIN.md 'Postcode data', last point: the county council in two-tier
// areas, the borough or unitary council elsewhere; data/local_authorities.csv).
std::vector<Row> OutOfAreaRows() {
  const std::string src =
      "DOMAIN.md 'Postcode data' (outside the three authorities: name the "
      "council); data/local_authorities.csv";
  struct Outside {
    const char* name;
    const char* postcode;
    referrals::v1::ReferralKind kind;
    std::vector<std::string> councils;
  };
  const std::vector<Outside> outside = {
      {"LondonTowerHamlets_E1",
       kTowerHamlets,
       SENSORY_SUPPORT,
       {"London Borough of Tower Hamlets"}},
      {"LondonThreeBoroughs_E1_6",
       "E1 6AB",
       ADULT_SAFEGUARDING_CONCERN,
       {"City of London Corporation", "London Borough of Hackney",
        "London Borough of Tower Hamlets"}},
      {"LondonRedbridge_IG1", "IG1 1AB", COMMUNITY_EQUIPMENT, {"London Borough of Redbridge"}},
      {"LondonHavering_RM1", "RM1 1AB", ADULT_SAFEGUARDING_CONCERN, {"London Borough of Havering"}},
      {"LondonBarkingDagenham_RM10",
       "RM10 7AB",
       CARE_TECHNOLOGY,
       {"London Borough of Barking and Dagenham"}},
      {"LondonEnfield_EN1", "EN1 1AB", SENSORY_SUPPORT, {"London Borough of Enfield"}},
      {"HertsBishopsStortford_CM23_2",
       "CM23 2AB",
       ADULT_SAFEGUARDING_CONCERN,
       {"Hertfordshire County Council"}},
      {"HertsBroxbourne_EN8", "EN8 0AB", COMMUNITY_EQUIPMENT, {"Hertfordshire County Council"}},
      {"HertsStevenage_SG1", "SG1 1AB", CARE_TECHNOLOGY, {"Hertfordshire County Council"}},
      {"SuffolkSudbury_CO10_0", "CO10 0AB", ADULT_SAFEGUARDING_CONCERN, {"Suffolk County Council"}},
      {"SuffolkHaverhill_CB9_0", "CB9 0AB", SENSORY_SUPPORT, {"Suffolk County Council"}},
      {"Cambridge_CB1_1", "CB1 1AB", COMMUNITY_EQUIPMENT, {"Cambridgeshire County Council"}},
      {"CambridgeTwoDistrictsOneCouncil_CB1_0",
       "CB1 0AB",
       ADULT_SAFEGUARDING_CONCERN,
       {"Cambridgeshire County Council"}},
      {"CentralBedfordshire_SG17", "SG17 5AB", CARE_TECHNOLOGY, {"Central Bedfordshire Council"}},
  };
  std::vector<Row> rows;
  for (const Outside& o : outside) {
    rows.push_back(R(absl::StrCat("OutOfArea_", o.name), src)
                       .Kind(o.kind)
                       .Home(o.postcode)
                       .At(kTue, kV2026)
                       .OutOfArea(o.councils)
                       .Fired("route.out_of_area"));
  }
  // Suffolk's IP area is not in the sector table (data/README.md: postcodes
  // in other areas are reported as not found): a person places it.
  rows.push_back(R("SuffolkIpswichNotInTableGoesToManualTriage",
                   "data/README.md (areas outside CB CM CO E EN IG RM SG SS are not found); "
                   "DOMAIN.md 'Postcode data' (never a guess)")
                     .Kind(ADULT_SAFEGUARDING_CONCERN)
                     .Home("IP1 1AB")
                     .At(kTue, kV2026)
                     .Manual()
                     .Fired("route.manual.unknown_postcode"));
  return rows;
}

// Which location decides; who else is told.
std::vector<Row> LocationRows() {
  const std::string harm_leads =
      "DOMAIN.md kinds table (safeguarding: where the harm happened, Care Act s42); "
      "decision.proto to_be_informed (the authority where the adult lives is told)";
  return {
      R("HarmInSouthendAdultLivesInChelmsford", harm_leads)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Harm(kSouthend)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Basis(kHarmBasis)
          .Informed({"ESSEX"})
          .Fired("inform.residence_authority"),
      R("HarmInThurrockAdultLivesInBasildon", harm_leads)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kBasildon)
          .Harm(kTilbury)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Basis(kHarmBasis)
          .Informed({"ESSEX"}),
      R("HarmInColchesterAdultLivesInSouthend", harm_leads)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Harm(kColchester)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST")
          .Basis(kHarmBasis)
          .Informed({"SOUTHEND"}),
      R("HarmInRochfordAdultLivesInThurrock", harm_leads)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Harm(kRochford)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-south-east", "SOUTH_EAST")
          .Basis(kHarmBasis)
          .Informed({"THURROCK"}),
      R("HarmInBraintreeAdultLivesInChelmsfordSameAuthority",
        harm_leads + " (same authority: nobody else to tell)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Harm(kBraintree)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-mid", "MID")
          .Basis(kHarmBasis),
      R("HarmInEppingForestAdultLivesInLondon",
        harm_leads + "; the London borough where the adult lives is named")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kTowerHamlets)
          .Harm(kEppingForest)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-west", "WEST")
          .Basis(kHarmBasis)
          .Informed({"London Borough of Tower Hamlets"})
          .Fired("inform.residence_out_of_area"),
      R("HarmInLondonAdultLivesInChelmsford",
        "DOMAIN.md kinds table (place of harm leads, even outside Essex) and 'Postcode data' "
        "(out of area: name the council); issue 4 §3 (the home authority is to be informed)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Harm(kTowerHamlets)
          .At(kTue, kV2026)
          .OutOfArea({"London Borough of Tower Hamlets"})
          .Informed({"ESSEX"})
          .Basis(kHarmBasis),
      R("HarmPlaceUnknownFallsBackToResidence",
        "DOMAIN.md kinds table (where the place is not known, where the adult is)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kTendring)
          .HarmUnknown()
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST")
          .Basis(kResidenceBasis)
          .Fired("location.basis.missing"),
      R("HarmPlaceNotGivenFallsBackToResidence",
        "DOMAIN.md kinds table; 2026.11-1 kind_rules ADULT_SAFEGUARDING_CONCERN "
        "(PLACE_OF_HARM then RESIDENCE)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Basis(kResidenceBasis),
      R("HarmPlaceDescribedWithoutPostcodeFallsBackToResidence",
        "DOMAIN.md kinds table (place not known as a postcode: where the adult is)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .HarmDescribed("a day centre, address not known")
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Basis(kResidenceBasis),
      R("HarmInSplitSectorIsNotReplacedByResidence",
        "DOMAIN.md 'Postcode data' (split sector: manual triage, never a guess) and kinds table "
        "(the place of harm decides when known)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Harm("SS9 5AB")
          .At(kTue, kV2026)
          .Manual({"Southend-on-Sea", "Rochford"})
          .Basis(kHarmBasis),
      R("EquipmentFollowsResidenceNotHarm",
        "DOMAIN.md kinds table (community equipment: where the adult lives)")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kThurrock)
          .Harm(kSouthend)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Basis(kResidenceBasis),
      R("OrganisationalFollowsServiceNotHome",
        "DOMAIN.md kinds table (organisational concerns follow the service); 2026.11-1 kind_rules "
        "ORGANISATIONAL_SAFEGUARDING_CONCERN (SERVICE); issue 4 §3 (to be informed: harm cases)")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Service(kSouthend)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Basis(kServiceBasis),  // a provider, not one adult's home: nobody else told
      R("OrganisationalWithoutServiceAddressGoesToManualTriage",
        "2026.11-1 kind_rules ORGANISATIONAL_SAFEGUARDING_CONCERN (SERVICE only); DOMAIN.md "
        "'Postcode data' (never a guess)")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .At(kTue, kV2026)
          .Manual()
          .Fired("route.manual.no_location"),
      R("OrganisationalServiceInHertfordshireIsOutOfArea",
        "DOMAIN.md kinds table ('for Essex providers') and 'Postcode data' (name the council)")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kHarlow)
          .Service("CM23 2AB")
          .At(kTue, kV2026)
          .OutOfArea({"Hertfordshire County Council"})
          .Basis(kServiceBasis),
  };
}

// Signposts and the priority they raise (DOMAIN.md 'things that must be
// signposted' and 'Timing'; mobilisation pack 'Safeguarding Contacts';
// 2026.11-1 signposts).
std::vector<Row> SignpostRows() {
  const std::string v26 = "2026.11-1 signposts ";
  return {
      R("ImmediateDangerSignposts999AndIsAnEmergency",
        "DOMAIN.md (someone in immediate danger: 999 first); " + v26 + "EMERGENCY_SERVICES")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kColchester)
          .Risk(kDanger)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST")
          .Priority(kEmergency)
          .Signposts({{"EMERGENCY_SERVICES", "999"}})
          .Fired("signpost.EMERGENCY_SERVICES"),
      R("SuspectedCrimeSignpostsPolice",
        "mobilisation pack 'Safeguarding Contacts' (also report via Essex Police); DOMAIN.md "
        "'Timing' (999 / 101); " +
            v26 + "POLICE")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Risk(kCrime)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-mid", "MID")
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      R("ChildAtRiskInEssexSignpostsChildrenAndFamiliesHub",
        "DOMAIN.md 'Timing' (Essex Children and Families Hub 0345 603 7627); " + v26 +
            "CHILDRENS_SAFEGUARDING contact_by_authority ESSEX")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kBasildon)
          .Risk(kChild)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-south-west", "SOUTH_WEST")
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenEssex}}),
      R("ChildAtRiskInSouthendSignpostsSouthendChildrensServices",
        "DOMAIN.md 'Timing' (Southend 01702 215007); " + v26 +
            "CHILDRENS_SAFEGUARDING contact_by_authority SOUTHEND")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Risk(kChild)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenSouthend}}),
      R("ChildAtRiskInThurrockSignpostsThurrockMash",
        "DOMAIN.md 'Timing' (Thurrock MASH 01375 652802); " + v26 +
            "CHILDRENS_SAFEGUARDING contact_by_authority THURROCK")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Risk(kChild)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenThurrock}}),
      R("ChildAtRiskOutOfAreaKeepsTheDefaultContact",
        "DOMAIN.md (never silently dropped); " + v26 + "CHILDRENS_SAFEGUARDING default_contact")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home("CB1 1AB")
          .Risk(kChild)
          .At(kTue, kV2026)
          .OutOfArea({"Cambridgeshire County Council"})
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenDefault}}),
      R("MentalHealthCrisisSignpostsNhs111Option2",
        "mobilisation pack 'Safeguarding Contacts' (NHS 111 option 2); " + v26 +
            "MENTAL_HEALTH_CRISIS")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kHarlow)
          .Risk(kMentalHealth)
          .At(kTue, kV2026)
          .Team("ESSEX", "ecc-west", "WEST")
          .Priority(kUrgent)
          .Signposts({{"MENTAL_HEALTH_CRISIS", kNhs111}}),
      R("EveryFlagRaisesEverySignpostInFileOrder",
        "DOMAIN.md (each signpost recorded, never dropped); triage_rules.h (in the rules file's "
        "order); " +
            v26 + "(highest raise: EMERGENCY)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Risk(kDanger | kCrime | kChild | kMentalHealth)
          .At(kTue, kV2026)
          .Team("THURROCK", "thurrock-first")
          .Priority(kEmergency)
          .Signposts({{"EMERGENCY_SERVICES", "999"},
                      {"POLICE", kPolice},
                      {"CHILDRENS_SAFEGUARDING", kChildrenThurrock},
                      {"MENTAL_HEALTH_CRISIS", kNhs111}}),
      R("SignpostKeptOnManualTriage",
        "DOMAIN.md (signposts never silently dropped) and 'Postcode data' (split -> manual)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home("SS3 0AB")
          .Risk(kChild)
          .At(kTue, kV2026)
          .Manual({"Southend-on-Sea", "Rochford"})
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenDefault}}),
      R("SignpostOnAnEquipmentReferral",
        "DOMAIN.md ('a referral can reveal' a crime, whatever its kind); " + v26 + "POLICE")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kSouthend)
          .Risk(kCrime)
          .At(kTue, kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
  };
}

// Office hours (DOMAIN.md 'Timing': out of hours is Mon-Thu 17:30-09:00,
// Friday 16:30 to Monday 09:00 and English bank holidays; urgent matters out
// of hours go to the duty line: ECC and Southend 0345 606 1212, Thurrock
// 01375 372468; 2026.11-1 and 2025.11-1 office_hours, holiday_calendars).
std::vector<Row> TimingRows() {
  const std::string timing = "DOMAIN.md 'Timing'";
  auto essex = [](std::string name, std::string source) {
    return R(std::move(name), std::move(source))
        .Kind(ADULT_SAFEGUARDING_CONCERN)
        .Home(kColchester)
        .Team("ESSEX", "ecc-north-east", "NORTH_EAST");
  };
  return {
      essex("Monday1729RoutineInHours", timing + " (Mon-Thu close 17:30)")
          .At(T(2026, 11, 30, 17, 29), kV2026),
      essex("Monday1730RoutineOutOfHoursNoDutyLine",
            timing + " (Mon-Thu from 17:30); routine: marked, no duty call")
          .At(T(2026, 11, 30, 17, 30), kV2026)
          .OutOfHours()
          .Fired("time.out_of_hours"),
      essex("Thursday1729UrgentInHoursNoDutyLine", timing + " (Mon-Thu close 17:30)")
          .Risk(kCrime)
          .At(T(2026, 11, 26, 17, 29), kV2026)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("Thursday1730UrgentOutOfHoursEccDutyLine",
            timing + " (urgent out of hours: ECC duty 0345 606 1212)")
          .Risk(kCrime)
          .At(T(2026, 11, 26, 17, 30), kV2026)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}})
          .Fired("route.out_of_hours_duty"),
      essex("Friday1629UrgentInHours", timing + " (Friday closes 16:30)")
          .Risk(kCrime)
          .At(T(2026, 11, 27, 16, 29), kV2026)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("Friday1630UrgentOutOfHoursEccDutyLine", timing + " (Friday from 16:30)")
          .Risk(kCrime)
          .At(T(2026, 11, 27, 16, 30), kV2026)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("Friday1630RoutineOutOfHoursNoDutyLine", timing + " (Friday from 16:30; routine)")
          .At(T(2026, 11, 27, 16, 30), kV2026)
          .OutOfHours(),
      essex("Monday0859UrgentStillOutOfHours", timing + " (until Monday 09:00)")
          .Risk(kMentalHealth)
          .At(T(2026, 11, 30, 8, 59), kV2026)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"MENTAL_HEALTH_CRISIS", kNhs111}}),
      essex("Monday0900UrgentInHours", timing + " (opens Monday 09:00)")
          .Risk(kMentalHealth)
          .At(T(2026, 11, 30, 9, 0), kV2026)
          .Priority(kUrgent)
          .Signposts({{"MENTAL_HEALTH_CRISIS", kNhs111}}),
      essex("SaturdayUrgentOutOfHours", timing + " (weekend)")
          .Risk(kCrime)
          .At(T(2026, 11, 28, 12, 0), kV2026)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("SundayRoutineOutOfHoursNoDutyLine", timing + " (weekend; routine)")
          .At(T(2026, 11, 29, 12, 0), kV2026)
          .OutOfHours(),
      essex("SundayEmergencyOutOfHoursEccDutyLine",
            timing + " (emergency is at least urgent: duty line)")
          .Risk(kDanger)
          .At(T(2026, 11, 29, 3, 0), kV2026)
          .Priority(kEmergency)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"EMERGENCY_SERVICES", "999"}}),
      essex("BankHoliday20261228UrgentOutOfHours",
            timing + " (English bank holidays); 2026.11-1 holiday_calendars 2026-12-28 "
                     "(Boxing Day substitute, a Monday)")
          .Risk(kCrime)
          .At(T(2026, 12, 28, 11, 0), kV2026)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("BankHoliday20261228RoutineOutOfHoursNoDutyLine",
            timing + "; 2026.11-1 holiday_calendars 2026-12-28")
          .At(T(2026, 12, 28, 11, 0), kV2026)
          .OutOfHours(),
      essex("DayAfterBankHolidayInHours", timing + "; 2026-12-29 is a working Tuesday")
          .At(T(2026, 12, 29, 11, 0), kV2026),
      R("ChristmasDaySouthendUrgentSharedDutyLine",
        timing + " (ECC and Southend share one emergency duty service); mobilisation pack "
                 "(Southend out of hours 0345 606 1212); 2026.11-1 holiday 2026-12-25")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kSouthend)
          .Risk(kCrime)
          .At(T(2026, 12, 25, 11, 0), kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      R("SouthendSaturdayUrgentSharedDutyLine", timing + " (Southend: 0345 606 1212)")
          .Kind(SENSORY_SUPPORT)
          .Home(kLeighOnSea)
          .Risk(kMentalHealth)
          .At(T(2026, 11, 28, 20, 0), kV2026)
          .Team("SOUTHEND", "southend-front-door")
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"MENTAL_HEALTH_CRISIS", kNhs111}}),
      R("ThurrockFriday1630UrgentOwnDutyLine", timing + " (Thurrock's own EDT 01375 372468)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Risk(kCrime)
          .At(T(2026, 11, 27, 16, 30), kV2026)
          .Team("THURROCK", "thurrock-first")
          .Priority(kUrgent)
          .OutOfHours(kThurrockDuty)
          .Signposts({{"POLICE", kPolice}}),
      R("ThurrockSundayEmergencyOwnDutyLine", timing + " (Thurrock EDT 01375 372468)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kTilbury)
          .Risk(kDanger)
          .At(T(2026, 11, 29, 22, 0), kV2026)
          .Team("THURROCK", "thurrock-first")
          .Priority(kEmergency)
          .OutOfHours(kThurrockDuty)
          .Signposts({{"EMERGENCY_SERVICES", "999"}}),
      R("ThurrockBankHolidayRoutineNoDutyLine", timing + "; 2026.11-1 holiday 2026-12-28")
          .Kind(CARE_TECHNOLOGY)
          .Home(kThurrock)
          .At(T(2026, 12, 28, 10, 0), kV2026)
          .Team("THURROCK", "thurrock-first")
          .OutOfHours(),
      R("ThurrockMonday1729UrgentInHours", timing)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kThurrock)
          .Risk(kChild)
          .At(T(2026, 11, 30, 17, 29), kV2026)
          .Team("THURROCK", "thurrock-first")
          .Priority(kUrgent)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kChildrenThurrock}}),
      // Clock changes: the hours are local clock time (DOMAIN.md 'Timing':
      // Europe/London, with summer time). 2026: BST from Sunday 29 March,
      // GMT again from Sunday 25 October. Decided under 2025.11-1.
      essex("SpringThursdayBefore1729GmtInHours", timing + " (before 29 Mar 2026, GMT)")
          .Risk(kCrime)
          .At(T(2026, 3, 26, 17, 29), kV2025)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("SpringThursdayBefore1730GmtOutOfHours", timing + " (before 29 Mar 2026, GMT)")
          .Risk(kCrime)
          .At(T(2026, 3, 26, 17, 30), kV2025)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("SpringFridayBefore1630GmtOutOfHours", timing + " (Friday 27 Mar 2026, GMT)")
          .At(T(2026, 3, 27, 16, 30), kV2025)
          .OutOfHours(),
      essex("SpringMondayAfter0859BstOutOfHours",
            timing + " (Monday 30 Mar 2026 08:59 BST = 07:59 UTC)")
          .Risk(kCrime)
          .At(T(2026, 3, 30, 8, 59), kV2025)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("SpringMondayAfter0900BstInHours",
            timing + " (Monday 30 Mar 2026 09:00 BST = 08:00 UTC: open by the local clock)")
          .Risk(kCrime)
          .At(T(2026, 3, 30, 9, 0), kV2025)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("SpringMondayAfter1729BstInHours", timing + " (Monday 30 Mar 2026, BST)")
          .Risk(kCrime)
          .At(T(2026, 3, 30, 17, 29), kV2025)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("SpringMondayAfter1730BstOutOfHours",
            timing + " (Monday 30 Mar 2026 17:30 BST = 16:30 UTC: closed by the local clock)")
          .Risk(kCrime)
          .At(T(2026, 3, 30, 17, 30), kV2025)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("AutumnFridayBefore1629BstInHours", timing + " (Friday 23 Oct 2026, BST)")
          .At(T(2026, 10, 23, 16, 29), kV2025),
      essex("AutumnFridayBefore1630BstOutOfHours",
            timing + " (Friday 23 Oct 2026 16:30 BST = 15:30 UTC)")
          .At(T(2026, 10, 23, 16, 30), kV2025)
          .OutOfHours(),
      essex("AutumnMondayAfter0859GmtOutOfHours", timing + " (Monday 26 Oct 2026, GMT)")
          .Risk(kCrime)
          .At(T(2026, 10, 26, 8, 59), kV2025)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      essex("AutumnMondayAfter1729GmtInHours", timing + " (Monday 26 Oct 2026, GMT)")
          .Risk(kCrime)
          .At(T(2026, 10, 26, 17, 29), kV2025)
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      essex("AutumnMondayAfter1730GmtOutOfHours", timing + " (Monday 26 Oct 2026, GMT)")
          .Risk(kCrime)
          .At(T(2026, 10, 26, 17, 30), kV2025)
          .Priority(kUrgent)
          .OutOfHours(kEssexSouthendDuty)
          .Signposts({{"POLICE", kPolice}}),
      // Office hours are the deciding authority's: without one, none apply.
      R("ManualTriageHasNoAuthorityOfficeHours",
        "decision.proto out_of_hours (outside the deciding authority's office hours)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home("SS16 6AB")
          .Risk(kCrime)
          .At(T(2026, 11, 28, 12, 0), kV2026)
          .Manual({"Thurrock", "Basildon"})
          .Priority(kUrgent)
          .Signposts({{"POLICE", kPolice}}),
      R("OutOfAreaHasNoAuthorityOfficeHours",
        "decision.proto out_of_hours (outside the deciding authority's office hours)")
          .Kind(SENSORY_SUPPORT)
          .Home("IG1 1AB")
          .At(T(2026, 11, 29, 12, 0), kV2026)
          .OutOfArea({"London Borough of Redbridge"}),
  };
}

// The rules version in force at receipt (rules_catalog.h: the latest
// effective_from not after it, from local midnight; the earliest before all).
std::vector<Row> VersionRows() {
  const std::string change =
      "config/rules/2026.11-1.textproto (effective_from 2026-11-23: Essex sensory, equipment and "
      "care technology to their own services; before it 2025.11-1, the locality teams)";
  return {
      R("SensoryLastMinuteOfOldVersion", change + "; 2025.11-1 team.essex.locality.north_east")
          .Kind(SENSORY_SUPPORT)
          .Home(kColchester)
          .At(T(2026, 11, 22, 23, 59), kV2025)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST")
          .OutOfHours()
          .Fired("team.essex.locality.north_east"),
      R("SensoryFirstMinuteOfNewVersion", change + "; 2026.11-1 team.essex.sensory")
          .Kind(SENSORY_SUPPORT)
          .Home(kColchester)
          .At(T(2026, 11, 23, 0, 0), kV2026)
          .Team("ESSEX", "ecl-sensory-triage", "NORTH_EAST")
          .OutOfHours()
          .Fired("team.essex.sensory"),
      R("EquipmentUnderOldVersionGoesToLocality", change + "; 2025.11-1 team.essex.locality.mid")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kChelmsford)
          .At(T(2026, 11, 20, 12, 0), kV2025)
          .Team("ESSEX", "ecc-mid", "MID"),
      R("CareTechnologyUnderOldVersionGoesToLocality",
        change + "; 2025.11-1 team.essex.locality.south_west")
          .Kind(CARE_TECHNOLOGY)
          .Home(kBasildon)
          .At(T(2026, 11, 20, 12, 0), kV2025)
          .Team("ESSEX", "ecc-south-west", "SOUTH_WEST"),
      R("OrganisationalUnchangedUnderFirstVersion",
        "config/rules/2025.11-1.textproto team.essex.organisational")
          .Kind(ORGANISATIONAL_SAFEGUARDING_CONCERN)
          .Home(kColchester)
          .Service(kHarlow)
          .At(T(2025, 11, 3, 10, 0), kV2025)
          .Team("ESSEX", "ecc-organisational-safeguarding", "WEST")
          .Basis(kServiceBasis)
          .Informed({}),
      R("SouthendSensoryUnchangedAcrossTheSwitch",
        "2025.11-1 team.southend.front_door (Southend unchanged by 2026.11-1)")
          .Kind(SENSORY_SUPPORT)
          .Home(kSouthend)
          .At(T(2026, 11, 22, 23, 59), kV2025)
          .Team("SOUTHEND", "southend-front-door")
          .OutOfHours(),
      R("FirstDayOfFirstVersion", "config/rules/2025.11-1.textproto effective_from 2025-11-01")
          .Kind(SENSORY_SUPPORT)
          .Home(kTendring)
          .At(T(2025, 11, 1, 0, 0), kV2025)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST")
          .OutOfHours(),
      R("BeforeEveryVersionTheEarliestApplies",
        "common/domain/rules_catalog.h InForceAt (the earliest version for times before all)")
          .Kind(SENSORY_SUPPORT)
          .Home(kTendring)
          .At(T(2025, 6, 2, 10, 0), kV2025)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST"),
  };
}

std::vector<Row> AllRows() {
  std::vector<Row> rows;
  for (auto part : {KindRows(), DistrictRows(), SplitRows(), OutOfAreaRows(), LocationRows(),
                    SignpostRows(), TimingRows(), VersionRows()}) {
    for (Row& row : part) rows.push_back(std::move(row));
  }
  return rows;
}

// ---------------------------------------------------------------------------

referrals::v1::RoutingDecision Decide(const RoutingData& data, const Row& row) {
  const absl::Time received = absl::FromCivil(row.at, London());
  const referrals::v1::Referral referral = Build(row);
  return data.engine->Decide(referral, data.triage->Classify(referral, received), received,
                             received + absl::Seconds(1));
}

class RoutingCasesTest : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() {
    RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                           REFERRALS_DEFAULT_AUTHORITIES};
    auto data = LoadRoutingData(paths, absl::FromCivil(kTue, London()));
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = new RoutingData(*std::move(data));
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  static RoutingData* data_;
};

RoutingData* RoutingCasesTest::data_ = nullptr;

TEST_P(RoutingCasesTest, Decides) {
  ASSERT_NE(data_, nullptr);
  const Row& row = GetParam();
  const referrals::v1::RoutingDecision decision = Decide(*data_, row);
  ExpectDecision(row, decision);
  EXPECT_EQ(FromTimestamp(decision.received_time()), absl::FromCivil(row.at, London()));
}

INSTANTIATE_TEST_SUITE_P(Table, RoutingCasesTest, ::testing::ValuesIn(AllRows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

TEST(RoutingCasesTableTest, HasAtLeastSixtyRowsWithUniqueNamesAndSources) {
  const std::vector<Row> rows = AllRows();
  EXPECT_GE(rows.size(), 60u);
  std::vector<std::string> names;
  for (const Row& row : rows) {
    EXPECT_FALSE(row.source.empty()) << row.name;
    EXPECT_FALSE(row.rules_version.empty()) << row.name;
    EXPECT_NE(row.outcome, referrals::v1::ROUTING_OUTCOME_UNSPECIFIED) << row.name;
    names.push_back(row.name);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

// ---------------------------------------------------------------------------
// A 2028-style reorganisation as data: a new rules version (the 2026.11-1
// text with version "2028.04-1", effective_from "2028-04-01") moving
// Colchester and Tendring to a new authority, NORTH_ESSEX. DOMAIN.md
// 'Postcode data': "Boundaries will change ... Rules and reference data need
// versions and effective dates". Synthetic: no such council exists yet.

constexpr char kColchesterCode[] = "E07000071";
constexpr char kTendringCode[] = "E07000076";
std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The 2026.11-1 rules, reorganised.
absl::StatusOr<std::string> Rules2028(const std::string& text_2026) {
  referrals::v1::RoutingConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(text_2026, &config)) {
    return absl::InvalidArgumentError("2026.11-1 does not parse");
  }
  config.set_version("2028.04-1");
  config.set_effective_from("2028-04-01");

  const referrals::v1::Authority* essex = nullptr;
  for (auto& authority : *config.mutable_authorities()) {
    if (authority.id() != "ESSEX") continue;
    auto* codes = authority.mutable_district_codes();
    codes->erase(std::remove_if(codes->begin(), codes->end(),
                                [](const std::string& code) {
                                  return code == kColchesterCode || code == kTendringCode;
                                }),
                 codes->end());
    essex = &authority;
  }
  if (essex == nullptr) return absl::InvalidArgumentError("no ESSEX authority");
  referrals::v1::Authority north;
  north.set_id("NORTH_ESSEX");
  north.set_name("North Essex Council (synthetic)");
  north.add_district_codes(kColchesterCode);
  north.add_district_codes(kTendringCode);
  north.set_safeguarding_contact(kNorthEssexSafeguarding);
  north.set_out_of_hours_contact(kNorthEssexDuty);
  *north.mutable_office_hours() = essex->office_hours();
  *config.add_authorities() = std::move(north);

  // The North East locality and its locality rule go with the districts.
  auto* localities = config.mutable_localities();
  localities->erase(std::remove_if(localities->begin(), localities->end(),
                                   [](const auto& l) { return l.id() == "NORTH_EAST"; }),
                    localities->end());
  auto* rules = config.mutable_team_rules();
  rules->erase(std::remove_if(
                   rules->begin(), rules->end(),
                   [](const auto& rule) { return rule.id() == "team.essex.locality.north_east"; }),
               rules->end());
  auto* teams = config.mutable_teams();
  teams->erase(std::remove_if(teams->begin(), teams->end(),
                              [](const auto& team) { return team.id() == "ecc-north-east"; }),
               teams->end());

  referrals::v1::Team team;
  team.set_id("north-essex-front-door");
  team.set_name("North Essex adult social care front door (synthetic)");
  team.set_authority_id("NORTH_ESSEX");
  team.set_queue("north-essex-front-door");
  *config.add_teams() = std::move(team);
  referrals::v1::TeamRule rule;
  rule.set_id("team.north_essex.front_door");
  rule.add_authority_ids("NORTH_ESSEX");
  rule.set_team_id("north-essex-front-door");
  rule.set_description("Every North Essex referral goes to its front door");
  *config.add_team_rules() = std::move(rule);

  for (auto& signpost : *config.mutable_signposts()) {
    if (signpost.id() == "CHILDRENS_SAFEGUARDING") {
      (*signpost.mutable_contact_by_authority())["NORTH_ESSEX"] = kNorthEssexChildren;
    }
  }

  std::string out = "# Synthetic test rules written by routing_cases_test.cc\n";
  std::string body;
  if (!google::protobuf::TextFormat::PrintToString(config, &body)) {
    return absl::InternalError("cannot print the 2028 rules");
  }
  return out + body;
}

class Reorganisation2028Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    namespace fs = std::filesystem;
    // Unique per run, so concurrent runs do not share a directory.
    dir_ = new std::string(absl::StrCat(::testing::TempDir(), "/routing_cases_rules_",
                                        absl::ToUnixNanos(absl::Now())));
    std::error_code error;
    fs::remove_all(*dir_, error);
    ASSERT_TRUE(fs::create_directories(*dir_, error)) << *dir_ << ": " << error.message();
    const std::string source_2026 = std::string(REFERRALS_DEFAULT_RULES) + "/2026.11-1.textproto";
    const std::string text_2026 = ReadFile(source_2026);
    ASSERT_FALSE(text_2026.empty()) << source_2026;
    {
      std::ofstream out(*dir_ + "/2026.11-1.textproto");
      out << text_2026;
      ASSERT_TRUE(out.good());
    }
    absl::StatusOr<std::string> text_2028 = Rules2028(text_2026);
    ASSERT_TRUE(text_2028.ok()) << text_2028.status();
    {
      std::ofstream out(*dir_ + "/2028.04-1.textproto");
      out << *text_2028;
      ASSERT_TRUE(out.good());
    }

    auto catalog = RulesCatalog::Load(*dir_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = new std::shared_ptr<const RulesCatalog>(*std::move(catalog));

    RoutingDataPaths paths{*dir_, REFERRALS_DEFAULT_SECTORS, "", REFERRALS_DEFAULT_AUTHORITIES};
    auto data =
        LoadRoutingData(paths, absl::FromCivil(absl::CivilMinute(2028, 3, 1, 12, 0), London()));
    ASSERT_TRUE(data.ok()) << data.status();
    data_2028_ = new RoutingData(*std::move(data));
  }
  static void TearDownTestSuite() {
    delete data_2028_;
    data_2028_ = nullptr;
    delete catalog_;
    catalog_ = nullptr;
    if (dir_ != nullptr) {
      std::error_code error;
      std::filesystem::remove_all(*dir_, error);
      delete dir_;
      dir_ = nullptr;
    }
  }

  static std::string* dir_;
  static std::shared_ptr<const RulesCatalog>* catalog_;
  static RoutingData* data_2028_;
};

std::string* Reorganisation2028Test::dir_ = nullptr;
std::shared_ptr<const RulesCatalog>* Reorganisation2028Test::catalog_ = nullptr;
RoutingData* Reorganisation2028Test::data_2028_ = nullptr;

TEST_F(Reorganisation2028Test, CatalogHoldsBothVersionsWithTheirDates) {
  ASSERT_NE(catalog_, nullptr);
  const RulesCatalog& catalog = **catalog_;
  ASSERT_EQ(catalog.versions().size(), 2u);
  EXPECT_EQ(catalog.Describe(), "2026.11-1 (from 2026-11-23), 2028.04-1 (from 2028-04-01)");
  const absl::TimeZone london = London();
  EXPECT_EQ(
      catalog.InForceAt(absl::FromCivil(absl::CivilMinute(2028, 3, 31, 23, 59), london))->version(),
      "2026.11-1");
  EXPECT_EQ(
      catalog.InForceAt(absl::FromCivil(absl::CivilMinute(2028, 4, 1, 0, 0), london))->version(),
      "2028.04-1");
  const RulesConfig* v2028 = catalog.Find("2028.04-1").get();
  ASSERT_NE(v2028, nullptr);
  ASSERT_NE(v2028->AuthorityForDistrict(kColchesterCode), nullptr);
  EXPECT_EQ(v2028->AuthorityForDistrict(kColchesterCode)->id(), "NORTH_ESSEX");
  EXPECT_EQ(v2028->AuthorityForDistrict(kTendringCode)->id(), "NORTH_ESSEX");
  EXPECT_EQ(v2028->AuthorityForDistrict("E07000070")->id(), "ESSEX");  // Chelmsford stays
  // The engine loaded from the same directory sees the same versions.
  ASSERT_NE(data_2028_, nullptr);
  EXPECT_EQ(data_2028_->rules->Describe(), catalog.Describe());
}

TEST_F(Reorganisation2028Test, SameReferralChangesAuthorityOnTheEffectiveDate) {
  ASSERT_NE(data_2028_, nullptr);
  const std::string src =
      "DOMAIN.md 'Postcode data' (boundaries will change ~2028: versions and effective dates); "
      "synthetic 2028.04-1 (Colchester and Tendring -> NORTH_ESSEX)";
  const std::vector<Row> rows = {
      R("SensoryColchesterLastDayOfEssex", src)
          .Kind(SENSORY_SUPPORT)
          .Home(kColchester)
          .At(T(2028, 3, 31, 23, 59), kV2026)
          .Team("ESSEX", "ecl-sensory-triage", "NORTH_EAST")
          .OutOfHours(),
      R("SensoryColchesterFirstMinuteOfNorthEssex", src)
          .Kind(SENSORY_SUPPORT)
          .Home(kColchester)
          .At(T(2028, 4, 1, 0, 0), "2028.04-1")
          .Team("NORTH_ESSEX", "north-essex-front-door")
          .OutOfHours()
          .Fired("team.north_essex.front_door"),
      R("SafeguardingColchesterFridayUnderEssex", src)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kColchester)
          .At(T(2028, 3, 31, 11, 0), kV2026)
          .Team("ESSEX", "ecc-north-east", "NORTH_EAST"),
      R("SafeguardingColchesterMondayUnderNorthEssex", src)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kColchester)
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Team("NORTH_ESSEX", "north-essex-front-door"),
      R("HarmInTendringAdultInChelmsfordInformsEssex",
        src + "; place of harm leads, the residence authority is told")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kChelmsford)
          .Harm(kTendring)
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Team("NORTH_ESSEX", "north-essex-front-door")
          .Basis(kHarmBasis)
          .Informed({"ESSEX"}),
      R("HarmInChelmsfordAdultInColchesterInformsNorthEssex", src)
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kColchester)
          .Harm(kChelmsford)
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Team("ESSEX", "ecc-mid", "MID")
          .Basis(kHarmBasis)
          .Informed({"NORTH_ESSEX"}),
      R("ChelmsfordUnchanged", src + "; Chelmsford stays in ESSEX, Mid")
          .Kind(COMMUNITY_EQUIPMENT)
          .Home(kChelmsford)
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Team("ESSEX", "ecc-icels", "MID"),
      R("ColchesterAndTendringSectorIsNorthEssex", src + "; sector CO4 3 is in one authority")
          .Kind(CARE_TECHNOLOGY)
          .Home(kColchesterTendring)
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Team("NORTH_ESSEX", "north-essex-front-door"),
      R("BraintreeColchesterSectorIsSplitBetweenAuthorities",
        src + "; DOMAIN.md split sector -> manual triage (CO6 1: Braintree, Colchester)")
          .Kind(SENSORY_SUPPORT)
          .Home("CO6 1AB")
          .At(T(2028, 4, 3, 11, 0), "2028.04-1")
          .Manual({"Braintree", "Colchester"}),
      R("NorthEssexUrgentOutOfHoursUsesItsOwnDutyLine",
        src + "; DOMAIN.md 'Timing' (urgent out of hours: the authority's duty line)")
          .Kind(ADULT_SAFEGUARDING_CONCERN)
          .Home(kTendring)
          .Risk(kChild)
          .At(T(2028, 4, 1, 10, 0), "2028.04-1")
          .Team("NORTH_ESSEX", "north-essex-front-door")
          .Priority(kUrgent)
          .OutOfHours(kNorthEssexDuty)
          .Signposts({{"CHILDRENS_SAFEGUARDING", kNorthEssexChildren}}),
  };
  for (const Row& row : rows) ExpectDecision(row, Decide(*data_2028_, row));

  // The split names both authorities as candidates.
  const referrals::v1::RoutingDecision split = Decide(*data_2028_, rows[8]);
  std::vector<std::string> authorities;
  for (const auto& candidate : split.location().candidates()) {
    authorities.push_back(candidate.authority_id());
  }
  EXPECT_THAT(authorities, ::testing::UnorderedElementsAre("ESSEX", "NORTH_ESSEX"));
  // And the informed authority carries its own contact.
  const referrals::v1::RoutingDecision informed = Decide(*data_2028_, rows[5]);
  ASSERT_EQ(informed.to_be_informed_size(), 1);
  EXPECT_EQ(informed.to_be_informed(0).contact(), kNorthEssexSafeguarding);
}

}  // namespace
}  // namespace referrals
