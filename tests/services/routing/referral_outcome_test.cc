#include "services/routing/referral_outcome.h"

#include <string>

#include "absl/time/time.h"
#include "common/pipeline/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace referrals {
namespace {

using referrals::v1::OutcomeStep;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kComment[] = "Spoke to Synthetic Person's daughter";
constexpr char kActor[] = "worker.synthetic@example.org";

QueueTeamNames Namer(absl::string_view queue) {
  if (queue == "ecc-north-east")
    return {"North East Essex Adult Social Care", "Essex County Council"};
  if (queue == "southend-asc")
    return {"Southend Adult Social Care", "Southend-on-Sea City Council"};
  return {std::string(queue), ""};
}

referrals::v1::StageEntry Step(referrals::v1::Stage stage, int minute) {
  referrals::v1::StageEntry step;
  step.set_stage(stage);
  *step.mutable_time() = ToTimestamp(absl::FromUnixSeconds(1700000000 + 60 * minute));
  step.set_summary("internal summary");
  step.set_worker("routing-host-1");
  return step;
}

referrals::v1::StageEntry Lifecycle(referrals::v1::LifecycleAction action, int minute) {
  referrals::v1::StageEntry step = Step(referrals::v1::STAGE_LIFECYCLE, minute);
  step.set_action(action);
  step.set_actor(kActor);
  step.set_comment(kComment);
  return step;
}

// A referral routed to North East Essex, with a police signpost.
referrals::v1::ReferralRecord RoutedRecord() {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("ref-1");
  record.set_status(referrals::v1::REFERRAL_STATUS_ROUTED);
  record.mutable_referral()->mutable_adult()->set_given_name("Synthetic");
  record.mutable_referral()->set_concern("Synthetic concern text");
  *record.mutable_received_time() = ToTimestamp(absl::FromUnixSeconds(1700000000));
  referrals::v1::RoutingDecision* decision = record.mutable_decision();
  decision->set_outcome(referrals::v1::ROUTING_OUTCOME_TEAM);
  decision->set_team_name("North East Essex Adult Social Care");
  decision->set_authority_name("Essex County Council");
  decision->set_queue("ecc-north-east");
  referrals::v1::Signpost* police = decision->add_signposts();
  police->set_id("POLICE");
  police->set_name("Report the crime to Essex Police");
  police->set_contact("101");
  *record.add_history() = Step(referrals::v1::STAGE_INTAKE, 0);
  *record.add_history() = Step(referrals::v1::STAGE_TRIAGE, 0);
  *record.add_history() = Step(referrals::v1::STAGE_ROUTING, 1);
  return record;
}

std::vector<OutcomeStep::Kind> Kinds(const referrals::v1::ReferralOutcome& outcome) {
  std::vector<OutcomeStep::Kind> kinds;
  for (const OutcomeStep& step : outcome.steps()) kinds.push_back(step.kind());
  return kinds;
}

TEST(BuildReferralOutcome, RoutedReferralNamesTheTeamAndEverySignpost) {
  referrals::v1::ReferralOutcome outcome = BuildReferralOutcome(RoutedRecord(), Namer);
  EXPECT_EQ(outcome.referral_id(), "ref-1");
  EXPECT_EQ(outcome.status(), referrals::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_EQ(outcome.routing_outcome(), referrals::v1::ROUTING_OUTCOME_TEAM);
  EXPECT_EQ(outcome.team_name(), "North East Essex Adult Social Care");
  EXPECT_EQ(outcome.authority_name(), "Essex County Council");
  EXPECT_THAT(Kinds(outcome), ElementsAre(OutcomeStep::KIND_RECEIVED, OutcomeStep::KIND_ROUTED));
  ASSERT_EQ(outcome.signposts_size(), 1);
  EXPECT_EQ(outcome.signposts(0).contact(), "101");
}

TEST(BuildReferralOutcome, RedirectMovesTheCurrentTeamAndShowsBoth) {
  referrals::v1::ReferralRecord record = RoutedRecord();
  referrals::v1::StageEntry redirect = Lifecycle(referrals::v1::LIFECYCLE_ACTION_REDIRECT, 5);
  redirect.set_from_queue("ecc-north-east");
  redirect.set_to_queue("southend-asc");
  *record.add_history() = redirect;
  *record.add_history() = Lifecycle(referrals::v1::LIFECYCLE_ACTION_ACCEPT, 9);
  record.set_status(referrals::v1::REFERRAL_STATUS_ACCEPTED);

  referrals::v1::ReferralOutcome outcome = BuildReferralOutcome(record, Namer);
  EXPECT_THAT(Kinds(outcome),
              ElementsAre(OutcomeStep::KIND_RECEIVED, OutcomeStep::KIND_ROUTED,
                          OutcomeStep::KIND_REDIRECTED, OutcomeStep::KIND_ACCEPTED));
  EXPECT_EQ(outcome.steps(2).from_team_name(), "North East Essex Adult Social Care");
  EXPECT_EQ(outcome.steps(2).team_name(), "Southend Adult Social Care");
  EXPECT_EQ(outcome.steps(3).team_name(), "Southend Adult Social Care");
  EXPECT_EQ(outcome.team_name(), "Southend Adult Social Care");
  EXPECT_EQ(outcome.authority_name(), "Southend-on-Sea City Council");
}

TEST(BuildReferralOutcome, RejectionGivesTheCodeButNotTheCommentOrActor) {
  referrals::v1::ReferralRecord record = RoutedRecord();
  referrals::v1::StageEntry reject = Lifecycle(referrals::v1::LIFECYCLE_ACTION_REJECT, 5);
  reject.set_reject_reason(referrals::v1::REJECT_REASON_NOT_ELIGIBLE);
  *record.add_history() = reject;
  record.set_status(referrals::v1::REFERRAL_STATUS_REJECTED);

  referrals::v1::ReferralOutcome outcome = BuildReferralOutcome(record, Namer);
  EXPECT_EQ(outcome.reject_reason(), referrals::v1::REJECT_REASON_NOT_ELIGIBLE);
  EXPECT_EQ(outcome.steps().rbegin()->kind(), OutcomeStep::KIND_REJECTED);
  EXPECT_EQ(outcome.steps().rbegin()->reject_reason(), referrals::v1::REJECT_REASON_NOT_ELIGIBLE);
  const std::string text = outcome.DebugString();
  EXPECT_THAT(text, Not(HasSubstr(kComment)));
  EXPECT_THAT(text, Not(HasSubstr(kActor)));
  EXPECT_THAT(text, Not(HasSubstr("Synthetic")));
  EXPECT_THAT(text, Not(HasSubstr("internal summary")));
}

TEST(BuildReferralOutcome, CompletedAndCancelledAreSteps) {
  referrals::v1::ReferralRecord record = RoutedRecord();
  *record.add_history() = Lifecycle(referrals::v1::LIFECYCLE_ACTION_ACCEPT, 2);
  *record.add_history() = Lifecycle(referrals::v1::LIFECYCLE_ACTION_COMPLETE, 3);
  EXPECT_EQ(BuildReferralOutcome(record, Namer).steps().rbegin()->kind(),
            OutcomeStep::KIND_COMPLETED);
  record = RoutedRecord();
  *record.add_history() = Lifecycle(referrals::v1::LIFECYCLE_ACTION_CANCEL, 2);
  EXPECT_EQ(BuildReferralOutcome(record, Namer).steps().rbegin()->kind(),
            OutcomeStep::KIND_CANCELLED);
}

TEST(BuildReferralOutcome, OutOfAreaNamesNoTeamButTheCouncilsToContact) {
  referrals::v1::ReferralRecord record = RoutedRecord();
  record.set_status(referrals::v1::REFERRAL_STATUS_OUT_OF_AREA);
  record.mutable_decision()->set_outcome(referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA);
  record.mutable_decision()->set_team_name("Out of area");
  record.mutable_decision()->add_out_of_area_councils("Cambridgeshire County Council");
  referrals::v1::ReferralOutcome outcome = BuildReferralOutcome(record, Namer);
  EXPECT_EQ(outcome.team_name(), "");
  EXPECT_THAT(outcome.out_of_area_councils(), ElementsAre("Cambridgeshire County Council"));
}

TEST(BuildReferralOutcome, BeforeRoutingGivesTriageSignposts) {
  referrals::v1::ReferralRecord record;
  record.set_referral_id("ref-2");
  record.set_status(referrals::v1::REFERRAL_STATUS_TRIAGED);
  record.mutable_triage()->add_signposts()->set_id("EMERGENCY_SERVICES");
  referrals::v1::ReferralOutcome outcome = BuildReferralOutcome(record, Namer);
  EXPECT_EQ(outcome.routing_outcome(), referrals::v1::ROUTING_OUTCOME_UNSPECIFIED);
  ASSERT_EQ(outcome.signposts_size(), 1);
  EXPECT_EQ(outcome.signposts(0).id(), "EMERGENCY_SERVICES");
  EXPECT_THAT(Kinds(outcome), ElementsAre(OutcomeStep::KIND_RECEIVED));
}

}  // namespace
}  // namespace referrals
