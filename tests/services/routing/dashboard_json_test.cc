#include "services/routing/dashboard_json.h"

#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  return parsed;
}

QueueOperations Queue(const std::string& queue, const std::string& authority_id,
                      const std::string& authority_name) {
  QueueOperations result;
  result.queue = queue;
  result.team_id = queue;
  result.team_name = "Team " + queue;
  result.authority_id = authority_id;
  result.authority_name = authority_name;
  return result;
}

OperationsSnapshot TwoAuthorities() {
  OperationsSnapshot snapshot;
  snapshot.taken = absl::FromUnixSeconds(1'800'000'000);
  QueueOperations mid = Queue("ecc-mid", "ESSEX", "Essex County Council");
  mid.waiting = 3;
  mid.overdue = 1;
  mid.routed = 5;
  mid.oldest_received = snapshot.taken - absl::Minutes(90);
  QueueOperations manual = Queue("manual-triage", "", "");
  manual.manual_triage = true;
  manual.waiting = 2;
  QueueOperations southend =
      Queue("southend-front-door", "SOUTHEND", "Southend-on-Sea City Council");
  QueueOperations west = Queue("ecc-west", "ESSEX", "Essex County Council");
  west.waiting = 1;
  snapshot.queues = {mid, manual, southend, west};
  snapshot.dead_letters = 4;
  snapshot.counters = {{"outcome:ROUTING_OUTCOME_OUT_OF_AREA", 7}, {"signpost:POLICE", 1}};
  return snapshot;
}

TEST(QueuesJson, GroupsQueuesByAuthorityWithTheUnassignedLast) {
  google::protobuf::Struct json = Parse(QueuesJson(TwoAuthorities()));
  const auto& authorities = json.fields().at("authorities").list_value().values();
  ASSERT_EQ(authorities.size(), 3);
  const auto& essex = authorities[0].struct_value().fields();
  EXPECT_EQ(essex.at("id").string_value(), "ESSEX");
  EXPECT_EQ(essex.at("waiting").number_value(), 4);
  EXPECT_EQ(essex.at("overdue").number_value(), 1);
  EXPECT_EQ(essex.at("queues").list_value().values_size(), 2);
  EXPECT_EQ(authorities[1].struct_value().fields().at("id").string_value(), "SOUTHEND");
  EXPECT_EQ(authorities[2].struct_value().fields().at("id").string_value(), "");
  const auto& mid = essex.at("queues").list_value().values(0).struct_value().fields();
  EXPECT_EQ(mid.at("oldest_age_seconds").number_value(), 5400);
  EXPECT_EQ(mid.at("routed").number_value(), 5);
}

TEST(QueuesJson, CarriesTheRouterTotals) {
  google::protobuf::Struct json = Parse(QueuesJson(TwoAuthorities()));
  EXPECT_EQ(json.fields().at("dead_letters").number_value(), 4);
  EXPECT_EQ(json.fields().at("consumer_lag").number_value(), -1);
  const auto& outcomes = json.fields().at("outcomes").struct_value().fields();
  EXPECT_EQ(outcomes.at("OUT_OF_AREA").number_value(), 7);
  EXPECT_EQ(outcomes.at("TEAM").number_value(), 0);
}

TEST(ReferralJson, LeavesOutContentActorsCommentsAndRuleDetails) {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("R-20261123-2f6c9b81d0aa");
  record.set_status(referrals::v1::REFERRAL_STATUS_REJECTED);
  record.mutable_referral()->set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  record.mutable_referral()->mutable_adult()->set_given_name("Edith");
  record.mutable_referral()->set_concern("bruising to both forearms");
  *record.mutable_received_time() = ToTimestamp(absl::FromUnixSeconds(1'800'000'000));
  referrals::v1::RoutingDecision& decision = *record.mutable_decision();
  decision.set_outcome(referrals::v1::ROUTING_OUTCOME_TEAM);
  decision.set_queue("southend-front-door");
  decision.set_authority_id("SOUTHEND");
  referrals::v1::RuleFired& rule = *decision.add_rules();
  rule.set_rule_id("location.resolved");
  rule.set_detail("SS1 2XX is in Southend-on-Sea");
  referrals::v1::StageEntry& entry = *record.add_history();
  entry.set_stage(referrals::v1::STAGE_LIFECYCLE);
  entry.set_action(referrals::v1::LIFECYCLE_ACTION_REJECT);
  entry.set_actor("Alex Worker");
  entry.set_comment("spoke to her daughter Jane");
  entry.set_summary("reject: ROUTED -> REJECTED (NOT_ELIGIBLE)");
  entry.set_caller_id("southend-duty");

  const std::string json = ReferralJson(record);
  for (const char* personal :
       {"Edith", "bruising", "SS1 2XX", "Alex Worker", "daughter", "Southend-on-Sea"}) {
    EXPECT_THAT(json, Not(HasSubstr(personal)));
  }
  google::protobuf::Struct parsed = Parse(json);
  EXPECT_EQ(parsed.fields().at("status").string_value(), "REJECTED");
  EXPECT_EQ(parsed.fields().at("kind").string_value(), "ADULT_SAFEGUARDING_CONCERN");
  EXPECT_EQ(parsed.fields().at("received").string_value(), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(parsed.fields().at("reasons").list_value().values(0).string_value(),
            "location.resolved");
  const auto& history = parsed.fields().at("history").list_value().values(0).struct_value();
  EXPECT_EQ(history.fields().at("action").string_value(), "REJECT");
  EXPECT_EQ(history.fields().at("summary").string_value(),
            "reject: ROUTED -> REJECTED (NOT_ELIGIBLE)");
  // The authenticated system that acted is shown (not personal data).
  EXPECT_EQ(history.fields().at("caller_id").string_value(), "southend-duty");
}

TEST(JsonString, EscapesQuotesControlCharactersAndAngleBrackets) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01<"), "\"a\\\"b\\\\c\\nd\\u0001\\u003c\"");
}

TEST(IsPlausibleReferralId, AcceptsIdsAndRefusesAnythingElse) {
  EXPECT_TRUE(IsPlausibleReferralId("R-20261123-2f6c9b81d0aa"));
  EXPECT_FALSE(IsPlausibleReferralId(""));
  EXPECT_FALSE(IsPlausibleReferralId("R 1"));
  EXPECT_FALSE(IsPlausibleReferralId("../etc"));
  EXPECT_FALSE(IsPlausibleReferralId(std::string(65, 'a')));
}

}  // namespace
}  // namespace referrals
