#include "common/domain/referral_validator.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/domain/postcode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::referrals::v1::Referral;
using ::referrals::v1::ReferralKind;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Every test validates against this date, so none depends on the clock.
const absl::CivilDay kToday(2025, 11, 14);

constexpr ReferralKind kAllKinds[] = {
    v1::ADULT_SAFEGUARDING_CONCERN,
    v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
    v1::COMMUNITY_EQUIPMENT,
    v1::SENSORY_SUPPORT,
    v1::CARE_TECHNOLOGY,
};

// A complete, valid referral about a made-up person. Every location the kind
// might route on is filled in.
Referral ValidReferral(ReferralKind kind) {
  Referral referral;
  referral.set_kind(kind);

  v1::Adult* adult = referral.mutable_adult();
  adult->set_given_name("Testina");
  adult->set_family_name("Examplewood");
  v1::CalendarDate* dob = adult->mutable_date_of_birth();
  dob->set_year(1941);
  dob->set_month(3);
  dob->set_day(17);
  v1::Address* home = adult->mutable_home_address();
  home->add_lines("1 Imaginary Row");
  home->set_town("Nowhereton");
  home->set_postcode("cm1 1aa");

  if (kind == v1::ADULT_SAFEGUARDING_CONCERN) {
    v1::Location* harm = referral.mutable_harm_location();
    harm->set_description("day centre");
    harm->mutable_address()->add_lines("The Pretend Day Centre");
    harm->mutable_address()->set_postcode("SS91AB");
  }

  v1::Referrer* referrer = referral.mutable_referrer();
  referrer->set_name("Fictitia Sample");
  referrer->set_organisation("Nonesuch Home Care Ltd");
  referrer->set_role("Registered manager");
  referrer->set_phone("+44 (0)1632 960-123");  // Ofcom drama range
  referrer->set_email("fictitia.sample@example.org");

  if (kind == v1::ORGANISATIONAL_SAFEGUARDING_CONCERN) {
    v1::Service* service = referral.mutable_service();
    service->set_name("Make-Believe Lodge");
    service->mutable_address()->set_postcode("CO4 9ZZ");
    service->set_cqc_location_id("1-123456789");
  }

  referral.set_concern("Synthetic concern text.\nSecond line\twith a tab.");
  referral.mutable_risk()->set_suspected_crime(true);
  referral.set_consent(v1::CONSENT_GIVEN);
  referral.set_channel(v1::CHANNEL_PORTAL);
  referral.set_request_id("portal-form-0001");
  return referral;
}

std::vector<std::string> Fields(const FieldViolations& violations) {
  std::vector<std::string> fields;
  for (const FieldViolation& violation : violations) fields.push_back(violation.field);
  return fields;
}

FieldViolations Validate(const Referral& referral) { return ValidateReferral(referral, kToday); }

TEST(ReferralValidator, AcceptsValidReferralOfEveryKind) {
  for (ReferralKind kind : kAllKinds) {
    SCOPED_TRACE(v1::ReferralKind_Name(kind));
    EXPECT_THAT(Validate(ValidReferral(kind)), IsEmpty());
  }
}

TEST(ReferralValidator, AcceptsMinimalReferralWhenOptionalFieldsAreEmpty) {
  Referral referral;
  referral.set_kind(v1::COMMUNITY_EQUIPMENT);
  referral.mutable_adult()->set_family_name("Examplewood");
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 1AA");
  referral.mutable_referrer()->set_organisation("Nonesuch Home Care Ltd");
  referral.mutable_referrer()->set_email("duty@example.org");
  referral.set_concern("x");
  referral.set_consent(v1::CONSENT_NOT_OBTAINED_RISK);
  referral.set_channel(v1::CHANNEL_API);
  referral.set_request_id("r");

  EXPECT_THAT(Validate(referral), IsEmpty());
}

struct MalformedCase {
  std::string name;
  ReferralKind kind;
  std::function<void(Referral&)> mutate;
  std::vector<std::string> fields;  // expected violations, in order
};

std::vector<MalformedCase> MalformedCases() {
  const std::string long_short_text(201, 'x');
  return {
      // kind
      {"kind unset",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_kind(v1::REFERRAL_KIND_UNSPECIFIED); },
       {"referral.kind"}},
      {"kind unknown number",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_kind(static_cast<ReferralKind>(99)); },
       {"referral.kind"}},
      {"unknown kind imposes no kind-specific requirement",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) {
         r.set_kind(static_cast<ReferralKind>(99));
         r.mutable_adult()->clear_home_address();
       },
       {"referral.kind"}},

      // adult
      {"adult missing",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.clear_adult(); },
       {"referral.adult"}},
      {"adult names both blank",
       v1::SENSORY_SUPPORT,
       [](Referral& r) {
         r.mutable_adult()->set_given_name("  ");
         r.mutable_adult()->clear_family_name();
       },
       {"referral.adult"}},
      {"family name alone is enough",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->clear_given_name(); },
       {}},
      {"given name too long",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->set_given_name(std::string(201, 'a')); },
       {"referral.adult.given_name"}},
      {"family name with a line break",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->set_family_name("Example\nwood"); },
       {"referral.adult.family_name"}},
      {"family name with a C1 control",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->set_family_name("Example\xC2\x85wood"); },
       {"referral.adult.family_name"}},
      {"date of birth month 13",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->mutable_date_of_birth()->set_month(13); },
       {"referral.adult.date_of_birth"}},
      {"date of birth day 0",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->mutable_date_of_birth()->set_day(0); },
       {"referral.adult.date_of_birth"}},
      {"date of birth April 31",
       v1::SENSORY_SUPPORT,
       [](Referral& r) {
         r.mutable_adult()->mutable_date_of_birth()->set_month(4);
         r.mutable_adult()->mutable_date_of_birth()->set_day(31);
       },
       {"referral.adult.date_of_birth"}},
      {"date of birth year only",
       v1::SENSORY_SUPPORT,
       [](Referral& r) {
         v1::CalendarDate* dob = r.mutable_adult()->mutable_date_of_birth();
         dob->set_month(0);
         dob->set_day(0);
       },
       {"referral.adult.date_of_birth"}},
      {"date of birth sent empty counts as not given",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->mutable_date_of_birth()->Clear(); },
       {}},
      {"date of birth more than 130 years ago",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->mutable_date_of_birth()->set_year(1890); },
       {"referral.adult.date_of_birth"}},

      // home address, per kind
      {"home postcode missing for community equipment",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.mutable_adult()->mutable_home_address()->clear_postcode(); },
       {"referral.adult.home_address.postcode"}},
      {"home address missing for sensory support",
       v1::SENSORY_SUPPORT,
       [](Referral& r) { r.mutable_adult()->clear_home_address(); },
       {"referral.adult.home_address.postcode"}},
      {"home postcode blank for care technology",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_adult()->mutable_home_address()->set_postcode("   "); },
       {"referral.adult.home_address.postcode"}},
      {"home postcode missing for safeguarding without place of harm",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) {
         r.clear_harm_location();
         r.mutable_adult()->mutable_home_address()->clear_postcode();
       },
       {"referral.adult.home_address.postcode"}},
      {"home postcode missing for safeguarding with place of harm unknown",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) {
         r.mutable_harm_location()->clear_address();
         r.mutable_harm_location()->set_unknown(true);
         r.mutable_adult()->mutable_home_address()->clear_postcode();
       },
       {"referral.adult.home_address.postcode"}},
      {"home postcode optional for safeguarding with known place of harm",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_adult()->clear_home_address(); },
       {}},
      {"home postcode optional for organisational safeguarding",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_adult()->clear_home_address(); },
       {}},
      {"optional home postcode still has to parse",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_adult()->mutable_home_address()->set_postcode("CM1 AA1"); },
       {"referral.adult.home_address.postcode"}},
      {"too many address lines",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) {
         for (int i = 0; i < 4; ++i) r.mutable_adult()->mutable_home_address()->add_lines("x");
       },
       {"referral.adult.home_address.lines"}},
      {"address line too long",
       v1::COMMUNITY_EQUIPMENT,
       [long_short_text](Referral& r) {
         r.mutable_adult()->mutable_home_address()->add_lines(long_short_text);
       },
       {"referral.adult.home_address.lines[1]"}},
      {"town too long",
       v1::COMMUNITY_EQUIPMENT,
       [long_short_text](Referral& r) {
         r.mutable_adult()->mutable_home_address()->set_town(long_short_text);
       },
       {"referral.adult.home_address.town"}},

      // harm location
      {"place of harm unknown but address given",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_harm_location()->set_unknown(true); },
       {"referral.harm_location.address"}},
      {"place of harm known without postcode",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_harm_location()->mutable_address()->clear_postcode(); },
       {"referral.harm_location.address.postcode"}},
      {"place of harm present but empty",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_harm_location()->Clear(); },
       {"referral.harm_location.address.postcode"}},
      {"place of harm postcode malformed on another kind",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.mutable_harm_location()->mutable_address()->set_postcode("C"); },
       {"referral.harm_location.address.postcode"}},
      {"place of harm description too long",
       v1::ADULT_SAFEGUARDING_CONCERN,
       [long_short_text](Referral& r) {
         r.mutable_harm_location()->set_description(long_short_text);
       },
       {"referral.harm_location.description"}},

      // referrer
      {"referrer missing",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.clear_referrer(); },
       {"referral.referrer"}},
      {"referrer without name or organisation",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) {
         r.mutable_referrer()->clear_name();
         r.mutable_referrer()->clear_organisation();
       },
       {"referral.referrer"}},
      {"referrer without phone or email",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) {
         r.mutable_referrer()->clear_phone();
         r.mutable_referrer()->clear_email();
       },
       {"referral.referrer"}},
      {"referrer name too long",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_name(std::string(201, 'n')); },
       {"referral.referrer.name"}},
      {"referrer organisation too long",
       v1::CARE_TECHNOLOGY,
       [long_short_text](Referral& r) { r.mutable_referrer()->set_organisation(long_short_text); },
       {"referral.referrer.organisation"}},
      {"referrer role too long",
       v1::CARE_TECHNOLOGY,
       [long_short_text](Referral& r) { r.mutable_referrer()->set_role(long_short_text); },
       {"referral.referrer.role"}},
      {"phone with letters",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_phone("01632 96O123"); },
       {"referral.referrer.phone"}},
      {"phone with 5 digits",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_phone("(123) 45"); },
       {"referral.referrer.phone"}},
      {"phone with 21 digits",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_phone(std::string(21, '1')); },
       {"referral.referrer.phone"}},
      {"phone alone is enough",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->clear_email(); },
       {}},
      {"email without @",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("duty.example.org"); },
       {"referral.referrer.email"}},
      {"email with two @",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("duty@team@example.org"); },
       {"referral.referrer.email"}},
      {"email with empty local part",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("@example.org"); },
       {"referral.referrer.email"}},
      {"email with undotted domain",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("duty@localhost"); },
       {"referral.referrer.email"}},
      {"email with trailing dot",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("duty@example."); },
       {"referral.referrer.email"}},
      {"email with a space",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email("duty team@example.org"); },
       {"referral.referrer.email"}},
      {"email longer than 254",
       v1::CARE_TECHNOLOGY,
       [](Referral& r) { r.mutable_referrer()->set_email(std::string(243, 'a') + "@example.org"); },
       {"referral.referrer.email"}},

      // service
      {"service missing for organisational safeguarding",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.clear_service(); },
       {"referral.service"}},
      {"service name missing",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->clear_name(); },
       {"referral.service.name"}},
      {"service postcode missing",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->mutable_address()->clear_postcode(); },
       {"referral.service.address.postcode"}},
      {"service optional on other kinds",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.mutable_service()->set_cqc_location_id("1-1"); },
       {}},
      {"cqc id without digits",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->set_cqc_location_id("1-"); },
       {"referral.service.cqc_location_id"}},
      {"cqc id with 13 digits",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->set_cqc_location_id("1-1234567890123"); },
       {"referral.service.cqc_location_id"}},
      {"cqc id with wrong prefix",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->set_cqc_location_id("2-123456"); },
       {"referral.service.cqc_location_id"}},
      {"cqc id with a letter",
       v1::ORGANISATIONAL_SAFEGUARDING_CONCERN,
       [](Referral& r) { r.mutable_service()->set_cqc_location_id("1-12a"); },
       {"referral.service.cqc_location_id"}},
      {"malformed service postcode on another kind",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.mutable_service()->mutable_address()->set_postcode("12345"); },
       {"referral.service.address.postcode"}},

      // concern
      {"concern empty",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.clear_concern(); },
       {"referral.concern"}},
      {"concern only white space",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_concern(" \n\t\r \xC2\xA0"); },
       {"referral.concern"}},
      {"concern with a bell character",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_concern("alarm\x07"); },
       {"referral.concern"}},
      {"concern with DEL",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_concern("text\x7F"); },
       {"referral.concern"}},

      // consent, channel, request id
      {"consent unset",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_consent(v1::CONSENT_UNSPECIFIED); },
       {"referral.consent"}},
      {"consent unknown number",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_consent(static_cast<v1::Consent>(42)); },
       {"referral.consent"}},
      {"channel unset",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_channel(v1::CHANNEL_UNSPECIFIED); },
       {"referral.channel"}},
      {"channel unknown number",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_channel(static_cast<v1::Channel>(7)); },
       {"referral.channel"}},
      {"request id empty",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.clear_request_id(); },
       {"referral.request_id"}},
      {"request id with a space",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_request_id("form 1"); },
       {"referral.request_id"}},
      {"request id with non-ASCII",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_request_id("form-\xC3\xA9"); },
       {"referral.request_id"}},
      {"request id of 129 characters",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_request_id(std::string(129, 'r')); },
       {"referral.request_id"}},
      {"request id of 128 characters",
       v1::COMMUNITY_EQUIPMENT,
       [](Referral& r) { r.set_request_id(std::string(128, 'r')); },
       {}},
  };
}

TEST(ReferralValidator, ReportsExpectedFieldsWhenReferralIsMalformed) {
  for (const MalformedCase& test_case : MalformedCases()) {
    SCOPED_TRACE(test_case.name);
    Referral referral = ValidReferral(test_case.kind);
    test_case.mutate(referral);
    const FieldViolations violations = Validate(referral);
    EXPECT_THAT(Fields(violations), ElementsAreArray(test_case.fields));
    for (const FieldViolation& violation : violations) {
      EXPECT_THAT(violation.description, Not(IsEmpty())) << violation.field;
    }
  }
}

TEST(ReferralValidator, RejectsDateOfBirthWhenInTheFuture) {
  Referral referral = ValidReferral(v1::SENSORY_SUPPORT);
  v1::CalendarDate* dob = referral.mutable_adult()->mutable_date_of_birth();
  dob->set_year(2025);
  dob->set_month(11);
  dob->set_day(15);  // the day after kToday

  EXPECT_THAT(Validate(referral),
              ElementsAre(AllOf(Field(&FieldViolation::field, "referral.adult.date_of_birth"),
                                Field(&FieldViolation::description, HasSubstr("future")))));
}

TEST(ReferralValidator, AcceptsDateOfBirthWhenToday) {
  Referral referral = ValidReferral(v1::SENSORY_SUPPORT);
  v1::CalendarDate* dob = referral.mutable_adult()->mutable_date_of_birth();
  dob->set_year(2025);
  dob->set_month(11);
  dob->set_day(14);

  EXPECT_THAT(Validate(referral), IsEmpty());
}

TEST(ReferralValidator, AcceptsDateOfBirthWhenExactlyMaxAgeYearsAgo) {
  Referral referral = ValidReferral(v1::SENSORY_SUPPORT);
  v1::CalendarDate* dob = referral.mutable_adult()->mutable_date_of_birth();
  dob->set_year(1895);
  dob->set_month(11);
  dob->set_day(14);
  EXPECT_THAT(Validate(referral), IsEmpty());

  dob->set_day(13);
  EXPECT_THAT(Fields(Validate(referral)), ElementsAre("referral.adult.date_of_birth"));
}

TEST(ReferralValidator, RejectsFebruary29WhenYearIsNotLeap) {
  Referral referral = ValidReferral(v1::CARE_TECHNOLOGY);
  v1::CalendarDate* dob = referral.mutable_adult()->mutable_date_of_birth();
  dob->set_year(1950);
  dob->set_month(2);
  dob->set_day(29);

  EXPECT_THAT(Validate(referral),
              ElementsAre(AllOf(Field(&FieldViolation::field, "referral.adult.date_of_birth"),
                                Field(&FieldViolation::description, HasSubstr("calendar date")))));
}

TEST(ReferralValidator, AcceptsFebruary29WhenYearIsLeap) {
  Referral referral = ValidReferral(v1::CARE_TECHNOLOGY);
  v1::CalendarDate* dob = referral.mutable_adult()->mutable_date_of_birth();
  dob->set_year(1948);
  dob->set_month(2);
  dob->set_day(29);

  EXPECT_THAT(Validate(referral), IsEmpty());
}

TEST(ReferralValidator, CountsConcernLengthInCodePointsNotBytes) {
  const std::string two_byte = "\xC3\xA9";           // é
  const std::string four_byte = "\xF0\x9F\x98\x80";  // an emoji
  Referral referral = ValidReferral(v1::COMMUNITY_EQUIPMENT);

  std::string at_limit;
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&at_limit, two_byte, four_byte);
  referral.set_concern(at_limit);  // 20000 code points, 60000 bytes
  EXPECT_THAT(Validate(referral), IsEmpty());

  referral.set_concern(at_limit + two_byte);  // 20001 code points
  EXPECT_THAT(Validate(referral),
              ElementsAre(AllOf(Field(&FieldViolation::field, "referral.concern"),
                                Field(&FieldViolation::description, HasSubstr("20000")))));
}

TEST(ReferralValidator, RejectsNameWhenNotValidUtf8) {
  const std::string malformed[] = {
      "Test\xFFina",           // a byte that never appears in UTF-8
      "Test\xC3",              // truncated sequence
      "Test\xC0\xAFina",       // overlong encoding of '/'
      "Test\xED\xA0\x80ina",   // UTF-16 surrogate
      "Test\xF4\x90\x80\x80",  // above U+10FFFF
      "Test\x80ina",           // stray continuation byte
  };
  for (const std::string& name : malformed) {
    SCOPED_TRACE(testing::PrintToString(name));
    Referral referral = ValidReferral(v1::SENSORY_SUPPORT);
    referral.mutable_adult()->set_given_name(name);
    EXPECT_THAT(Validate(referral),
                ElementsAre(AllOf(Field(&FieldViolation::field, "referral.adult.given_name"),
                                  Field(&FieldViolation::description, HasSubstr("UTF-8")))));
  }
}

TEST(ReferralValidator, AcceptsNameWhenNonAsciiUtf8) {
  Referral referral = ValidReferral(v1::SENSORY_SUPPORT);
  referral.mutable_adult()->set_given_name("Zo\xC3\xAB");  // Zoë
  referral.mutable_adult()->set_family_name(
      "\xC3\x93 Imaginaire-Nu\xC3\xB1"
      "ez");  // Ó Imaginaire-Nuñez
  EXPECT_THAT(Validate(referral), IsEmpty());
}

TEST(ReferralValidator, UsesParserReasonWhenPostcodeIsMalformed) {
  const std::string bad_postcode = "ZQ9 QQ1";
  Referral referral = ValidReferral(v1::COMMUNITY_EQUIPMENT);
  referral.mutable_adult()->mutable_home_address()->set_postcode(bad_postcode);

  const absl::StatusOr<Postcode> parsed = ParsePostcode(bad_postcode);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(Validate(referral),
              ElementsAre(FieldViolation{"referral.adult.home_address.postcode",
                                         std::string(parsed.status().message())}));
}

TEST(ReferralValidator, NeverEchoesValuesWhenReportingThem) {
  // Distinctive bad values in every free-text and formatted field.
  const std::string bad_postcode = "QX99 ZZZZ";
  const std::string bad_harm_postcode = "Q!7";
  const std::string bad_phone = "call 01632 960999";
  const std::string bad_email = "quillon.nobody@@example";
  const std::string bad_name = std::string("Quillonby") + std::string(200, 'q');
  const std::string bad_cqc = "1-QUILLON";
  const std::string bad_request_id = "quillon request";

  Referral referral = ValidReferral(v1::ORGANISATIONAL_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_family_name(bad_name);
  referral.mutable_adult()->mutable_home_address()->set_postcode(bad_postcode);
  referral.mutable_harm_location()->mutable_address()->set_postcode(bad_harm_postcode);
  referral.mutable_referrer()->set_phone(bad_phone);
  referral.mutable_referrer()->set_email(bad_email);
  referral.mutable_service()->set_cqc_location_id(bad_cqc);
  referral.set_request_id(bad_request_id);

  const FieldViolations violations = Validate(referral);
  ASSERT_EQ(violations.size(), 7U);
  for (const FieldViolation& violation : violations) {
    SCOPED_TRACE(violation.field);
    for (absl::string_view fragment :
         {"QX99", "ZZZZ", "Q!7", "960999", "quillon", "Quillon", "QUILLON"}) {
      EXPECT_THAT(violation.description, Not(HasSubstr(std::string(fragment))));
    }
  }
}

TEST(ReferralValidator, ReportsEveryViolationInProtoFieldOrderWhenThereAreMany) {
  Referral referral = ValidReferral(v1::ADULT_SAFEGUARDING_CONCERN);
  referral.set_kind(v1::REFERRAL_KIND_UNSPECIFIED);
  referral.mutable_adult()->clear_given_name();
  referral.mutable_adult()->clear_family_name();
  referral.mutable_adult()->mutable_date_of_birth()->set_year(2030);
  referral.mutable_harm_location()->set_unknown(true);
  referral.mutable_referrer()->clear_phone();
  referral.mutable_referrer()->clear_email();
  referral.mutable_referrer()->set_role(std::string(201, 'r'));
  referral.clear_concern();
  referral.set_consent(static_cast<v1::Consent>(9));
  referral.set_channel(v1::CHANNEL_UNSPECIFIED);
  referral.clear_request_id();

  EXPECT_THAT(Fields(Validate(referral)),
              ElementsAre("referral.kind", "referral.adult", "referral.adult.date_of_birth",
                          "referral.harm_location.address", "referral.referrer",
                          "referral.referrer.role", "referral.concern", "referral.consent",
                          "referral.channel", "referral.request_id"));
}

TEST(ReferralValidator, ReportsBothPlaceOfHarmProblemsWhenUnknownAddressIsAlsoMalformed) {
  Referral referral = ValidReferral(v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_harm_location()->set_unknown(true);
  referral.mutable_harm_location()->mutable_address()->set_postcode("nope");

  EXPECT_THAT(
      Validate(referral),
      ElementsAre(
          FieldViolation{"referral.harm_location.address", "must be empty when unknown is true"},
          Field(&FieldViolation::field, "referral.harm_location.address.postcode")));
}

TEST(ReferralValidator, PrefixesFieldPathsWhenPrefixGiven) {
  Referral referral = ValidReferral(v1::COMMUNITY_EQUIPMENT);
  referral.clear_request_id();
  referral.mutable_adult()->mutable_home_address()->clear_postcode();

  EXPECT_THAT(Fields(ValidateReferral(referral, kToday, "submission.referral")),
              ElementsAre("submission.referral.adult.home_address.postcode",
                          "submission.referral.request_id"));
  EXPECT_THAT(Fields(ValidateReferral(referral, kToday, "")),
              ElementsAre("adult.home_address.postcode", "request_id"));
}

TEST(ReferralValidator, AppliesLimitsWhenCustomLimitsGiven) {
  ReferralLimits limits;
  limits.max_concern_chars = 5;
  limits.max_name_chars = 3;
  limits.max_address_lines = 0;
  limits.max_request_id_chars = 4;
  Referral referral = ValidReferral(v1::COMMUNITY_EQUIPMENT);
  referral.set_concern("123456");

  EXPECT_THAT(Fields(ValidateReferral(referral, kToday, "referral", limits)),
              ElementsAre("referral.adult.given_name", "referral.adult.family_name",
                          "referral.adult.home_address.lines", "referral.referrer.name",
                          "referral.concern", "referral.request_id"));
}

}  // namespace
}  // namespace referrals
