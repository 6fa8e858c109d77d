#include "services/routing/referral_outcome.h"

namespace referrals {

using referrals::v1::OutcomeStep;

referrals::v1::ReferralOutcome BuildReferralOutcome(const referrals::v1::ReferralRecord& record,
                                                    const QueueNamer& namer) {
  referrals::v1::ReferralOutcome outcome;
  outcome.set_referral_id(record.referral_id());
  outcome.set_status(record.status());
  if (record.has_received_time()) *outcome.mutable_received_time() = record.received_time();

  OutcomeStep* received = outcome.add_steps();
  received->set_kind(OutcomeStep::KIND_RECEIVED);
  *received->mutable_time() = record.received_time();

  const referrals::v1::RoutingDecision& decision = record.decision();
  std::string team_name;
  std::string authority_name;
  if (record.has_decision()) {
    outcome.set_routing_outcome(decision.outcome());
    if (decision.outcome() != referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA) {
      team_name = decision.team_name();
      authority_name = decision.authority_name();
    }
    *outcome.mutable_signposts() = decision.signposts();
    *outcome.mutable_out_of_area_councils() = decision.out_of_area_councils();
  } else if (record.has_triage()) {
    *outcome.mutable_signposts() = record.triage().signposts();
  }

  for (const referrals::v1::StageEntry& step : record.history()) {
    if (step.stage() == referrals::v1::STAGE_ROUTING) {
      OutcomeStep* routed = outcome.add_steps();
      routed->set_kind(OutcomeStep::KIND_ROUTED);
      *routed->mutable_time() = step.time();
      routed->set_team_name(decision.team_name());
      routed->set_authority_name(decision.authority_name());
      continue;
    }
    if (step.stage() != referrals::v1::STAGE_LIFECYCLE) continue;
    OutcomeStep* out = outcome.add_steps();
    *out->mutable_time() = step.time();
    switch (step.action()) {
      case referrals::v1::LIFECYCLE_ACTION_REDIRECT: {
        const QueueTeamNames to = namer(step.to_queue());
        out->set_kind(OutcomeStep::KIND_REDIRECTED);
        out->set_from_team_name(namer(step.from_queue()).team_name);
        out->set_team_name(to.team_name);
        out->set_authority_name(to.authority_name);
        team_name = to.team_name;
        authority_name = to.authority_name;
        break;
      }
      case referrals::v1::LIFECYCLE_ACTION_ACCEPT:
        out->set_kind(OutcomeStep::KIND_ACCEPTED);
        break;
      case referrals::v1::LIFECYCLE_ACTION_REJECT:
        out->set_kind(OutcomeStep::KIND_REJECTED);
        out->set_reject_reason(step.reject_reason());
        outcome.set_reject_reason(step.reject_reason());
        break;
      case referrals::v1::LIFECYCLE_ACTION_COMPLETE:
        out->set_kind(OutcomeStep::KIND_COMPLETED);
        break;
      case referrals::v1::LIFECYCLE_ACTION_CANCEL:
        out->set_kind(OutcomeStep::KIND_CANCELLED);
        break;
      default:
        outcome.mutable_steps()->RemoveLast();
        continue;
    }
    if (out->kind() != OutcomeStep::KIND_REDIRECTED) {
      out->set_team_name(team_name);
      out->set_authority_name(authority_name);
    }
  }
  outcome.set_team_name(team_name);
  outcome.set_authority_name(authority_name);
  return outcome;
}

}  // namespace referrals
