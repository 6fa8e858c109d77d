// Resolves a postcode to where it is for routing purposes: district,
// authority and locality, or out of area (with the council to contact), or a
// split sector (with the candidate councils), never a guess.
// Pure: no gRPC, no Redis.
#ifndef SERVICES_ROUTING_LOCATION_RESOLVER_H_
#define SERVICES_ROUTING_LOCATION_RESOLVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/domain/rules_config.h"
#include "referrals/v1/decision.pb.h"
#include "services/routing/local_authorities.h"
#include "services/routing/postcode_directory.h"

namespace referrals {

class LocationResolver {
 public:
  // None of the arguments may be null.
  LocationResolver(std::shared_ptr<const RulesConfig> config,
                   std::shared_ptr<const PostcodeDirectory> directory,
                   std::shared_ptr<const LocalAuthorities> authorities);

  // Resolves `postcode_text` (any case and spacing).
  //  - unit found: its district decides (IN_AREA or OUT_OF_AREA), and
  //    `terminated` says whether the unit data marks it terminated (it
  //    still decides: terminated postcodes still appear on forms);
  //  - unit not found, sector known: if every unit of the sector is in one
  //    authority and one locality (or all out of area), that answer at
  //    SECTOR level; otherwise SPLIT listing every district;
  //  - neither: NOT_FOUND.
  // Every result carries the directory's data_version(). Errors:
  // INVALID_ARGUMENT for a malformed postcode, with the reason and without
  // the input. Thread-safe.
  absl::StatusOr<referrals::v1::LocationResolution> Resolve(absl::string_view postcode_text) const;
  // As above, with `rules` (one version of the rule base) deciding which
  // districts are in which authority and locality, instead of the config
  // given to the constructor.
  absl::StatusOr<referrals::v1::LocationResolution> Resolve(absl::string_view postcode_text,
                                                            const RulesConfig& rules) const;

  const PostcodeDirectory& directory() const { return *directory_; }

 private:
  referrals::v1::DistrictCandidate Candidate(const DistrictUnits& district,
                                             const RulesConfig& rules) const;

  std::shared_ptr<const RulesConfig> config_;
  std::shared_ptr<const PostcodeDirectory> directory_;
  std::shared_ptr<const LocalAuthorities> authorities_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_LOCATION_RESOLVER_H_
