#include "common/domain/rules_config.h"

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::referrals::testing::IsOk;
using ::referrals::testing::StatusIs;
using ::referrals::v1::RoutingConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kColchester[] = "E07000071";
constexpr char kTendring[] = "E07000076";
constexpr char kUttlesford[] = "E07000077";
constexpr char kRochford[] = "E07000075";
constexpr char kBasildon[] = "E07000066";
constexpr char kSouthend[] = "E06000033";
constexpr char kThurrock[] = "E06000034";
constexpr char kRedbridge[] = "E09000026";  // London: out of area

// Writes `contents` to a fresh file under the test temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(::testing::TempDir(), "rules_config_test_", name);
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  return path;
}

// The committed rule base (config/rules/2025.11-1.textproto).
class CommittedRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(rules_, RulesConfig::LoadFile(REFERRALS_RULES_2025));
  }

  // The id of the team the first matching rule picks, or "" when none does.
  std::string TeamFor(absl::string_view authority_id, referrals::v1::ReferralKind kind,
                      absl::string_view locality_id) const {
    const referrals::v1::TeamRule* rule = rules_->MatchTeamRule(authority_id, kind, locality_id);
    return rule == nullptr ? "" : rule->team_id();
  }

  std::shared_ptr<const RulesConfig> rules_;
};

TEST_F(CommittedRulesTest, HasVersionAndEffectiveDate) {
  EXPECT_EQ(rules_->version(), "2025.11-1");
  EXPECT_EQ(rules_->proto().effective_from(), "2025-11-01");
}

TEST_F(CommittedRulesTest, MapsEssexDistrictsToEssex) {
  for (const char* district : {kColchester, kUttlesford, kRochford, kBasildon}) {
    const referrals::v1::Authority* authority = rules_->AuthorityForDistrict(district);
    ASSERT_THAT(authority, NotNull()) << district;
    EXPECT_EQ(authority->id(), "ESSEX") << district;
  }
}

TEST_F(CommittedRulesTest, MapsUnitaryDistrictsToTheirCouncils) {
  ASSERT_THAT(rules_->AuthorityForDistrict(kSouthend), NotNull());
  EXPECT_EQ(rules_->AuthorityForDistrict(kSouthend)->id(), "SOUTHEND");
  ASSERT_THAT(rules_->AuthorityForDistrict(kThurrock), NotNull());
  EXPECT_EQ(rules_->AuthorityForDistrict(kThurrock)->id(), "THURROCK");
}

TEST_F(CommittedRulesTest, HasNoAuthorityForADistrictOutsideEssex) {
  EXPECT_THAT(rules_->AuthorityForDistrict(kRedbridge), IsNull());
}

TEST_F(CommittedRulesTest, MapsEssexDistrictsToTheirLocalities) {
  ASSERT_THAT(rules_->LocalityForDistrict(kColchester), NotNull());
  EXPECT_EQ(rules_->LocalityForDistrict(kColchester)->id(), "NORTH_EAST");
  ASSERT_THAT(rules_->LocalityForDistrict(kTendring), NotNull());
  EXPECT_EQ(rules_->LocalityForDistrict(kTendring)->id(), "NORTH_EAST");
  ASSERT_THAT(rules_->LocalityForDistrict(kUttlesford), NotNull());
  EXPECT_EQ(rules_->LocalityForDistrict(kUttlesford)->id(), "WEST");
  ASSERT_THAT(rules_->LocalityForDistrict(kRochford), NotNull());
  EXPECT_EQ(rules_->LocalityForDistrict(kRochford)->id(), "SOUTH_EAST");
  ASSERT_THAT(rules_->LocalityForDistrict(kBasildon), NotNull());
  EXPECT_EQ(rules_->LocalityForDistrict(kBasildon)->id(), "SOUTH_WEST");
}

TEST_F(CommittedRulesTest, PutsEveryEssexDistrictInALocality) {
  const referrals::v1::Authority* essex = rules_->FindAuthority("ESSEX");
  ASSERT_THAT(essex, NotNull());
  EXPECT_THAT(essex->district_codes(), SizeIs(12));
  for (const std::string& district : essex->district_codes()) {
    EXPECT_THAT(rules_->LocalityForDistrict(district), NotNull()) << district;
  }
}

TEST_F(CommittedRulesTest, HasNoLocalityForUnitaryDistricts) {
  EXPECT_THAT(rules_->LocalityForDistrict(kSouthend), IsNull());
  EXPECT_THAT(rules_->LocalityForDistrict(kThurrock), IsNull());
}

TEST_F(CommittedRulesTest, RoutesEssexOrganisationalConcernsToOrganisationalSafeguarding) {
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN, "MID"),
            "ecc-organisational-safeguarding");
}

TEST_F(CommittedRulesTest, RoutesOtherEssexKindsToTheLocalityTeam) {
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::ADULT_SAFEGUARDING_CONCERN, "MID"), "ecc-mid");
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::COMMUNITY_EQUIPMENT, "NORTH_EAST"), "ecc-north-east");
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::SENSORY_SUPPORT, "WEST"), "ecc-west");
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::CARE_TECHNOLOGY, "SOUTH_WEST"), "ecc-south-west");
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::ADULT_SAFEGUARDING_CONCERN, "SOUTH_EAST"),
            "ecc-south-east");
}

TEST_F(CommittedRulesTest, RoutesEveryUnitaryKindToTheFrontDoor) {
  EXPECT_EQ(TeamFor("SOUTHEND", referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN, ""),
            "southend-front-door");
  EXPECT_EQ(TeamFor("SOUTHEND", referrals::v1::ADULT_SAFEGUARDING_CONCERN, ""),
            "southend-front-door");
  EXPECT_EQ(TeamFor("THURROCK", referrals::v1::CARE_TECHNOLOGY, ""), "thurrock-first");
  EXPECT_EQ(TeamFor("THURROCK", referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN, ""),
            "thurrock-first");
}

TEST_F(CommittedRulesTest, MatchesNoRuleForAnEssexReferralWithoutALocality) {
  EXPECT_EQ(TeamFor("ESSEX", referrals::v1::ADULT_SAFEGUARDING_CONCERN, ""), "");
}

TEST_F(CommittedRulesTest, HasManualTriageAndOutOfAreaTeamsWithoutAuthority) {
  EXPECT_EQ(rules_->manual_triage_team().id(), "manual-triage");
  EXPECT_EQ(rules_->manual_triage_team().queue(), "manual-triage");
  EXPECT_EQ(rules_->manual_triage_team().authority_id(), "");
  EXPECT_EQ(rules_->out_of_area_team().id(), "out-of-area");
  EXPECT_EQ(rules_->out_of_area_team().queue(), "out-of-area");
  EXPECT_EQ(rules_->out_of_area_team().authority_id(), "");
}

TEST_F(CommittedRulesTest, FindsTeamsByIdAndByQueue) {
  ASSERT_THAT(rules_->FindTeam("thurrock-first"), NotNull());
  EXPECT_EQ(rules_->FindTeam("thurrock-first")->authority_id(), "THURROCK");
  EXPECT_EQ(rules_->FindTeamByQueue("ecc-south-east"), rules_->FindTeam("ecc-south-east"));
  EXPECT_THAT(rules_->FindTeam("no-such-team"), IsNull());
  EXPECT_THAT(rules_->FindTeamByQueue("no-such-queue"), IsNull());
}

TEST_F(CommittedRulesTest, DecidesAdultSafeguardingByPlaceOfHarmThenResidence) {
  const referrals::v1::KindRule* rule =
      rules_->FindKindRule(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  ASSERT_THAT(rule, NotNull());
  EXPECT_THAT(rule->location_bases(), ElementsAre(referrals::v1::LOCATION_BASIS_PLACE_OF_HARM,
                                                  referrals::v1::LOCATION_BASIS_RESIDENCE));
  EXPECT_EQ(rule->base_priority(), referrals::v1::PRIORITY_ROUTINE);
}

TEST_F(CommittedRulesTest, DecidesOrganisationalConcernsByServiceAddress) {
  const referrals::v1::KindRule* rule =
      rules_->FindKindRule(referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN);
  ASSERT_THAT(rule, NotNull());
  EXPECT_THAT(rule->location_bases(), ElementsAre(referrals::v1::LOCATION_BASIS_SERVICE));
}

TEST_F(CommittedRulesTest, GivesEachAuthorityItsChildrensFrontDoor) {
  const referrals::v1::SignpostRule* childrens = nullptr;
  for (const auto& signpost : rules_->proto().signposts()) {
    if (signpost.id() == "CHILDRENS_SAFEGUARDING") childrens = &signpost;
  }
  ASSERT_THAT(childrens, NotNull());
  EXPECT_EQ(childrens->trigger(), referrals::v1::RISK_FLAG_CHILD_AT_RISK);
  EXPECT_EQ(childrens->contact_by_authority().at("THURROCK"), "Thurrock MASH 01375 652802");
  EXPECT_THAT(childrens->contact_by_authority(), SizeIs(3));
}

TEST_F(CommittedRulesTest, RevalidatesItsOwnProto) {
  EXPECT_THAT(RulesConfig::FromProto(rules_->proto()), IsOk());
}

// ---------------------------------------------------------------------------
// Loading a file.

TEST(RulesConfigLoadFile, ReportsNotFoundForAMissingFile) {
  EXPECT_THAT(RulesConfig::LoadFile(absl::StrCat(::testing::TempDir(), "no-such-rules.txt")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-rules.txt")));
}

TEST(RulesConfigLoadFile, ReportsLineAndColumnOfASyntaxError) {
  const std::string path = WriteTempFile("syntax.textproto",
                                         "version: \"2025.11-1\"\n"
                                         "authorities {\n"
                                         "  id \"ESSEX\"\n"
                                         "}\n");
  EXPECT_THAT(RulesConfig::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(path + ":3:6: ")));
}

// Protobuf places the error at the token after the unknown name, so only the
// line is pinned here.
TEST(RulesConfigLoadFile, ReportsTheLineOfAnUnknownField) {
  const std::string path = WriteTempFile("unknown_field.textproto",
                                         "version: \"2025.11-1\"\n"
                                         "\n"
                                         "  teem_rules {}\n");
  EXPECT_THAT(RulesConfig::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(StartsWith(path + ":3:"), HasSubstr("teem_rules"))));
}

TEST(RulesConfigLoadFile, NamesTheFileInValidationErrors) {
  const std::string path = WriteTempFile("empty.textproto", "# nothing here\n");
  EXPECT_THAT(RulesConfig::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(path, ": version: is empty"))));
}

// ---------------------------------------------------------------------------
// Broken configs: each mutation of the committed proto is rejected with
// INVALID_ARGUMENT naming the element.

constexpr char kSource[] = "broken.textproto";

RoutingConfig CommittedProto() {
  absl::StatusOr<std::shared_ptr<const RulesConfig>> rules =
      RulesConfig::LoadFile(REFERRALS_RULES_2025);
  return rules.ok() ? (*rules)->proto() : RoutingConfig();
}

TEST(RulesConfigFromProto, ListsEveryProblemOnePerLine) {
  RoutingConfig config = CommittedProto();
  config.set_version("");
  config.mutable_teams(1)->set_queue("ecc mid");
  absl::StatusOr<std::shared_ptr<const RulesConfig>> rules =
      RulesConfig::FromProto(config, kSource);
  ASSERT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<std::string> lines = absl::StrSplit(rules.status().message(), '\n');
  EXPECT_THAT(lines,
              ElementsAre("broken.textproto: version: is empty",
                          "broken.textproto: teams[1] (id \"ecc-mid\"): queue \"ecc mid\" is not "
                          "lower-case letters, digits and '-'"));
}

struct BrokenCase {
  std::string name;
  std::function<void(RoutingConfig&)> mutate;
  std::string expected;  // a substring of the message, after "broken.textproto: "
};

void PrintTo(const BrokenCase& broken, std::ostream* os) { *os << broken.name; }

class BrokenConfigTest : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenConfigTest, IsRejectedNamingTheElement) {
  RoutingConfig config = CommittedProto();
  ASSERT_THAT(RulesConfig::FromProto(config, kSource), IsOk()) << "baseline must be valid";
  GetParam().mutate(config);
  EXPECT_THAT(RulesConfig::FromProto(std::move(config), kSource),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(kSource, ": ", GetParam().expected))));
}

// Indexes refer to config/rules/2025.11-1.textproto: authorities ESSEX,
// SOUTHEND, THURROCK; localities NORTH_EAST, MID, WEST, SOUTH_WEST,
// SOUTH_EAST; teams ecc-north-east, ecc-mid, ecc-west, ecc-south-west,
// ecc-south-east, ecc-organisational-safeguarding, southend-front-door,
// thurrock-first, manual-triage, out-of-area; team rules organisational, the
// five localities, Southend, Thurrock; signposts EMERGENCY_SERVICES, POLICE,
// CHILDRENS_SAFEGUARDING, MENTAL_HEALTH_CRISIS.
const BrokenCase kBrokenCases[] = {
    // Header.
    {"EmptyVersion", [](RoutingConfig& c) { c.set_version(""); }, "version: is empty"},
    {"DateWithImpossibleMonth", [](RoutingConfig& c) { c.set_effective_from("2025-13-01"); },
     "effective_from: \"2025-13-01\" is not a valid ISO date (YYYY-MM-DD)"},
    {"DateThatDoesNotExist", [](RoutingConfig& c) { c.set_effective_from("2025-02-29"); },
     "effective_from: \"2025-02-29\" is not a valid ISO date"},
    {"DateNotIso", [](RoutingConfig& c) { c.set_effective_from("1 Nov 2025"); },
     "effective_from: \"1 Nov 2025\" is not a valid ISO date"},
    // Authorities.
    {"DuplicateAuthorityId", [](RoutingConfig& c) { c.mutable_authorities(2)->set_id("SOUTHEND"); },
     "authorities[2] (id \"SOUTHEND\"): id is also used by authorities[1]"},
    {"LowerCaseAuthorityId", [](RoutingConfig& c) { c.mutable_authorities(1)->set_id("Southend"); },
     "authorities[1] (id \"Southend\"): id is not upper-case letters and '_'"},
    {"EmptyAuthorityName", [](RoutingConfig& c) { c.mutable_authorities(2)->clear_name(); },
     "authorities[2] (id \"THURROCK\"): name is empty"},
    {"BadGssCode",
     [](RoutingConfig& c) { c.mutable_authorities(0)->set_district_codes(0, "E0700066"); },
     "authorities[0] (id \"ESSEX\"): district_codes[0] \"E0700066\" is not a GSS code"},
    {"DistrictInTwoAuthorities",
     [](RoutingConfig& c) { c.mutable_authorities(1)->add_district_codes(kRochford); },
     "authorities[1] (id \"SOUTHEND\"): district_codes[1] \"E07000075\" is also in "
     "authorities[0] (id \"ESSEX\")"},
    // Localities.
    {"DuplicateLocalityId", [](RoutingConfig& c) { c.mutable_localities(4)->set_id("MID"); },
     "localities[4] (id \"MID\"): id is also used by localities[1]"},
    {"LowerCaseLocalityId", [](RoutingConfig& c) { c.mutable_localities(1)->set_id("mid"); },
     "localities[1] (id \"mid\"): id is not upper-case letters and '_'"},
    {"LocalityOfUnknownAuthority",
     [](RoutingConfig& c) { c.mutable_localities(0)->set_authority_id("ECC"); },
     "localities[0] (id \"NORTH_EAST\"): authority_id \"ECC\" is not an authority"},
    {"LocalityDistrictOutsideItsAuthority",
     [](RoutingConfig& c) { c.mutable_localities(4)->add_district_codes(kSouthend); },
     "localities[4] (id \"SOUTH_EAST\"): district_codes[2] \"E06000033\" belongs to "
     "authorities[1] (id \"SOUTHEND\"), not to authority \"ESSEX\""},
    {"LocalityDistrictOfNoAuthority",
     [](RoutingConfig& c) { c.mutable_localities(2)->add_district_codes(kRedbridge); },
     "localities[2] (id \"WEST\"): district_codes[3] \"E09000026\" is not a district of any "
     "authority"},
    {"DistrictInTwoLocalities",
     [](RoutingConfig& c) { c.mutable_localities(4)->add_district_codes(kBasildon); },
     "localities[4] (id \"SOUTH_EAST\"): district_codes[2] \"E07000066\" is also in "
     "localities[3] (id \"SOUTH_WEST\")"},
    // Teams.
    {"DuplicateTeamId", [](RoutingConfig& c) { c.mutable_teams(2)->set_id("ecc-mid"); },
     "teams[2] (id \"ecc-mid\"): id is also used by teams[1]"},
    {"BadTeamId", [](RoutingConfig& c) { c.mutable_teams(1)->set_id("ECC Mid"); },
     "teams[1] (id \"ECC Mid\"): id is not lower-case letters, digits, '-' and '.'"},
    {"EmptyTeamName", [](RoutingConfig& c) { c.mutable_teams(6)->clear_name(); },
     "teams[6] (id \"southend-front-door\"): name is empty"},
    {"TeamOfUnknownAuthority",
     [](RoutingConfig& c) { c.mutable_teams(7)->set_authority_id("GRAYS"); },
     "teams[7] (id \"thurrock-first\"): authority_id \"GRAYS\" is not an authority"},
    {"BadQueueName", [](RoutingConfig& c) { c.mutable_teams(1)->set_queue("ecc_mid"); },
     "teams[1] (id \"ecc-mid\"): queue \"ecc_mid\" is not lower-case letters, digits and '-'"},
    {"EmptyQueue", [](RoutingConfig& c) { c.mutable_teams(1)->clear_queue(); },
     "teams[1] (id \"ecc-mid\"): queue is empty"},
    {"DuplicateQueue", [](RoutingConfig& c) { c.mutable_teams(1)->set_queue("ecc-north-east"); },
     "teams[1] (id \"ecc-mid\"): queue \"ecc-north-east\" is also the queue of teams[0] (id "
     "\"ecc-north-east\")"},
    // Kind rules.
    {"KindNotCovered", [](RoutingConfig& c) { c.mutable_kind_rules()->RemoveLast(); },
     "kind_rules: no rule for kind CARE_TECHNOLOGY"},
    {"KindCoveredTwice",
     [](RoutingConfig& c) { c.mutable_kind_rules(4)->set_kind(referrals::v1::SENSORY_SUPPORT); },
     "kind_rules[4] (kind SENSORY_SUPPORT): kind is also covered by kind_rules[3]"},
    {"KindRuleForUnspecifiedKind",
     [](RoutingConfig& c) {
       *c.add_kind_rules() = c.kind_rules(0);
       c.mutable_kind_rules(5)->clear_kind();
     },
     "kind_rules[5] (kind REFERRAL_KIND_UNSPECIFIED): kind is not a referral kind"},
    {"KindRuleWithoutLocationBases",
     [](RoutingConfig& c) { c.mutable_kind_rules(2)->clear_location_bases(); },
     "kind_rules[2] (kind COMMUNITY_EQUIPMENT): location_bases is empty"},
    {"KindRuleWithUnspecifiedLocationBasis",
     [](RoutingConfig& c) {
       c.mutable_kind_rules(0)->add_location_bases(referrals::v1::LOCATION_BASIS_UNSPECIFIED);
     },
     "kind_rules[0] (kind ADULT_SAFEGUARDING_CONCERN): location_bases[2] "
     "LOCATION_BASIS_UNSPECIFIED is not a location basis"},
    {"KindRuleWithoutBasePriority",
     [](RoutingConfig& c) { c.mutable_kind_rules(3)->clear_base_priority(); },
     "kind_rules[3] (kind SENSORY_SUPPORT): base_priority PRIORITY_UNSPECIFIED is not set"},
    // Team rules.
    {"DuplicateTeamRuleId",
     [](RoutingConfig& c) { c.mutable_team_rules(7)->set_id("team.southend.front_door"); },
     "team_rules[7] (id \"team.southend.front_door\"): id is also used by team_rules[6]"},
    {"EmptyTeamRuleId", [](RoutingConfig& c) { c.mutable_team_rules(7)->clear_id(); },
     "team_rules[7]: id is empty"},
    {"TeamRuleForUnknownTeam",
     [](RoutingConfig& c) { c.mutable_team_rules(2)->set_team_id("ecc-middle"); },
     "team_rules[2] (id \"team.essex.locality.mid\"): team_id \"ecc-middle\" is not a team"},
    {"TeamRuleForUnknownAuthority",
     [](RoutingConfig& c) { c.mutable_team_rules(6)->add_authority_ids("HERTS"); },
     "team_rules[6] (id \"team.southend.front_door\"): authority_ids[1] \"HERTS\" is not an "
     "authority"},
    {"TeamRuleForUnknownLocality",
     [](RoutingConfig& c) { c.mutable_team_rules(3)->set_locality_ids(0, "WEST_ESSEX"); },
     "team_rules[3] (id \"team.essex.locality.west\"): locality_ids[0] \"WEST_ESSEX\" is not a "
     "locality"},
    {"TeamRuleForUnspecifiedKind",
     [](RoutingConfig& c) {
       c.mutable_team_rules(0)->add_kinds(referrals::v1::REFERRAL_KIND_UNSPECIFIED);
     },
     "team_rules[0] (id \"team.essex.organisational\"): kinds[1] REFERRAL_KIND_UNSPECIFIED is "
     "not a referral kind"},
    {"TeamRuleForLocalityOfAnExcludedAuthority",
     [](RoutingConfig& c) { c.mutable_team_rules(6)->add_locality_ids("MID"); },
     "team_rules[6] (id \"team.southend.front_door\"): locality_ids[0] \"MID\" is in authority "
     "\"ESSEX\", which authority_ids does not include"},
    // Coverage.
    {"CoverageGapForALocality",
     [](RoutingConfig& c) { c.mutable_team_rules()->DeleteSubrange(3, 1); },
     "authorities[0] (id \"ESSEX\"): no team rule matches kind ADULT_SAFEGUARDING_CONCERN, "
     "locality \"WEST\""},
    {"CoverageGapForADistrictInNoLocality",
     [](RoutingConfig& c) { c.mutable_localities(2)->mutable_district_codes()->RemoveLast(); },
     "authorities[0] (id \"ESSEX\"): no team rule matches kind ADULT_SAFEGUARDING_CONCERN, "
     "locality (none)"},
    {"CoverageGapForAKind",
     [](RoutingConfig& c) {
       c.mutable_team_rules(7)->add_kinds(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
     },
     "authorities[2] (id \"THURROCK\"): no team rule matches kind "
     "ORGANISATIONAL_SAFEGUARDING_CONCERN, locality (none)"},
    {"CoverageByAnotherAuthoritysTeam",
     [](RoutingConfig& c) { c.mutable_team_rules(6)->set_team_id("thurrock-first"); },
     "team_rules[6] (id \"team.southend.front_door\"): routes authority \"SOUTHEND\", kind "
     "ADULT_SAFEGUARDING_CONCERN, locality (none) to team \"thurrock-first\" of authority "
     "\"THURROCK\""},
    {"CoverageByATeamWithoutAuthority",
     [](RoutingConfig& c) { c.mutable_team_rules(7)->set_team_id("manual-triage"); },
     "team_rules[7] (id \"team.thurrock.first\"): routes authority \"THURROCK\", kind "
     "ADULT_SAFEGUARDING_CONCERN, locality (none) to team \"manual-triage\", which has no "
     "authority"},
    // Signposts.
    {"DuplicateSignpostId", [](RoutingConfig& c) { c.mutable_signposts(3)->set_id("POLICE"); },
     "signposts[3] (id \"POLICE\"): id is also used by signposts[1]"},
    {"SignpostWithoutTrigger", [](RoutingConfig& c) { c.mutable_signposts(1)->clear_trigger(); },
     "signposts[1] (id \"POLICE\"): trigger RISK_FLAG_UNSPECIFIED is not set to a risk flag"},
    {"SignpostWithoutName", [](RoutingConfig& c) { c.mutable_signposts(0)->clear_name(); },
     "signposts[0] (id \"EMERGENCY_SERVICES\"): name is empty"},
    {"SignpostWithoutDefaultContact",
     [](RoutingConfig& c) { c.mutable_signposts(3)->clear_default_contact(); },
     "signposts[3] (id \"MENTAL_HEALTH_CRISIS\"): default_contact is empty"},
    {"SignpostWithoutPriority",
     [](RoutingConfig& c) { c.mutable_signposts(0)->clear_raises_priority_to(); },
     "signposts[0] (id \"EMERGENCY_SERVICES\"): raises_priority_to PRIORITY_UNSPECIFIED is not "
     "set to a priority"},
    {"SignpostForUnknownAuthority",
     [](RoutingConfig& c) {
       (*c.mutable_signposts(2)->mutable_contact_by_authority())["HERTS"] = "0300 123 4043";
     },
     "signposts[2] (id \"CHILDRENS_SAFEGUARDING\"): contact_by_authority key \"HERTS\" is not "
     "an authority"},
    // Special teams.
    {"UnknownManualTriageTeam", [](RoutingConfig& c) { c.set_manual_triage_team("triage"); },
     "manual_triage_team: \"triage\" is not a team"},
    {"EmptyManualTriageTeam", [](RoutingConfig& c) { c.clear_manual_triage_team(); },
     "manual_triage_team: is empty"},
    {"ManualTriageTeamWithAuthority", [](RoutingConfig& c) { c.set_manual_triage_team("ecc-mid"); },
     "manual_triage_team: team \"ecc-mid\" belongs to authority \"ESSEX\"; it must have no "
     "authority_id"},
    {"UnknownOutOfAreaTeam", [](RoutingConfig& c) { c.set_out_of_area_team("elsewhere"); },
     "out_of_area_team: \"elsewhere\" is not a team"},
    {"OutOfAreaTeamWithAuthority",
     [](RoutingConfig& c) { c.set_out_of_area_team("southend-front-door"); },
     "out_of_area_team: team \"southend-front-door\" belongs to authority \"SOUTHEND\""},
};

INSTANTIATE_TEST_SUITE_P(RulesConfigFromProto, BrokenConfigTest, ::testing::ValuesIn(kBrokenCases),
                         [](const ::testing::TestParamInfo<BrokenCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace referrals
