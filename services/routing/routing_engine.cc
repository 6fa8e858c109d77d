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

RoutingEngine::RoutingEngine(std::shared_ptr<const RulesConfig> config,
                             std::shared_ptr<const LocationResolver> resolver)
    : config_(std::move(config)), resolver_(std::move(resolver)) {}

void RoutingEngine::ToTeam(const referrals::v1::Team& team, RoutingDecision* decision) const {
  decision->set_team_id(team.id());
  decision->set_team_name(team.name());
  decision->set_queue(team.queue());
}

RoutingDecision RoutingEngine::Decide(const Referral& referral,
                                      const referrals::v1::TriageResult& triage,
                                      absl::Time now) const {
  RoutingDecision decision;
  decision.set_priority(triage.priority());
  decision.set_rules_version(config_->version());
  *decision.mutable_decided_time() = ToTimestamp(now);
  *decision.mutable_rules() = triage.rules();

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
    ToTeam(config_->manual_triage_team(), &decision);
    Fire(&decision, std::move(rule_id), std::move(why));
  };

  if (postcode.empty()) {
    to_manual_triage("route.manual.no_location", "no postcode to route on: a person must place it");
  } else {
    Fire(&decision, "location.basis",
         absl::StrCat(BasisName(decision.location_basis()), " decides the authority"));
    absl::StatusOr<referrals::v1::LocationResolution> location = resolver_->Resolve(postcode);
    if (!location.ok()) {
      to_manual_triage("route.manual.bad_postcode",
                       absl::StrCat("the ", BasisName(decision.location_basis()),
                                    " postcode is malformed: ", location.status().message()));
    } else {
      *decision.mutable_location() = *location;
      switch (location->outcome()) {
        case referrals::v1::LOCATION_OUTCOME_IN_AREA: {
          const auto* authority = config_->FindAuthority(location->authority_id());
          decision.set_authority_id(authority->id());
          decision.set_authority_name(authority->name());
          Fire(&decision, "location.resolved",
               absl::StrCat(location->postcode(), " is in ", DescribeWhere(*location), ": ",
                            authority->name(),
                            location->locality_id().empty()
                                ? ""
                                : absl::StrCat(", locality ", location->locality_id())));
          const auto* rule =
              config_->MatchTeamRule(authority->id(), referral.kind(), location->locality_id());
          const auto* team = rule ? config_->FindTeam(rule->team_id()) : nullptr;
          if (team == nullptr) {
            // Validation guarantees coverage; this keeps the outcome total.
            to_manual_triage("route.manual.no_team_rule", "no team rule matches");
            break;
          }
          decision.set_outcome(referrals::v1::ROUTING_OUTCOME_TEAM);
          ToTeam(*team, &decision);
          Fire(&decision, rule->id(),
               absl::StrCat(rule->description().empty() ? "team rule" : rule->description(),
                            ": ", team->name()));
          break;
        }
        case referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA:
          decision.set_outcome(referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA);
          ToTeam(config_->out_of_area_team(), &decision);
          *decision.mutable_out_of_area_councils() = location->out_of_area_councils();
          Fire(&decision, "route.out_of_area",
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

  // 2. Signposts carry the deciding authority's own contacts where it has them.
  for (const referrals::v1::Signpost& raised : triage.signposts()) {
    referrals::v1::Signpost* signpost = decision.add_signposts();
    *signpost = raised;
    for (const auto& rule : config_->proto().signposts()) {
      if (rule.id() != raised.id()) continue;
      auto contact = rule.contact_by_authority().find(decision.authority_id());
      if (contact != rule.contact_by_authority().end()) signpost->set_contact(contact->second);
    }
  }
  return decision;
}

}  // namespace referrals
