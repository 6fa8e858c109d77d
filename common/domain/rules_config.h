// The routing rule base (authorities with their office hours, localities,
// teams, kind rules, team rules, signposts, holiday calendars, response
// targets), one version of it, loaded from a text-format `RoutingConfig` and
// validated. See rules_catalog.h for choosing among versions.
//
// Once created a RulesConfig is immutable and safe to share between threads.
#ifndef COMMON_DOMAIN_RULES_CONFIG_H_
#define COMMON_DOMAIN_RULES_CONFIG_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/domain/office_hours.h"
#include "referrals/v1/routing_config.pb.h"

namespace referrals {

class RulesConfig {
 public:
  // Reads and validates the text-format RoutingConfig at `path`.
  // Errors: NOT_FOUND if the file cannot be read; INVALID_ARGUMENT if it does
  // not parse (message names the file, line and column) or fails validation
  // (message names the file and the offending element, e.g.
  // "teams[3] (id \"ecc-mid\"): queue \"x y\" is not lower-case letters,
  // digits and '-'"). Every problem found is listed, one per line.
  static absl::StatusOr<std::shared_ptr<const RulesConfig>> LoadFile(const std::string& path);

  // Validates an already-parsed config. `source` names it in error messages.
  // Errors: INVALID_ARGUMENT as for LoadFile.
  static absl::StatusOr<std::shared_ptr<const RulesConfig>> FromProto(
      referrals::v1::RoutingConfig config, absl::string_view source = "<config>");

  const referrals::v1::RoutingConfig& proto() const { return config_; }
  const std::string& version() const { return config_.version(); }
  // Midnight of effective_from in the config's time zone.
  absl::Time effective_from() const { return effective_from_; }
  absl::TimeZone time_zone() const { return time_zone_; }

  // The authority's office hours; validation guarantees every authority has
  // them. nullptr for an unknown authority.
  const OfficeHours* OfficeHoursOf(absl::string_view authority_id) const;
  // The response target for `priority`, if the config sets one.
  std::optional<absl::Duration> ResponseTarget(referrals::v1::Priority priority) const;

  // Lookups return nullptr when nothing matches.
  const referrals::v1::Authority* FindAuthority(absl::string_view authority_id) const;
  // The authority whose area includes the district (GSS code); nullptr when
  // the district is outside every authority (out of area).
  const referrals::v1::Authority* AuthorityForDistrict(absl::string_view district_code) const;
  // The locality that includes the district; nullptr if none does.
  const referrals::v1::Locality* LocalityForDistrict(absl::string_view district_code) const;
  const referrals::v1::Locality* FindLocality(absl::string_view locality_id) const;
  const referrals::v1::Team* FindTeam(absl::string_view team_id) const;
  const referrals::v1::Team* FindTeamByQueue(absl::string_view queue) const;
  const referrals::v1::KindRule* FindKindRule(referrals::v1::ReferralKind kind) const;

  // The first team rule (in file order) whose non-empty lists all contain
  // the given values. `locality_id` is empty for authorities without
  // localities. Validation guarantees a match for every authority, kind and
  // locality in the file.
  const referrals::v1::TeamRule* MatchTeamRule(absl::string_view authority_id,
                                               referrals::v1::ReferralKind kind,
                                               absl::string_view locality_id) const;

  // The teams named by manual_triage_team and out_of_area_team; always exist.
  const referrals::v1::Team& manual_triage_team() const { return *manual_triage_team_; }
  const referrals::v1::Team& out_of_area_team() const { return *out_of_area_team_; }

 private:
  explicit RulesConfig(referrals::v1::RoutingConfig config);
  void BuildIndexes();

  referrals::v1::RoutingConfig config_;
  absl::flat_hash_map<std::string, const referrals::v1::Authority*> authorities_;
  absl::flat_hash_map<std::string, const referrals::v1::Authority*> authority_by_district_;
  absl::flat_hash_map<std::string, const referrals::v1::Locality*> localities_;
  absl::flat_hash_map<std::string, const referrals::v1::Locality*> locality_by_district_;
  absl::flat_hash_map<std::string, const referrals::v1::Team*> teams_;
  absl::flat_hash_map<std::string, const referrals::v1::Team*> team_by_queue_;
  absl::flat_hash_map<int, const referrals::v1::KindRule*> kind_rules_;
  const referrals::v1::Team* manual_triage_team_ = nullptr;
  const referrals::v1::Team* out_of_area_team_ = nullptr;
  absl::TimeZone time_zone_;
  absl::Time effective_from_;
  absl::flat_hash_map<std::string, OfficeHours> office_hours_;
  absl::flat_hash_map<int, absl::Duration> response_targets_;
};

}  // namespace referrals

#endif  // COMMON_DOMAIN_RULES_CONFIG_H_
