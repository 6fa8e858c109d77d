// Triage: classifies a referral from its content alone (no location data):
// how urgent it is, which location decides its authority, and which
// signposts it needs. Pure: no gRPC, no Redis.
#ifndef SERVICES_TRIAGE_TRIAGE_RULES_H_
#define SERVICES_TRIAGE_TRIAGE_RULES_H_

#include <memory>

#include "absl/time/time.h"
#include "common/domain/rules_catalog.h"
#include "common/domain/rules_config.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/referral.pb.h"

namespace referrals {

class TriageRules {
 public:
  explicit TriageRules(std::shared_ptr<const RulesCatalog> rules);
  // One rules version only.
  explicit TriageRules(std::shared_ptr<const RulesConfig> config);

  // Classifies a referral that passed ValidateReferral, received at
  // `received`, under the rules version in force then (recorded in the
  // result). The result lists the rules that fired in order: the kind rule,
  // then each signpost raised (in the rules file's order) with the priority
  // it raised. Signpost contacts are the defaults; routing replaces them with
  // the authority's own. Thread-safe.
  referrals::v1::TriageResult Classify(const referrals::v1::Referral& referral,
                                       absl::Time received) const;
  // Under `config`, a version of this catalog or any other.
  static referrals::v1::TriageResult Classify(const referrals::v1::Referral& referral,
                                              const RulesConfig& config);

  const RulesCatalog& rules() const { return *rules_; }

 private:
  std::shared_ptr<const RulesCatalog> rules_;
};

}  // namespace referrals

#endif  // SERVICES_TRIAGE_TRIAGE_RULES_H_
