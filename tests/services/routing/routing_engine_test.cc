// Routing decisions over the committed rules and sector table. Each case
// names the source it was written from.
#include "services/routing/routing_engine.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
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
    return data_->engine->Decide(referral, data_->triage->Classify(referral),
                                 absl::FromUnixSeconds(1763900000));
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
  EXPECT_EQ(decision.rules_version(), data_->config->version());
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

}  // namespace
}  // namespace referrals
