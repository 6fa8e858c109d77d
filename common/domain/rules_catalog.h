// Every loaded version of the rule base, each in force from its
// effective_from date until the next one starts. A referral is decided under
// the version in force when it was received, so a reorganisation (Essex's
// councils around 2028) is a new data file, not a code change.
//
// Immutable once created; safe to share between threads.
#ifndef COMMON_DOMAIN_RULES_CATALOG_H_
#define COMMON_DOMAIN_RULES_CATALOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/domain/rules_config.h"

namespace referrals {

class RulesCatalog {
 public:
  // `path` is one text-format RoutingConfig file, or a directory whose
  // *.textproto files are each one version (not searched recursively).
  // Errors: NOT_FOUND (no such path, or a directory without .textproto
  // files); INVALID_ARGUMENT (any file fails RulesConfig::LoadFile, or the
  // versions conflict: see FromVersions). Every problem of every file is
  // listed.
  static absl::StatusOr<std::shared_ptr<const RulesCatalog>> Load(const std::string& path);

  // Errors: INVALID_ARGUMENT when `versions` is empty, two share a version
  // name or an effective_from date, or they use different time zones.
  static absl::StatusOr<std::shared_ptr<const RulesCatalog>> FromVersions(
      std::vector<std::shared_ptr<const RulesConfig>> versions);

  // A catalog of one version (in force at every time, even before its
  // effective_from: there is nothing else to use).
  static std::shared_ptr<const RulesCatalog> Single(std::shared_ptr<const RulesConfig> config);

  // The version in force at `time`: the latest whose effective_from is not
  // after it; the earliest version for times before all of them. Never null.
  const std::shared_ptr<const RulesConfig>& InForceAt(absl::Time time) const;

  // The version named `version`, or nullptr.
  std::shared_ptr<const RulesConfig> Find(absl::string_view version) const;

  // Oldest first.
  const std::vector<std::shared_ptr<const RulesConfig>>& versions() const { return versions_; }

  // "2025.11-1 (from 2025-11-01), 2026.11-1 (from 2026-11-23)".
  std::string Describe() const;

 private:
  explicit RulesCatalog(std::vector<std::shared_ptr<const RulesConfig>> versions)
      : versions_(std::move(versions)) {}

  std::vector<std::shared_ptr<const RulesConfig>> versions_;  // by effective_from
};

}  // namespace referrals

#endif  // COMMON_DOMAIN_RULES_CATALOG_H_
