#include "services/triage/triage_rules.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace referrals {
namespace {

using referrals::v1::LocationBasis;
using referrals::v1::Priority;
using referrals::v1::RiskFlag;

bool FlagSet(const referrals::v1::RiskIndicators& risk, RiskFlag flag) {
  switch (flag) {
    case referrals::v1::RISK_FLAG_IMMEDIATE_DANGER:
      return risk.immediate_danger();
    case referrals::v1::RISK_FLAG_SUSPECTED_CRIME:
      return risk.suspected_crime();
    case referrals::v1::RISK_FLAG_CHILD_AT_RISK:
      return risk.child_at_risk();
    case referrals::v1::RISK_FLAG_MENTAL_HEALTH_CRISIS:
      return risk.mental_health_crisis();
    default:
      return false;
  }
}

// "risk.immediate_danger" for RISK_FLAG_IMMEDIATE_DANGER: the request field.
std::string FlagField(RiskFlag flag) {
  switch (flag) {
    case referrals::v1::RISK_FLAG_IMMEDIATE_DANGER:
      return "risk.immediate_danger";
    case referrals::v1::RISK_FLAG_SUSPECTED_CRIME:
      return "risk.suspected_crime";
    case referrals::v1::RISK_FLAG_CHILD_AT_RISK:
      return "risk.child_at_risk";
    case referrals::v1::RISK_FLAG_MENTAL_HEALTH_CRISIS:
      return "risk.mental_health_crisis";
    default:
      return "risk.unknown";
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
      return "unknown";
  }
}

}  // namespace

TriageRules::TriageRules(std::shared_ptr<const RulesCatalog> rules) : rules_(std::move(rules)) {}

TriageRules::TriageRules(std::shared_ptr<const RulesConfig> config)
    : rules_(RulesCatalog::Single(std::move(config))) {}

referrals::v1::TriageResult TriageRules::Classify(const referrals::v1::Referral& referral,
                                                  absl::Time received) const {
  return Classify(referral, *rules_->InForceAt(received));
}

referrals::v1::TriageResult TriageRules::Classify(const referrals::v1::Referral& referral,
                                                  const RulesConfig& config) {
  referrals::v1::TriageResult result;
  result.set_kind(referral.kind());
  result.set_rules_version(config.version());

  const referrals::v1::KindRule* kind_rule = config.FindKindRule(referral.kind());
  Priority priority = referrals::v1::PRIORITY_ROUTINE;
  if (kind_rule != nullptr) {
    priority = kind_rule->base_priority();
    std::vector<std::string> bases;
    for (int basis : kind_rule->location_bases()) {
      result.add_location_bases(static_cast<LocationBasis>(basis));
      bases.push_back(BasisName(basis));
    }
    auto* fired = result.add_rules();
    fired->set_rule_id(absl::StrCat("triage.kind.", referrals::v1::ReferralKind_Name(referral.kind())));
    fired->set_detail(absl::StrCat(referrals::v1::ReferralKind_Name(referral.kind()),
                                   ": decided by ", absl::StrJoin(bases, ", then "),
                                   "; base priority ", referrals::v1::Priority_Name(priority)));
  }

  for (const referrals::v1::SignpostRule& rule : config.proto().signposts()) {
    if (!FlagSet(referral.risk(), rule.trigger())) continue;
    auto* signpost = result.add_signposts();
    signpost->set_id(rule.id());
    signpost->set_name(rule.name());
    signpost->set_contact(rule.default_contact());
    signpost->set_reason(absl::StrCat(FlagField(rule.trigger()), " is set"));
    std::string detail = absl::StrCat(FlagField(rule.trigger()), " is set: signpost ", rule.name());
    if (rule.raises_priority_to() > priority) {
      priority = rule.raises_priority_to();
      absl::StrAppend(&detail, "; priority raised to ", referrals::v1::Priority_Name(priority));
    }
    auto* fired = result.add_rules();
    fired->set_rule_id(absl::StrCat("signpost.", rule.id()));
    fired->set_detail(std::move(detail));
  }
  result.set_priority(priority);
  return result;
}

}  // namespace referrals
