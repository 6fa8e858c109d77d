#include "services/triage/triage_rules.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using referrals::v1::Referral;

// A fixed receipt time, so the rules version in force is known.
const absl::Time kReceived = absl::FromUnixSeconds(1763900000);  // 2025-11-23

class TriageRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = RulesCatalog::Load(REFERRALS_DEFAULT_RULES);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    rules_ = std::make_unique<TriageRules>(*catalog);
  }

  static Referral Of(referrals::v1::ReferralKind kind) {
    Referral referral;
    referral.set_kind(kind);
    return referral;
  }

  static std::vector<std::string> SignpostIds(const referrals::v1::TriageResult& result) {
    std::vector<std::string> ids;
    for (const auto& signpost : result.signposts()) ids.push_back(signpost.id());
    return ids;
  }

  std::unique_ptr<TriageRules> rules_;
};

// DOMAIN.md: safeguarding follows the place of harm; where it is not known,
// where the adult is.
TEST_F(TriageRulesTest, SafeguardingIsDecidedByPlaceOfHarmThenResidence) {
  auto result = rules_->Classify(Of(referrals::v1::ADULT_SAFEGUARDING_CONCERN), kReceived);
  EXPECT_THAT(result.location_bases(), ElementsAre(referrals::v1::LOCATION_BASIS_PLACE_OF_HARM,
                                                   referrals::v1::LOCATION_BASIS_RESIDENCE));
  EXPECT_EQ(result.priority(), referrals::v1::PRIORITY_ROUTINE);
  EXPECT_TRUE(result.signposts().empty());
}

// DOMAIN.md: equipment, sensory and care technology follow residence.
TEST_F(TriageRulesTest, ResidenceKindsAreDecidedByResidence) {
  for (auto kind : {referrals::v1::COMMUNITY_EQUIPMENT, referrals::v1::SENSORY_SUPPORT,
                    referrals::v1::CARE_TECHNOLOGY}) {
    EXPECT_THAT(rules_->Classify(Of(kind), kReceived).location_bases(),
                ElementsAre(referrals::v1::LOCATION_BASIS_RESIDENCE))
        << referrals::v1::ReferralKind_Name(kind);
  }
}

TEST_F(TriageRulesTest, OrganisationalConcernIsDecidedByServiceAddress) {
  EXPECT_THAT(rules_->Classify(Of(referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN), kReceived)
                  .location_bases(),
              ElementsAre(referrals::v1::LOCATION_BASIS_SERVICE));
}

// DOMAIN.md: someone in immediate danger: 999 first.
TEST_F(TriageRulesTest, ImmediateDangerSignpostsEmergencyServicesAndIsEmergency) {
  Referral referral = Of(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_risk()->set_immediate_danger(true);
  auto result = rules_->Classify(referral, kReceived);
  EXPECT_THAT(SignpostIds(result), ElementsAre("EMERGENCY_SERVICES"));
  EXPECT_EQ(result.priority(), referrals::v1::PRIORITY_EMERGENCY);
  EXPECT_EQ(result.signposts(0).reason(), "risk.immediate_danger is set");
  EXPECT_THAT(result.rules(1).detail(), HasSubstr("priority raised to PRIORITY_EMERGENCY"));
}

// DOMAIN.md: an adult in mental health crisis: NHS 111, option 2.
TEST_F(TriageRulesTest, MentalHealthCrisisSignpostsNhs111AndIsUrgent) {
  Referral referral = Of(referrals::v1::COMMUNITY_EQUIPMENT);
  referral.mutable_risk()->set_mental_health_crisis(true);
  auto result = rules_->Classify(referral, kReceived);
  EXPECT_THAT(SignpostIds(result), ElementsAre("MENTAL_HEALTH_CRISIS"));
  EXPECT_THAT(result.signposts(0).contact(), HasSubstr("111"));
  EXPECT_EQ(result.priority(), referrals::v1::PRIORITY_URGENT);
}

// DOMAIN.md: a crime: Essex Police, as well as the safeguarding referral.
TEST_F(TriageRulesTest, SuspectedCrimeSignpostsPolice) {
  Referral referral = Of(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_risk()->set_suspected_crime(true);
  EXPECT_THAT(SignpostIds(rules_->Classify(referral, kReceived)), ElementsAre("POLICE"));
}

// DOMAIN.md: a child at risk: children's safeguarding.
TEST_F(TriageRulesTest, ChildAtRiskSignpostsChildrensSafeguarding) {
  Referral referral = Of(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_risk()->set_child_at_risk(true);
  EXPECT_THAT(SignpostIds(rules_->Classify(referral, kReceived)),
              ElementsAre("CHILDRENS_SAFEGUARDING"));
}

TEST_F(TriageRulesTest, AllFlagsRaiseEverySignpostInRulesOrderAndTheHighestPriority) {
  Referral referral = Of(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_risk()->set_immediate_danger(true);
  referral.mutable_risk()->set_suspected_crime(true);
  referral.mutable_risk()->set_child_at_risk(true);
  referral.mutable_risk()->set_mental_health_crisis(true);
  auto result = rules_->Classify(referral, kReceived);
  EXPECT_THAT(SignpostIds(result), ElementsAre("EMERGENCY_SERVICES", "POLICE",
                                               "CHILDRENS_SAFEGUARDING", "MENTAL_HEALTH_CRISIS"));
  EXPECT_EQ(result.priority(), referrals::v1::PRIORITY_EMERGENCY);
  // The kind rule fires first, then one rule per signpost.
  EXPECT_EQ(result.rules_size(), 5);
}

TEST_F(TriageRulesTest, ResultRecordsTheRulesVersion) {
  auto result = rules_->Classify(Of(referrals::v1::CARE_TECHNOLOGY), kReceived);
  EXPECT_EQ(result.rules_version(), rules_->rules().InForceAt(kReceived)->version());
  EXPECT_FALSE(result.rules_version().empty());
}

}  // namespace
}  // namespace referrals
