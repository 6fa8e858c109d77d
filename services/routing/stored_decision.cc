#include "services/routing/stored_decision.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "common/domain/postcode.h"

namespace referrals {
namespace {

using Replacements = std::vector<std::pair<std::string, std::string>>;

void AddPostcode(const std::string& written, Replacements* out) {
  if (absl::StripAsciiWhitespace(written).empty()) return;
  absl::StatusOr<Postcode> parsed = ParsePostcode(written);
  const std::string sector = parsed.ok() ? parsed->Sector() : "(postcode)";
  std::vector<std::string> forms = {written, absl::StrReplaceAll(written, {{" ", ""}})};
  if (parsed.ok()) {
    forms.push_back(parsed->Normalised());
    forms.push_back(parsed->outward + parsed->inward);
  }
  for (std::string& form : forms) {
    form = std::string(absl::StripAsciiWhitespace(form));
    if (!form.empty() && form != sector) out->emplace_back(std::move(form), sector);
  }
}

std::string Redact(const std::string& text, const Replacements& replacements) {
  std::string out = text;
  // Longest first, so "SS9 1AA" goes before a shorter form inside it.
  for (const auto& [from, to] : replacements) {
    size_t at = 0;
    while ((at = out.find(from, at)) != std::string::npos) {
      out.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return out;
}

}  // namespace

referrals::v1::RoutingDecision StoredDecision(referrals::v1::RoutingDecision decision,
                                              const referrals::v1::Referral& referral) {
  Replacements replacements;
  AddPostcode(referral.adult().home_address().postcode(), &replacements);
  AddPostcode(referral.harm_location().address().postcode(), &replacements);
  AddPostcode(referral.service().address().postcode(), &replacements);
  if (decision.location().postcode().empty() && replacements.empty()) return decision;
  std::sort(replacements.begin(), replacements.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

  referrals::v1::LocationResolution* location = decision.mutable_location();
  if (!location->postcode().empty()) {
    absl::StatusOr<Postcode> parsed = ParsePostcode(location->postcode());
    location->set_postcode(parsed.ok() ? parsed->Sector() : "");
  }
  for (referrals::v1::RuleFired& rule : *decision.mutable_rules()) {
    rule.set_detail(Redact(rule.detail(), replacements));
  }
  for (referrals::v1::AuthorityToInform& inform : *decision.mutable_to_be_informed()) {
    inform.set_reason(Redact(inform.reason(), replacements));
  }
  return decision;
}

}  // namespace referrals
