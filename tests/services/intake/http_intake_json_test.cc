#include "services/intake/http_intake_json.h"

#include <string>

#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

const google::protobuf::Value& Field(const google::protobuf::Struct& object,
                                     const std::string& name) {
  static const google::protobuf::Value* missing = new google::protobuf::Value();
  auto found = object.fields().find(name);
  EXPECT_NE(found, object.fields().end()) << name;
  return found == object.fields().end() ? *missing : found->second;
}

TEST(HttpIntakeJson, JsonContentTypeAllowsCaseAndParameters) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType(" application/json ;charset=UTF-8"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/json-patch+json"));
  EXPECT_FALSE(IsJsonContentType("application/x-www-form-urlencoded"));
}

TEST(HttpIntakeJson, HeadersDefaultToAnonymousAndRequireTheKey) {
  const std::string key = "portal-form-123";
  SubmitHeaders ok = CheckSubmitHeaders(nullptr, &key);
  EXPECT_EQ(ok.client_id, "anonymous");
  EXPECT_EQ(ok.idempotency_key, key);
  EXPECT_TRUE(ok.violations.empty());

  SubmitHeaders missing = CheckSubmitHeaders(nullptr, nullptr);
  ASSERT_EQ(missing.violations.size(), 1u);
  EXPECT_EQ(missing.violations[0].field, "Idempotency-Key");
}

TEST(HttpIntakeJson, EveryBadHeaderIsReportedWithoutItsValue) {
  const std::string client = "zebra crossing";
  const std::string key = "quokka key";
  SubmitHeaders bad = CheckSubmitHeaders(&client, &key);
  ASSERT_EQ(bad.violations.size(), 2u);
  EXPECT_EQ(bad.violations[0].field, "X-Client-Id");
  EXPECT_EQ(bad.violations[1].field, "Idempotency-Key");
  EXPECT_EQ(bad.client_id, "anonymous");
  EXPECT_EQ(bad.idempotency_key, "");
  for (const FieldViolation& violation : bad.violations) {
    EXPECT_THAT(violation.description, Not(HasSubstr("zebra")));
    EXPECT_THAT(violation.description, Not(HasSubstr("quokka")));
  }
  const std::string too_long(129, 'k');
  EXPECT_EQ(CheckSubmitHeaders(nullptr, &too_long).violations.size(), 1u);
}

TEST(HttpIntakeJson, BadRequestBodyListsEveryViolationAsGoogleRpcBadRequest) {
  const std::string json = BadRequestJson(
      {{"adult", "is required"}, {"harm_location.address.postcode", "is not a UK postcode"}});
  google::protobuf::Struct body = Parse(json);
  const google::protobuf::Struct& error = Field(body, "error").struct_value();
  EXPECT_EQ(Field(error, "code").number_value(), 400);
  EXPECT_EQ(Field(error, "status").string_value(), "INVALID_ARGUMENT");
  EXPECT_THAT(Field(error, "message").string_value(), HasSubstr("harm_location.address.postcode"));
  const auto& details = Field(error, "details").list_value();
  ASSERT_EQ(details.values_size(), 1);
  const google::protobuf::Struct& detail = details.values(0).struct_value();
  EXPECT_EQ(Field(detail, "@type").string_value(), "type.googleapis.com/google.rpc.BadRequest");
  std::vector<std::string> fields;
  for (const auto& violation : Field(detail, "field_violations").list_value().values()) {
    fields.push_back(Field(violation.struct_value(), "field").string_value() + ": " +
                     Field(violation.struct_value(), "description").string_value());
  }
  EXPECT_THAT(fields, ElementsAre("adult: is required",
                                  "harm_location.address.postcode: is not a UK postcode"));
}

TEST(HttpIntakeJson, ErrorBodyEscapesItsMessage) {
  google::protobuf::Struct body = Parse(ErrorJson(503, "UNAVAILABLE", "say \"retry\"\n"));
  const google::protobuf::Struct& error = Field(body, "error").struct_value();
  EXPECT_EQ(Field(error, "code").number_value(), 503);
  EXPECT_EQ(Field(error, "message").string_value(), "say \"retry\"\n");
  EXPECT_EQ(Field(Parse(LibraryErrorJson(413)), "error")
                .struct_value()
                .fields()
                .at("code")
                .number_value(),
            413);
}

TEST(HttpIntakeJson, SubmitResultCarriesIdsStatusSignpostsAndLink) {
  SubmitResult result;
  result.outcome.referral_id = "R-20261123-0123456789ab";
  result.outcome.status = referrals::v1::REFERRAL_STATUS_RECEIVED;
  result.outcome.received_time = absl::FromUnixSeconds(1795420800);  // 2026-11-23T08:00:00Z
  result.outcome.correlation_id = "C-1";
  referrals::v1::Signpost* signpost = result.signposts.Add();
  signpost->set_id("POLICE");
  signpost->set_name("Essex Police");
  google::protobuf::Struct body = Parse(SubmitResultJson(result));
  EXPECT_EQ(Field(body, "referral_id").string_value(), "R-20261123-0123456789ab");
  EXPECT_EQ(Field(body, "status").string_value(), "REFERRAL_STATUS_RECEIVED");
  EXPECT_EQ(Field(body, "received_time").string_value(), "2026-11-23T08:00:00Z");
  EXPECT_EQ(Field(body, "correlation_id").string_value(), "C-1");
  EXPECT_FALSE(Field(body, "duplicate").bool_value());
  EXPECT_EQ(
      Field(Field(body, "signposts").list_value().values(0).struct_value(), "id").string_value(),
      "POLICE");
  EXPECT_EQ(Field(Field(body, "links").struct_value(), "status").string_value(),
            "/v1/referrals/R-20261123-0123456789ab");
}

TEST(HttpIntakeJson, StatusViewLeavesOutPersonalDataAndHistory) {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("R-20261123-0123456789ab");
  record.set_status(referrals::v1::REFERRAL_STATUS_ROUTED);
  record.set_correlation_id("C-2");
  *record.mutable_received_time() = ToTimestamp(absl::FromUnixSeconds(1795420800));
  record.mutable_referral()->mutable_adult()->set_given_name("Edith");
  record.mutable_referral()->mutable_adult()->mutable_home_address()->set_postcode("SS14 1XX");
  record.mutable_referral()->set_concern("Synthetic concern text");
  record.add_history()->set_summary("internal history");
  record.mutable_decision()->set_outcome(referrals::v1::ROUTING_OUTCOME_TEAM);
  record.mutable_decision()->set_authority_name("Essex County Council");
  record.mutable_decision()->set_team_name("Safeguarding South");
  record.mutable_decision()->set_queue("ecc-south");
  const std::string json = ReferralStatusJson(record);
  for (const char* hidden :
       {"Edith", "SS14", "Synthetic concern", "internal history", "ecc-south"}) {
    EXPECT_THAT(json, Not(HasSubstr(hidden)));
  }
  google::protobuf::Struct body = Parse(json);
  EXPECT_EQ(Field(body, "status").string_value(), "REFERRAL_STATUS_ROUTED");
  const google::protobuf::Struct& routed = Field(body, "routed_to").struct_value();
  EXPECT_EQ(Field(routed, "authority_name").string_value(), "Essex County Council");
  EXPECT_EQ(Field(routed, "team_name").string_value(), "Safeguarding South");
  EXPECT_EQ(Field(Field(body, "links").struct_value(), "self").string_value(),
            "/v1/referrals/R-20261123-0123456789ab");
}

TEST(HttpIntakeJson, StatusViewListsTeamActionsWithoutActorsOrComments) {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("R-20261123-0123456789ab");
  record.set_status(referrals::v1::REFERRAL_STATUS_REJECTED);
  record.add_history()->set_stage(referrals::v1::STAGE_ROUTING);
  referrals::v1::StageEntry* redirect = record.add_history();
  redirect->set_stage(referrals::v1::STAGE_LIFECYCLE);
  redirect->set_action(referrals::v1::LIFECYCLE_ACTION_REDIRECT);
  redirect->set_status(referrals::v1::REFERRAL_STATUS_ROUTED);
  redirect->set_actor("Synthetic Worker");
  redirect->set_comment("Synthetic redirect reason naming Edith");
  redirect->set_to_queue("thurrock-first");
  referrals::v1::StageEntry* reject = record.add_history();
  reject->set_stage(referrals::v1::STAGE_LIFECYCLE);
  reject->set_action(referrals::v1::LIFECYCLE_ACTION_REJECT);
  reject->set_status(referrals::v1::REFERRAL_STATUS_REJECTED);
  reject->set_reject_reason(referrals::v1::REJECT_REASON_NOT_SAFEGUARDING_ADVICE_GIVEN);
  reject->set_comment("Synthetic comment");
  const std::string json = ReferralStatusJson(record);
  for (const char* hidden : {"Synthetic", "Edith", "thurrock-first"}) {
    EXPECT_THAT(json, Not(HasSubstr(hidden)));
  }
  google::protobuf::Struct body = Parse(json);
  const google::protobuf::ListValue& actions = Field(body, "team_actions").list_value();
  ASSERT_EQ(actions.values_size(), 2);
  EXPECT_EQ(Field(actions.values(0).struct_value(), "action").string_value(),
            "LIFECYCLE_ACTION_REDIRECT");
  EXPECT_EQ(Field(actions.values(1).struct_value(), "action").string_value(),
            "LIFECYCLE_ACTION_REJECT");
  EXPECT_EQ(Field(actions.values(1).struct_value(), "reject_reason").string_value(),
            "REJECT_REASON_NOT_SAFEGUARDING_ADVICE_GIVEN");
}

TEST(HttpIntakeJson, StatusViewBeforeRoutingHasNoRoutedTo) {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("R-20261123-0123456789ab");
  record.set_status(referrals::v1::REFERRAL_STATUS_RECEIVED);
  google::protobuf::Struct body = Parse(ReferralStatusJson(record));
  EXPECT_EQ(body.fields().count("routed_to"), 0u);
}

}  // namespace
}  // namespace referrals
