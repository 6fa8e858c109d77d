#include "services/routing/stored_decision.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

referrals::v1::Referral ReferralWithPostcodes() {
  referrals::v1::Referral referral;
  referral.mutable_adult()->mutable_home_address()->set_postcode("ss9 1aa");
  referral.mutable_harm_location()->mutable_address()->set_postcode("CM1 2QB");
  return referral;
}

referrals::v1::RoutingDecision Decision() {
  referrals::v1::RoutingDecision decision;
  decision.set_authority_id("ESSEX");
  decision.set_queue("essex-mid");
  decision.mutable_location()->set_postcode("CM1 2QB");
  decision.mutable_location()->set_district_name("Chelmsford");
  decision.add_rules()->set_detail("CM1 2QB is in Chelmsford (E07000070, by unit): Essex");
  decision.add_to_be_informed()->set_reason("the adult lives at SS91AA, Southend");
  return decision;
}

TEST(StoredDecision, KeepsSectorInLocationAndTexts) {
  const referrals::v1::RoutingDecision stored = StoredDecision(Decision(), ReferralWithPostcodes());
  EXPECT_EQ(stored.location().postcode(), "CM1 2");
  EXPECT_EQ(stored.rules(0).detail(), "CM1 2 is in Chelmsford (E07000070, by unit): Essex");
  EXPECT_EQ(stored.to_be_informed(0).reason(), "the adult lives at SS9 1, Southend");
}

TEST(StoredDecision, LeavesRoutingFactsAlone) {
  const referrals::v1::RoutingDecision stored = StoredDecision(Decision(), ReferralWithPostcodes());
  EXPECT_EQ(stored.authority_id(), "ESSEX");
  EXPECT_EQ(stored.queue(), "essex-mid");
  EXPECT_EQ(stored.location().district_name(), "Chelmsford");
}

TEST(StoredDecision, NoUnitPostcodeInAnyForm) {
  const std::string bytes = StoredDecision(Decision(), ReferralWithPostcodes()).SerializeAsString();
  for (const char* form : {"CM1 2QB", "CM12QB", "SS9 1AA", "SS91AA", "ss9 1aa"}) {
    EXPECT_THAT(bytes, Not(HasSubstr(form))) << form;
  }
}

TEST(StoredDecision, MalformedPostcodeIsHidden) {
  referrals::v1::Referral referral;
  referral.mutable_adult()->mutable_home_address()->set_postcode("QQ77 ZZZ");
  referrals::v1::RoutingDecision decision;
  decision.add_rules()->set_detail("looked for QQ77 ZZZ");
  EXPECT_EQ(StoredDecision(decision, referral).rules(0).detail(), "looked for (postcode)");
}

}  // namespace
}  // namespace referrals
