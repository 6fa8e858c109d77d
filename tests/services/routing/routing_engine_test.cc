// Routing decisions over the committed rules and sector table. Each case
// names the source it was written from.
#include "services/routing/routing_engine.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/routing_data.h"

namespace referrals {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using referrals::v1::Referral;

struct RoutingCase {
  std::string name;
  std::string source;  // where the expectation comes from
  referrals::v1::ReferralKind kind;
  std::string home;     // adult's home postcode
  std::string harm;     // place of harm postcode ("" = not given)
  std::string service;  // service address postcode
  referrals::v1::RoutingOutcome outcome;
  std::string queue;
  std::string authority;
};

Referral Build(const RoutingCase& c) {
  Referral referral;
  referral.set_kind(c.kind);
  referral.mutable_adult()->mutable_home_address()->set_postcode(c.home);
  if (!c.harm.empty()) referral.mutable_harm_location()->mutable_address()->set_postcode(c.harm);
  if (!c.service.empty()) referral.mutable_service()->mutable_address()->set_postcode(c.service);
  return referral;
}

class RoutingEngineTest : public ::testing::TestWithParam<RoutingCase> {
 protected:
  static void SetUpTestSuite() {
    RoutingDataPaths paths{REFERRALS_DEFAULT_RULES, REFERRALS_DEFAULT_SECTORS, "",
                           REFERRALS_DEFAULT_AUTHORITIES};
    auto data = LoadRoutingData(paths);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = new RoutingData(*std::move(data));
  }
  static void TearDownTestSuite() { delete data_; }

  referrals::v1::RoutingDecision Decide(const Referral& referral) {
    // 2025-11-23: the first rules version is in force.
    const absl::Time received = absl::FromUnixSeconds(1763900000);
    return data_->engine->Decide(referral, data_->triage->Classify(referral, received), received,
                                 received);
  }

  static RoutingData* data_;
};

RoutingData* RoutingEngineTest::data_ = nullptr;

TEST_P(RoutingEngineTest, RoutesToTheExpectedQueue) {
  const RoutingCase& c = GetParam();
  referrals::v1::RoutingDecision decision = Decide(Build(c));
  EXPECT_EQ(decision.outcome(), c.outcome) << c.source;
  EXPECT_EQ(decision.queue(), c.queue) << c.source;
  EXPECT_EQ(decision.authority_id(), c.authority) << c.source;
  EXPECT_FALSE(decision.rules().empty());
}

using referrals::v1::ADULT_SAFEGUARDING_CONCERN;
using referrals::v1::CARE_TECHNOLOGY;
using referrals::v1::COMMUNITY_EQUIPMENT;
using referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN;
using referrals::v1::SENSORY_SUPPORT;
constexpr auto kTeam = referrals::v1::ROUTING_OUTCOME_TEAM;
constexpr auto kManual = referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE;
constexpr auto kOut = referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA;

INSTANTIATE_TEST_SUITE_P(
    Cases, RoutingEngineTest,
    ::testing::Values(
        RoutingCase{"HarmInSouthendResidentOfChelmsford", "DOMAIN.md: place of harm leads",
                    ADULT_SAFEGUARDING_CONCERN, "CM1 1AB", "SS1 2AB", "", kTeam,
                    "southend-front-door", "SOUTHEND"},
        RoutingCase{"HarmInThurrockResidentOfBasildon", "DOMAIN.md: place of harm leads",
                    ADULT_SAFEGUARDING_CONCERN, "SS14 1AB", "RM17 6AB", "", kTeam,
                    "thurrock-first", "THURROCK"},
        RoutingCase{"HarmPlaceUnknownFallsBackToResidence",
                    "DOMAIN.md: where the place is not known, where the adult is",
                    ADULT_SAFEGUARDING_CONCERN, "CO2 7AB", "", "", kTeam, "ecc-north-east",
                    "ESSEX"},
        RoutingCase{"HarmInColchester", "DOMAIN.md localities: Colchester is North East",
                    ADULT_SAFEGUARDING_CONCERN, "SS1 2AB", "CO1 1AB", "", kTeam,
                    "ecc-north-east", "ESSEX"},
        RoutingCase{"HarmInChelmsford", "DOMAIN.md localities: Chelmsford is Mid",
                    ADULT_SAFEGUARDING_CONCERN, "SS1 2AB", "CM2 6AB", "", kTeam, "ecc-mid",
                    "ESSEX"},
        RoutingCase{"HarmInHarlow", "DOMAIN.md localities: Harlow is West",
                    ADULT_SAFEGUARDING_CONCERN, "SS1 2AB", "CM20 1AB", "", kTeam, "ecc-west",
                    "ESSEX"},
        RoutingCase{"HarmInBasildon", "DOMAIN.md localities: Basildon is South West",
                    ADULT_SAFEGUARDING_CONCERN, "SS1 2AB", "SS14 1AB", "", kTeam,
                    "ecc-south-west", "ESSEX"},
        RoutingCase{"EquipmentFollowsResidenceNotHarm", "DOMAIN.md: equipment follows residence",
                    COMMUNITY_EQUIPMENT, "CO2 7AB", "SS1 2AB", "", kTeam, "ecc-north-east",
                    "ESSEX"},
        RoutingCase{"SensoryInSouthend", "DOMAIN.md: Southend runs its own services",
                    SENSORY_SUPPORT, "SS1 2AB", "", "", kTeam, "southend-front-door",
                    "SOUTHEND"},
        RoutingCase{"CareTechnologyInThurrock", "DOMAIN.md: Thurrock runs its own services",
                    CARE_TECHNOLOGY, "RM17 6AB", "", "", kTeam, "thurrock-first", "THURROCK"},
        RoutingCase{"OrganisationalEssexProvider",
                    "Mobilisation pack: ECC Organisational Safeguarding team",
                    ORGANISATIONAL_SAFEGUARDING_CONCERN, "SS1 2AB", "", "CM2 6AB", kTeam,
                    "ecc-organisational-safeguarding", "ESSEX"},
        RoutingCase{"OrganisationalSouthendProvider",
                    "issue 3: Southend and Thurrock to their front doors",
                    ORGANISATIONAL_SAFEGUARDING_CONCERN, "CM2 6AB", "", "SS1 2AB", kTeam,
                    "southend-front-door", "SOUTHEND"},
        RoutingCase{"SplitSectorGoesToManualTriage",
                    "DOMAIN.md: split sector -> manual triage, never a guess", CARE_TECHNOLOGY,
                    "CM1 4ZZ", "", "", kManual, "manual-triage", ""},
        RoutingCase{"CambridgeIsOutOfArea", "DOMAIN.md: out of area, name the council",
                    SENSORY_SUPPORT, "CB2 1AB", "", "", kOut, "out-of-area", ""},
        RoutingCase{"HarmInLondonIsOutOfArea", "DOMAIN.md: place of harm leads, even outside",
                    ADULT_SAFEGUARDING_CONCERN, "CM2 6AB", "E1 1AB", "", kOut, "out-of-area",
                    ""},
        RoutingCase{"UnknownAreaGoesToManualTriage", "issue 3: exactly one outcome",
                    COMMUNITY_EQUIPMENT, "ZE1 0AA", "", "", kManual, "manual-triage", ""}),
    [](const ::testing::TestParamInfo<RoutingCase>& info) { return info.param.name; });

TEST_F(RoutingEngineTest, DecisionRecordsRulesInOrderTriageFirst) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 1AB");
  referral.mutable_harm_location()->mutable_address()->set_postcode("SS1 2AB");
  auto decision = Decide(referral);
  std::vector<std::string> ids;
  for (const auto& rule : decision.rules()) ids.push_back(rule.rule_id());
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids[0], "triage.kind.ADULT_SAFEGUARDING_CONCERN");
  EXPECT_EQ(ids[1], "location.basis");
  EXPECT_EQ(ids[2], "location.resolved");
  EXPECT_THAT(decision.rules(2).detail(), HasSubstr("Southend"));
  EXPECT_EQ(decision.rules_version(), "2025.11-1");  // in force on the receipt date
}

TEST_F(RoutingEngineTest, UnknownHarmPlaceIsRecordedBeforeFallingBack) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("CO2 7AB");
  referral.mutable_harm_location()->set_unknown(true);
  auto decision = Decide(referral);
  EXPECT_EQ(decision.location_basis(), referrals::v1::LOCATION_BASIS_RESIDENCE);
  EXPECT_EQ(decision.rules(1).rule_id(), "location.basis.missing");
}

TEST_F(RoutingEngineTest, SignpostsUseTheDecidingAuthoritysContacts) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("SS1 2AB");
  referral.mutable_risk()->set_child_at_risk(true);
  auto decision = Decide(referral);
  ASSERT_EQ(decision.signposts_size(), 1);
  EXPECT_THAT(decision.signposts(0).contact(), HasSubstr("01702 215007"));  // DOMAIN.md
}

TEST_F(RoutingEngineTest, ManualTriageForSplitSectorNamesTheCandidatesInTheReason) {
  Referral referral;
  referral.set_kind(CARE_TECHNOLOGY);
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 4ZZ");
  auto decision = Decide(referral);
  EXPECT_THAT(decision.rules().rbegin()->detail(), HasSubstr("Chelmsford"));
  EXPECT_THAT(decision.rules().rbegin()->detail(), HasSubstr("Uttlesford"));
}

// The current rules (2026.11-1) at chosen receipt times.
class RoutingEngineAtTest : public RoutingEngineTest {
 protected:
  referrals::v1::RoutingDecision DecideAt(const Referral& referral, absl::Time received) {
    return data_->engine->Decide(referral, data_->triage->Classify(referral, received), received,
                                 received + absl::Seconds(1));
  }
  static absl::Time London(int y, int m, int d, int hh, int mm) {
    absl::TimeZone london;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), london);
  }
  static std::vector<std::string> RuleIds(const referrals::v1::RoutingDecision& decision) {
    std::vector<std::string> ids;
    for (const auto& rule : decision.rules()) ids.push_back(rule.rule_id());
    return ids;
  }
};

// DOMAIN.md kinds table: Essex sensory -> ECL sensory triage; equipment ->
// ICELS (Medequip); care technology -> the care technology service. In force
// from 2026.11-1; before it the locality teams took them.
TEST_F(RoutingEngineAtTest, EssexKindsGoToTheirOwnServicesFromTheNewVersion) {
  Referral referral;
  referral.mutable_adult()->mutable_home_address()->set_postcode("CO2 7AB");
  const absl::Time before = London(2026, 11, 22, 12, 0);
  const absl::Time after = London(2026, 11, 23, 12, 0);
  referral.set_kind(SENSORY_SUPPORT);
  EXPECT_EQ(DecideAt(referral, before).queue(), "ecc-north-east");
  EXPECT_EQ(DecideAt(referral, after).queue(), "ecl-sensory-triage");
  EXPECT_EQ(DecideAt(referral, after).rules_version(), "2026.11-1");
  referral.set_kind(COMMUNITY_EQUIPMENT);
  EXPECT_EQ(DecideAt(referral, after).queue(), "ecc-icels");
  referral.set_kind(CARE_TECHNOLOGY);
  EXPECT_EQ(DecideAt(referral, after).queue(), "ecc-care-technology");
}

// Issue 4 §3: place of harm leads; the authority where the adult lives is
// to be informed.
TEST_F(RoutingEngineAtTest, ResidenceAuthorityIsToBeInformedWhenHarmWasElsewhere) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 1AB");  // Chelmsford
  referral.mutable_harm_location()->mutable_address()->set_postcode("SS1 2AB");  // Southend
  auto decision = DecideAt(referral, London(2026, 11, 24, 11, 0));
  EXPECT_EQ(decision.authority_id(), "SOUTHEND");
  ASSERT_EQ(decision.to_be_informed_size(), 1);
  EXPECT_EQ(decision.to_be_informed(0).authority_id(), "ESSEX");
  EXPECT_EQ(decision.to_be_informed(0).contact(), "0345 603 7630");  // DOMAIN.md
  EXPECT_THAT(RuleIds(decision), ::testing::Contains("inform.residence_authority"));

  // Same authority: nobody else to tell.
  referral.mutable_harm_location()->mutable_address()->set_postcode("CM2 6AB");
  EXPECT_EQ(DecideAt(referral, London(2026, 11, 24, 11, 0)).to_be_informed_size(), 0);
}

// DOMAIN.md "Timing": urgent matters out of hours go to the emergency duty
// line; Thurrock has its own, 01375 372468.
TEST_F(RoutingEngineAtTest, UrgentThurrockConcernOutOfHoursCarriesTheDutyLine) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("RM17 6AB");
  referral.mutable_risk()->set_suspected_crime(true);  // raises to URGENT
  // Friday 2026-11-27 at 18:00: after Friday's 16:30 close.
  auto decision = DecideAt(referral, London(2026, 11, 27, 18, 0));
  EXPECT_EQ(decision.priority(), referrals::v1::PRIORITY_URGENT);
  EXPECT_TRUE(decision.out_of_hours());
  EXPECT_EQ(decision.out_of_hours_contact(), "01375 372468");
  EXPECT_THAT(RuleIds(decision), ::testing::Contains("route.out_of_hours_duty"));
  // Urgent in hours: no duty line.
  auto daytime = DecideAt(referral, London(2026, 11, 27, 11, 0));
  EXPECT_FALSE(daytime.out_of_hours());
  EXPECT_TRUE(daytime.out_of_hours_contact().empty());
  // Routine out of hours: marked, but no duty call.
  referral.mutable_risk()->set_suspected_crime(false);
  auto routine = DecideAt(referral, London(2026, 11, 27, 18, 0));
  EXPECT_TRUE(routine.out_of_hours());
  EXPECT_TRUE(routine.out_of_hours_contact().empty());
}

TEST_F(RoutingEngineAtTest, RespondByFollowsThePrioritysTarget) {
  Referral referral;
  referral.set_kind(ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->mutable_home_address()->set_postcode("SS1 2AB");
  referral.mutable_risk()->set_immediate_danger(true);  // EMERGENCY: 60 minutes
  const absl::Time received = London(2026, 11, 24, 11, 0);
  auto decision = DecideAt(referral, received);
  EXPECT_EQ(FromTimestamp(decision.respond_by()), received + absl::Minutes(60));
  EXPECT_EQ(FromTimestamp(decision.received_time()), received);
  EXPECT_FALSE(decision.postcode_data_version().empty());
}

// Routing follows triage's rules version even after a newer one is in force,
// so one referral is judged by one rule base.
TEST_F(RoutingEngineAtTest, RoutingUsesTheVersionTriageUsed) {
  Referral referral;
  referral.set_kind(SENSORY_SUPPORT);
  referral.mutable_adult()->mutable_home_address()->set_postcode("CO2 7AB");
  const absl::Time received = London(2026, 11, 22, 23, 59);
  auto triage = data_->triage->Classify(referral, received);
  ASSERT_EQ(triage.rules_version(), "2025.11-1");
  auto decision = data_->engine->Decide(referral, triage, received, London(2026, 11, 23, 9, 0));
  EXPECT_EQ(decision.rules_version(), "2025.11-1");
  EXPECT_EQ(decision.queue(), "ecc-north-east");
}

}  // namespace
}  // namespace referrals
