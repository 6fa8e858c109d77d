// Bad input through the real intake process: a table of malformed
// SubmitReferral requests, each answered with the documented status code and
// a message naming the field (README, "Validation rules and limits"), none
// echoing a value, and none reaching Redis. Invalid UTF-8 is not in the
// table: the protobuf runtime refuses to serialize it into a proto3 string,
// so no conforming client can send it; the validator's own check is unit
// tested and fuzzed.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/service/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "tests/support/redis_test_env.h"
#include "tests/support/service_process.h"

namespace referrals {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using referrals::testing::ServiceProcess;
using referrals::v1::Referral;

Referral Valid(const std::string& request_id) {
  Referral referral;
  referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.mutable_adult()->set_family_name("Person");
  referral.mutable_adult()->mutable_home_address()->set_postcode("CM1 1AB");
  referral.mutable_harm_location()->mutable_address()->set_postcode("SS1 2AB");
  referral.mutable_referrer()->set_organisation("Example Care Ltd");
  referral.mutable_referrer()->set_phone("01245 000000");
  referral.set_concern("Synthetic test concern.");
  referral.set_consent(referrals::v1::CONSENT_GIVEN);
  referral.set_channel(referrals::v1::CHANNEL_PORTAL);
  referral.set_request_id(request_id);
  return referral;
}

struct BadInput {
  std::string name;
  std::function<void(Referral&)> spoil;
  std::string field;  // the field violation expected
  std::string value;  // a value that must not be echoed ("" = none to check)
};

std::vector<BadInput> Cases() {
  using R = Referral;
  auto postcode = [](std::string bad) {
    return [bad](R& r) { r.mutable_harm_location()->mutable_address()->set_postcode(bad); };
  };
  const std::string harm_postcode = "referral.harm_location.address.postcode";
  return {
      {"EmptyReferral", [](R& r) { r.Clear(); }, "referral.kind", ""},
      {"MissingKind", [](R& r) { r.clear_kind(); }, "referral.kind", ""},
      {"UnknownKindValue", [](R& r) { r.set_kind(static_cast<referrals::v1::ReferralKind>(99)); },
       "referral.kind", ""},
      {"UnknownConsentValue",
       [](R& r) { r.set_consent(static_cast<referrals::v1::Consent>(42)); }, "referral.consent",
       ""},
      {"MissingChannel", [](R& r) { r.clear_channel(); }, "referral.channel", ""},
      {"MissingRequestId", [](R& r) { r.clear_request_id(); }, "referral.request_id", ""},
      {"RequestIdWithSpaces", [](R& r) { r.set_request_id("form 123"); }, "referral.request_id",
       ""},
      {"RequestIdTooLong", [](R& r) { r.set_request_id(std::string(129, 'x')); },
       "referral.request_id", ""},
      {"MissingAdult", [](R& r) { r.clear_adult(); }, "referral.adult", ""},
      {"NamelessAdult",
       [](R& r) {
         r.mutable_adult()->clear_given_name();
         r.mutable_adult()->clear_family_name();
       },
       "referral.adult", ""},
      {"GivenNameTooLong",
       [](R& r) { r.mutable_adult()->set_given_name(std::string(201, 'A')); },
       "referral.adult.given_name", ""},
      {"GivenNameControlCharacter",
       [](R& r) { r.mutable_adult()->set_given_name("Syn\x07thetic"); },
       "referral.adult.given_name", ""},
      {"DateOfBirthInTheFuture",
       [](R& r) {
         auto* dob = r.mutable_adult()->mutable_date_of_birth();
         dob->set_year(2999);
         dob->set_month(1);
         dob->set_day(1);
       },
       "referral.adult.date_of_birth", ""},
      {"DateOfBirthNotARealDate",
       [](R& r) {
         auto* dob = r.mutable_adult()->mutable_date_of_birth();
         dob->set_year(1950);
         dob->set_month(2);
         dob->set_day(30);
       },
       "referral.adult.date_of_birth", ""},
      {"DateOfBirthTooLongAgo",
       [](R& r) {
         auto* dob = r.mutable_adult()->mutable_date_of_birth();
         dob->set_year(1850);
         dob->set_month(1);
         dob->set_day(1);
       },
       "referral.adult.date_of_birth", ""},
      {"PostcodeOutwardOnly", postcode("SS9"), harm_postcode, ""},
      {"PostcodeDigitsOnly", postcode("123 456"), harm_postcode, "123 456"},
      {"PostcodeShortInward", postcode("SS9 1A"), harm_postcode, ""},
      {"PostcodeTooLong", postcode("SS99 1AAA"), harm_postcode, "SS99 1AAA"},
      {"PostcodeSymbol", postcode("S$9 1AA"), harm_postcode, "S$9 1AA"},
      {"PostcodeInwardLetterFirst", postcode("SS9 A1A"), harm_postcode, "SS9 A1A"},
      {"PostcodeEmptyAfterSpaces", postcode("   "), harm_postcode, ""},
      {"HomePostcodeMalformed",
       [](R& r) { r.mutable_adult()->mutable_home_address()->set_postcode("CMX1 1AB"); },
       "referral.adult.home_address.postcode", "CMX1 1AB"},
      {"HarmUnknownButAddressGiven", [](R& r) { r.mutable_harm_location()->set_unknown(true); },
       "referral.harm_location.address", ""},
      {"MissingReferrer", [](R& r) { r.clear_referrer(); }, "referral.referrer", ""},
      {"ReferrerPhoneWithLetters",
       [](R& r) { r.mutable_referrer()->set_phone("01245 CALLME"); }, "referral.referrer.phone",
       "01245 CALLME"},
      {"ReferrerEmailMalformed",
       [](R& r) {
         r.mutable_referrer()->clear_phone();
         r.mutable_referrer()->set_email("not-an-address");
       },
       "referral.referrer.email", "not-an-address"},
      {"EmptyConcern", [](R& r) { r.set_concern(" \n\t "); }, "referral.concern", ""},
      {"ConcernTooLong", [](R& r) { r.set_concern(std::string(20001, 'c')); }, "referral.concern",
       ""},
      {"OrganisationalWithoutService",
       [](R& r) {
         r.set_kind(referrals::v1::ORGANISATIONAL_SAFEGUARDING_CONCERN);
         r.clear_service();
       },
       "referral.service", ""},
  };
}

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_options_ = new RedisOptions(testing::RedisOptionsFromEnv());
    prefix_ = new std::string(testing::UniqueKeyPrefix());
    intake_ = new ServiceProcess(
        INTAKE_BINARY,
        {absl::StrCat("--redis=redis://", redis_options_->host, ":", redis_options_->port),
         absl::StrCat("--redis_prefix=", *prefix_)},
        absl::StrCat(::testing::TempDir(), "/intake-bad-input.log"));
    absl::Status started = intake_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(intake_->Stop(), 0);
    delete intake_;
    delete prefix_;
    delete redis_options_;
  }

  grpc::Status Submit(const Referral& referral) {
    auto stub =
        referrals::v1::IntakeService::NewStub(testing::TestChannel(intake_->address()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    referrals::v1::SubmitReferralRequest request;
    *request.mutable_referral() = referral;
    referrals::v1::SubmitReferralResponse response;
    grpc::Status status = stub->SubmitReferral(&context, request, &response);
    if (!status.ok()) {
      EXPECT_TRUE(response.referral_id().empty());
    }
    return status;
  }

  int64_t PrefixKeys() {
    auto connection = RedisConnection::Connect(*redis_options_);
    EXPECT_TRUE(connection.ok());
    if (!connection.ok()) return -1;
    auto keys = (*connection)->Command({"KEYS", *prefix_ + "*"});
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? static_cast<int64_t>(keys->elements.size()) : -1;
  }

  static RedisOptions* redis_options_;
  static std::string* prefix_;
  static ServiceProcess* intake_;
};

RedisOptions* BadInputTest::redis_options_ = nullptr;
std::string* BadInputTest::prefix_ = nullptr;
ServiceProcess* BadInputTest::intake_ = nullptr;

TEST_F(BadInputTest, EachMalformedRequestGetsItsFieldNamedAndNothingIsStored) {
  ASSERT_TRUE(Submit(Valid("bad-input-control")).ok()) << "the unspoiled referral must pass";
  const int64_t keys_after_valid = PrefixKeys();
  int i = 0;
  for (const BadInput& c : Cases()) {
    Referral referral = Valid(absl::StrCat("bad-input-", i++));
    c.spoil(referral);
    grpc::Status status = Submit(referral);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    std::vector<std::string> fields;
    for (const FieldViolation& violation : FieldViolationsOf(status)) {
      fields.push_back(violation.field);
    }
    EXPECT_THAT(fields, Contains(c.field)) << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.field)) << c.name;
    if (!c.value.empty()) {
      EXPECT_THAT(status.error_message(), Not(HasSubstr(c.value))) << c.name;
    }
  }
  EXPECT_GE(i, 30);
  EXPECT_EQ(PrefixKeys(), keys_after_valid);  // no rejected referral reached Redis
}

// Larger than gRPC's 4 MB receive limit: refused before our code sees it.
TEST_F(BadInputTest, OversizedRequestIsRefusedByTheTransport) {
  Referral referral = Valid("bad-input-oversized");
  referral.set_concern(std::string(5 * 1024 * 1024, 'c'));
  grpc::Status status = Submit(referral);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// The same request id with different content is refused, not merged.
TEST_F(BadInputTest, ReusedRequestIdWithOtherContentIsAlreadyExists) {
  Referral first = Valid("bad-input-reused");
  ASSERT_TRUE(Submit(first).ok());
  Referral second = first;
  second.set_concern("A different synthetic concern.");
  EXPECT_EQ(Submit(second).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

}  // namespace
}  // namespace referrals
