#include "common/crypto/referral_sealing.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace referrals {
namespace {

using referrals::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKeyLine[] = "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

referrals::v1::Referral Sample() {
  referrals::v1::Referral referral;
  referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_given_name("Wilhelmina");
  referral.mutable_adult()->set_family_name("Quenby-Marsh");
  referral.mutable_adult()->mutable_home_address()->set_postcode("SS9 1AA");
  referral.set_concern("bruising noticed on the left arm");
  return referral;
}

TEST(ReferralSealing, SealsOpaqueAndOpensForSameReferral) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  const referrals::v1::EncryptedReferral sealed = SealReferral(*keyring, "R-1", Sample());
  EXPECT_EQ(sealed.key_id(), "k1");
  EXPECT_EQ(sealed.nonce().size(), DataKeyring::kNonceBytes);
  const std::string stored = sealed.SerializeAsString();
  EXPECT_THAT(stored, Not(HasSubstr("Wilhelmina")));
  EXPECT_THAT(stored, Not(HasSubstr("SS9 1AA")));
  EXPECT_THAT(stored, Not(HasSubstr("bruising")));
  ASSERT_OK_AND_ASSIGN(referrals::v1::Referral opened, OpenReferral(*keyring, "R-1", sealed));
  EXPECT_EQ(opened.SerializeAsString(), Sample().SerializeAsString());
}

TEST(ReferralSealing, WrongReferralIdFailsNamingIdAndKeyOnly) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  const referrals::v1::EncryptedReferral sealed = SealReferral(*keyring, "R-1", Sample());
  EXPECT_THAT(
      OpenReferral(*keyring, "R-2", sealed),
      StatusIs(absl::StatusCode::kDataLoss,
               ::testing::AllOf(HasSubstr("R-2"), HasSubstr("k1"), Not(HasSubstr("Wilhelmina")))));
}

TEST(ReferralSealing, UnknownKeyIdIsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  referrals::v1::EncryptedReferral sealed = SealReferral(*keyring, "R-1", Sample());
  sealed.set_key_id("retired");
  EXPECT_THAT(OpenReferral(*keyring, "R-1", sealed),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("retired")));
}

// Stored data with an unknown key is the key file's fault, never "no such
// referral".
TEST(ReferralSealing, StoredReferralWithAnUnknownKeyIdIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  referrals::v1::EncryptedReferral sealed = SealReferral(*keyring, "R-1", Sample());
  sealed.set_key_id("retired");
  EXPECT_THAT(OpenStoredReferral(*keyring, "R-1", sealed),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("R-1"), HasSubstr("retired"))));
  sealed.set_key_id("k1");
  ASSERT_OK_AND_ASSIGN(referrals::v1::Referral opened, OpenStoredReferral(*keyring, "R-1", sealed));
  EXPECT_EQ(opened.adult().given_name(), "Wilhelmina");
}

TEST(ReferralSealing, DisabledKeyringStoresInClearAndAnyKeyringOpensIt) {
  auto disabled = DataKeyring::Disabled();
  const referrals::v1::EncryptedReferral clear = SealReferral(*disabled, "R-1", Sample());
  EXPECT_EQ(clear.key_id(), "");
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  ASSERT_OK_AND_ASSIGN(referrals::v1::Referral opened, OpenReferral(*keyring, "R-1", clear));
  EXPECT_EQ(opened.adult().given_name(), "Wilhelmina");
}

TEST(ReferralSealing, DisabledKeyringCannotOpenSealed) {
  ASSERT_OK_AND_ASSIGN(auto keyring, DataKeyring::Parse(kKeyLine, "keys"));
  const referrals::v1::EncryptedReferral sealed = SealReferral(*keyring, "R-1", Sample());
  EXPECT_THAT(OpenReferral(*DataKeyring::Disabled(), "R-1", sealed),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace referrals
