#include "services/routing/routing_data.h"

#include <utility>

#include "services/routing/local_authorities.h"
#include "services/routing/location_resolver.h"
#include "services/routing/postcode_directory.h"

namespace referrals {

absl::StatusOr<RoutingData> LoadRoutingData(const RoutingDataPaths& paths) {
  absl::StatusOr<std::shared_ptr<const RulesConfig>> config = RulesConfig::LoadFile(paths.rules);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      PostcodeDirectory::Create(paths.postcode_sectors, paths.postcode_data);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<LocalAuthorities> authorities = LocalAuthorities::LoadCsv(paths.local_authorities);
  if (!authorities.ok()) return authorities.status();

  RoutingData data;
  data.config = *std::move(config);
  data.triage = std::make_shared<const TriageRules>(data.config);
  auto resolver = std::make_shared<const LocationResolver>(
      data.config, std::shared_ptr<const PostcodeDirectory>(*std::move(directory)),
      std::make_shared<const LocalAuthorities>(*std::move(authorities)));
  data.engine = std::make_shared<const RoutingEngine>(data.config, std::move(resolver));
  return data;
}

}  // namespace referrals
