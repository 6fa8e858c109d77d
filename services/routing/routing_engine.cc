#include "services/routing/routing_engine.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/pipeline/events.h"

namespace referrals {
namespace {

using referrals::v1::LocationBasis;
using referrals::v1::Referral;
using referrals::v1::RoutingDecision;

// The postcode the referral gives for `basis`, or empty if it gives none.
std::string PostcodeFor(const Referral& referral, int basis) {
  switch (basis) {
    case referrals::v1::LOCATION_BASIS_PLACE_OF_HARM:
      if (!referral.has_harm_location() || referral.harm_location().unknown()) return "";
      return referral.harm_location().address().postcode();
    case referrals::v1::LOCATION_BASIS_RESIDENCE:
      return referral.adult().home_address().postcode();
    case referrals::v1::LOCATION_BASIS_SERVICE:
      return referral.service().address().postcode();
    default:
      return "";
  }
}

std::string BasisName(int basis) {
  switch (basis) {
    case referrals::v1::LOCATION_BASIS_PLACE_OF_HARM:
      return "place of harm";
    case referrals::v1::LOCATION_BASIS_RESIDENCE:
      return "residence";
    case referrals::v1::LOCATION_BASIS_SERVICE:
      return "service address";
    default:
      return "unknown location";
  }
}

void Fire(RoutingDecision* decision, std::string rule_id, std::string detail) {
  auto* fired = decision->add_rules();
  fired->set_rule_id(std::move(rule_id));
  fired->set_detail(std::move(detail));
}

std::string DescribeWhere(const referrals::v1::LocationResolution& location) {
  const std::string level =
      location.level() == referrals::v1::RESOLUTION_LEVEL_UNIT ? "unit" : "sector";
  if (!location.district_name().empty()) {
    return absl::StrCat(location.district_name(), " (", location.district_code(), ", by ", level,
                        ")");
  }
  return absl::StrCat("by ", level);
}

std::string CandidateList(const referrals::v1::LocationResolution& location) {
  std::vector<std::string> parts;
  for (const auto& candidate : location.candidates()) {
    parts.push_back(absl::StrCat(candidate.district_name(), " ", candidate.units()));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

RoutingEngine::RoutingEngine(std::shared_ptr<const RulesCatalog> rules,
                             std::shared_ptr<const LocationResolver> resolver)
    : rules_(std::move(rules)), resolver_(std::move(resolver)) {}

RoutingEngine::RoutingEngine(std::shared_ptr<const RulesConfig> config,
                             std::shared_ptr<const LocationResolver> resolver)
    : RoutingEngine(RulesCatalog::Single(std::move(config)), std::move(resolver)) {}

void RoutingEngine::ToTeam(const referrals::v1::Team& team, RoutingDecision* decision) {
  decision->set_team_id(team.id());
  decision->set_team_name(team.name());
  decision->set_queue(team.queue());
}

RoutingDecision RoutingEngine::Decide(const Referral& referral,
                                      const referrals::v1::TriageResult& triage,
                                      absl::Time received, absl::Time now) const {
  RoutingDecision decision;
  decision.set_priority(triage.priority());
  *decision.mutable_decided_time() = ToTimestamp(now);
  *decision.mutable_received_time() = ToTimestamp(received);
  decision.set_postcode_data_version(resolver_->directory().data_version());
  *decision.mutable_rules() = triage.rules();

  // 0. Which rules: triage's version, so both stages judge by one rule base.
  std::shared_ptr<const RulesConfig> config = rules_->Find(triage.rules_version());
  if (config == nullptr) {
    config = rules_->InForceAt(received);
    Fire(&decision, "rules.version",
         absl::StrCat("triage's rules version \"", triage.rules_version(),
                      "\" is not loaded: using ", config->version(), ", in force at receipt"));
  }
  decision.set_rules_version(config->version());

  // 1. Which location decides: the first basis the referral gives.
  std::string postcode;
  for (int basis : triage.location_bases()) {
    postcode = PostcodeFor(referral, basis);
    if (!postcode.empty()) {
      decision.set_location_basis(static_cast<LocationBasis>(basis));
      break;
    }
    Fire(&decision, "location.basis.missing",
         absl::StrCat(BasisName(basis), " not given or unknown: trying the next location"));
  }

  auto to_manual_triage = [&](std::string rule_id, std::string why) {
    decision.set_outcome(referrals::v1::ROUTING_OUTCOME_MANUAL_TRIAGE);
    ToTeam(config->manual_triage_team(), &decision);
    Fire(&decision, std::move(rule_id), std::move(why));
  };

  if (postcode.empty()) {
    to_manual_triage("route.manual.no_location", "no postcode to route on: a person must place it");
  } else {
    Fire(&decision, "location.basis",
         absl::StrCat(BasisName(decision.location_basis()), " decides the authority"));
    absl::StatusOr<referrals::v1::LocationResolution> resolved =
        resolver_->Resolve(postcode, *config);
    if (!resolved.ok()) {
      to_manual_triage("route.manual.bad_postcode",
                       absl::StrCat("the ", BasisName(decision.location_basis()),
                                    " postcode is malformed: ", resolved.status().message()));
    } else {
      decision.mutable_location()->Swap(&*resolved);  // moved, not copied
      const referrals::v1::LocationResolution* location = &decision.location();
      switch (location->outcome()) {
        case referrals::v1::LOCATION_OUTCOME_IN_AREA: {
          const auto* authority = config->FindAuthority(location->authority_id());
          decision.set_authority_id(authority->id());
          decision.set_authority_name(authority->name());
          Fire(&decision, "location.resolved",
               absl::StrCat(location->postcode(), " is in ", DescribeWhere(*location), ": ",
                            authority->name(),
                            location->locality_id().empty()
                                ? ""
                                : absl::StrCat(", locality ", location->locality_id())));
          const auto* rule =
              config->MatchTeamRule(authority->id(), referral.kind(), location->locality_id());
          const auto* team = rule ? config->FindTeam(rule->team_id()) : nullptr;
          if (team == nullptr) {
            // Validation guarantees coverage; this keeps the outcome total.
            to_manual_triage("route.manual.no_team_rule", "no team rule matches");
            break;
          }
          decision.set_outcome(referrals::v1::ROUTING_OUTCOME_TEAM);
          ToTeam(*team, &decision);
          Fire(&decision, rule->id(),
               absl::StrCat(rule->description().empty() ? "team rule" : rule->description(), ": ",
                            team->name()));
          break;
        }
        case referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA:
          decision.set_outcome(referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA);
          ToTeam(config->out_of_area_team(), &decision);
          *decision.mutable_out_of_area_councils() = location->out_of_area_councils();
          Fire(
              &decision, "route.out_of_area",
              absl::StrCat(location->postcode(), " is outside Essex, Southend and Thurrock",
                           location->district_name().empty()
                               ? ""
                               : absl::StrCat(" (", location->district_name(), ")"),
                           ": refer to ", absl::StrJoin(location->out_of_area_councils(), " or ")));
          break;
        case referrals::v1::LOCATION_OUTCOME_SPLIT:
          to_manual_triage("route.manual.split_sector",
                           absl::StrCat("unit ", location->postcode(),
                                        " not found and its sector crosses a boundary (",
                                        CandidateList(*location), "): not guessed"));
          break;
        default:
          to_manual_triage("route.manual.unknown_postcode",
                           absl::StrCat(location->postcode(), " is not in the postcode data"));
      }
    }
  }

  // 2. Other authorities to tell: where the adult lives, when the place of
  // harm decided and the home is clearly elsewhere (issue 4 §3; an
  // organisational concern is about a provider, not one adult's home).
  // Also when the harm happened out of area: the home authority still has a
  // duty to the adult (DOMAIN.md, out-of-area convention).
  const bool routed = decision.outcome() == referrals::v1::ROUTING_OUTCOME_TEAM ||
                      decision.outcome() == referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA;
  if (routed && decision.location_basis() == referrals::v1::LOCATION_BASIS_PLACE_OF_HARM) {
    const std::string home = PostcodeFor(referral, referrals::v1::LOCATION_BASIS_RESIDENCE);
    absl::StatusOr<referrals::v1::LocationResolution> lives =
        home.empty() ? absl::StatusOr<referrals::v1::LocationResolution>(
                           absl::NotFoundError("no home postcode"))
                     : resolver_->Resolve(home, *config);
    if (lives.ok() && lives->outcome() == referrals::v1::LOCATION_OUTCOME_IN_AREA &&
        lives->authority_id() != decision.authority_id()) {
      const referrals::v1::Authority* other = config->FindAuthority(lives->authority_id());
      referrals::v1::AuthorityToInform* inform = decision.add_to_be_informed();
      inform->set_authority_id(other->id());
      inform->set_authority_name(other->name());
      inform->set_contact(other->safeguarding_contact());
      inform->set_reason(absl::StrCat("the adult lives in ", DescribeWhere(*lives), ", ",
                                      other->name(), "'s area; the ",
                                      BasisName(decision.location_basis()), " decides"));
      Fire(&decision, "inform.residence_authority",
           absl::StrCat(other->name(), " is to be informed: ", inform->reason()));
    } else if (lives.ok() && lives->outcome() == referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA &&
               decision.outcome() == referrals::v1::ROUTING_OUTCOME_TEAM) {
      for (const std::string& council : lives->out_of_area_councils()) {
        referrals::v1::AuthorityToInform* inform = decision.add_to_be_informed();
        inform->set_authority_name(council);
        inform->set_reason(absl::StrCat("the adult lives out of area, in ", DescribeWhere(*lives)));
        Fire(&decision, "inform.residence_out_of_area",
             absl::StrCat(council, " is to be informed: ", inform->reason()));
      }
    }
  }

  // 3. Office hours of the deciding authority at the time of receipt.
  if (const referrals::v1::Authority* authority = config->FindAuthority(decision.authority_id())) {
    const OfficeHoursCheck hours = config->OfficeHoursOf(authority->id())->Check(received);
    decision.set_out_of_hours(hours.out_of_hours);
    if (!hours.out_of_hours) {
      Fire(&decision, "time.office_hours", absl::StrCat("received ", hours.why));
    } else {
      Fire(&decision, "time.out_of_hours", absl::StrCat("received out of hours: ", hours.why));
      if (decision.priority() >= referrals::v1::PRIORITY_URGENT) {
        decision.set_out_of_hours_contact(authority->out_of_hours_contact());
        Fire(&decision, "route.out_of_hours_duty",
             absl::StrCat("urgent and out of hours: also call ", authority->name(),
                          "'s out-of-hours duty service on ", authority->out_of_hours_contact()));
      }
    }
  }

  // 4. When the team should have accepted it by.
  if (std::optional<absl::Duration> target = config->ResponseTarget(decision.priority())) {
    *decision.mutable_respond_by() = ToTimestamp(received + *target);
  }

  // 5. Signposts carry the deciding authority's own contacts where it has them.
  for (const referrals::v1::Signpost& raised : triage.signposts()) {
    referrals::v1::Signpost* signpost = decision.add_signposts();
    *signpost = raised;
    for (const auto& rule : config->proto().signposts()) {
      if (rule.id() != raised.id()) continue;
      auto contact = rule.contact_by_authority().find(decision.authority_id());
      if (contact != rule.contact_by_authority().end()) signpost->set_contact(contact->second);
    }
  }
  return decision;
}

}  // namespace referrals
