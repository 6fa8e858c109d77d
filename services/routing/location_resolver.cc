#include "services/routing/location_resolver.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/domain/postcode.h"

namespace referrals {

using referrals::v1::LocationResolution;

LocationResolver::LocationResolver(std::shared_ptr<const RulesConfig> config,
                                   std::shared_ptr<const PostcodeDirectory> directory,
                                   std::shared_ptr<const LocalAuthorities> authorities)
    : config_(std::move(config)),
      directory_(std::move(directory)),
      authorities_(std::move(authorities)) {}

referrals::v1::DistrictCandidate LocationResolver::Candidate(const DistrictUnits& district,
                                                             const RulesConfig& rules) const {
  referrals::v1::DistrictCandidate candidate;
  candidate.set_district_code(district.district_code);
  candidate.set_units(district.units);
  if (const LocalAuthority* known = authorities_->Find(district.district_code)) {
    candidate.set_district_name(known->name);
    candidate.set_council(known->adult_social_care_authority);
  } else {
    candidate.set_district_name(district.district_code);
    candidate.set_council(absl::StrCat("the council for district ", district.district_code));
  }
  if (const auto* authority = rules.AuthorityForDistrict(district.district_code)) {
    candidate.set_authority_id(authority->id());
    candidate.set_council(authority->name());
  }
  return candidate;
}

absl::StatusOr<LocationResolution> LocationResolver::Resolve(
    absl::string_view postcode_text) const {
  return Resolve(postcode_text, *config_);
}

absl::StatusOr<LocationResolution> LocationResolver::Resolve(absl::string_view postcode_text,
                                                             const RulesConfig& rules) const {
  absl::StatusOr<Postcode> postcode = ParsePostcode(postcode_text);
  if (!postcode.ok()) return postcode.status();

  const PostcodeLookup lookup = directory_->Lookup(*postcode);
  LocationResolution resolution;
  resolution.set_postcode(postcode->Normalised());
  resolution.set_data_version(directory_->data_version());

  if (lookup.level == LookupLevel::kNotFound || lookup.districts.empty()) {
    resolution.set_level(referrals::v1::RESOLUTION_LEVEL_NOT_FOUND);
    resolution.set_outcome(referrals::v1::LOCATION_OUTCOME_NOT_FOUND);
    return resolution;
  }
  resolution.set_level(lookup.level == LookupLevel::kUnit ? referrals::v1::RESOLUTION_LEVEL_UNIT
                                                          : referrals::v1::RESOLUTION_LEVEL_SECTOR);
  resolution.set_terminated(lookup.level == LookupLevel::kUnit && lookup.terminated);

  // Group the districts by what matters for routing: the authority and the
  // locality (entries of `rules`, so equal pointers are equal groups). One
  // group settles it; more than one is a split.
  const auto group_of = [&rules](const DistrictUnits& district) {
    return std::make_pair(rules.AuthorityForDistrict(district.district_code),
                          rules.LocalityForDistrict(district.district_code));
  };
  const DistrictUnits& first = lookup.districts.front();
  const auto group = group_of(first);
  bool split = false;
  for (size_t i = 1; i < lookup.districts.size() && !split; ++i) {
    split = group_of(lookup.districts[i]) != group;
  }
  if (split) {
    resolution.set_outcome(referrals::v1::LOCATION_OUTCOME_SPLIT);
    for (const DistrictUnits& district : lookup.districts) {
      *resolution.add_candidates() = Candidate(district, rules);
    }
    return resolution;
  }

  // A settled answer needs no candidate list.
  if (lookup.districts.size() == 1) {
    resolution.set_district_code(first.district_code);
    // As Candidate() names it, without building the candidate.
    const LocalAuthority* known = authorities_->Find(first.district_code);
    resolution.set_district_name(known != nullptr ? known->name : first.district_code);
  }
  const auto* authority = group.first;
  if (authority == nullptr) {
    resolution.set_outcome(referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA);
    absl::flat_hash_set<std::string> seen;
    for (const DistrictUnits& district : lookup.districts) {
      referrals::v1::DistrictCandidate candidate = Candidate(district, rules);
      if (seen.insert(candidate.council()).second) {
        resolution.add_out_of_area_councils(candidate.council());
      }
    }
  } else {
    resolution.set_outcome(referrals::v1::LOCATION_OUTCOME_IN_AREA);
    resolution.set_authority_id(authority->id());
    if (const auto* locality = group.second) resolution.set_locality_id(locality->id());
  }
  return resolution;
}

}  // namespace referrals
