// The routing decision: which location decides, where it is, and which team
// and queue take the referral. Every referral gets exactly one outcome: a
// team of one of the authorities, manual triage (with the reason and the
// candidate councils) or out of area (with the council to contact). Besides
// the outcome a decision records whether the referral arrived out of the
// authority's office hours (with the duty contact for urgent ones), which
// other authorities must be told, when a response is due, and the versions
// of the rules and postcode data it used.
// Pure: no gRPC, no Redis.
#ifndef SERVICES_ROUTING_ROUTING_ENGINE_H_
#define SERVICES_ROUTING_ROUTING_ENGINE_H_

#include <memory>

#include "absl/time/time.h"
#include "common/domain/rules_catalog.h"
#include "common/domain/rules_config.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/referral.pb.h"
#include "services/routing/location_resolver.h"

namespace referrals {

class RoutingEngine {
 public:
  RoutingEngine(std::shared_ptr<const RulesCatalog> rules,
                std::shared_ptr<const LocationResolver> resolver);
  // One rules version only.
  RoutingEngine(std::shared_ptr<const RulesConfig> config,
                std::shared_ptr<const LocationResolver> resolver);

  // Decides where `referral`, received at `received`, goes, given triage's
  // classification. The rules version is the one triage used
  // (triage.rules_version()) when it is loaded, else the one in force at
  // `received`. The decision's rules are triage's followed by routing's own,
  // in the order they fired. `now` is recorded as the decision time.
  // Thread-safe.
  referrals::v1::RoutingDecision Decide(const referrals::v1::Referral& referral,
                                        const referrals::v1::TriageResult& triage,
                                        absl::Time received, absl::Time now) const;
  // As above, received now.
  referrals::v1::RoutingDecision Decide(const referrals::v1::Referral& referral,
                                        const referrals::v1::TriageResult& triage,
                                        absl::Time now) const {
    return Decide(referral, triage, now, now);
  }

  const RulesCatalog& rules() const { return *rules_; }

  const LocationResolver& resolver() const { return *resolver_; }

 private:
  static void ToTeam(const referrals::v1::Team& team, referrals::v1::RoutingDecision* decision);

  std::shared_ptr<const RulesCatalog> rules_;
  std::shared_ptr<const LocationResolver> resolver_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_ENGINE_H_
