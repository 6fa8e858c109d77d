#include "services/routing/routing_data.h"

#include <cstdlib>
#include <utility>

#include "services/routing/local_authorities.h"
#include "services/routing/location_resolver.h"
#include "services/routing/postcode_directory.h"

namespace referrals {

std::string PostcodeDataPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("REFERRALS_POSTCODE_DATA");
  return env != nullptr ? env : "";
}

absl::StatusOr<RoutingData> LoadRoutingData(const RoutingDataPaths& paths, absl::Time now) {
  absl::StatusOr<std::shared_ptr<const RulesCatalog>> rules = RulesCatalog::Load(paths.rules);
  if (!rules.ok()) return rules.status();
  absl::StatusOr<std::unique_ptr<PostcodeDirectory>> directory =
      PostcodeDirectory::Create(paths.postcode_sectors, paths.postcode_data);
  if (!directory.ok()) return directory.status();
  absl::StatusOr<LocalAuthorities> authorities = LocalAuthorities::LoadCsv(paths.local_authorities);
  if (!authorities.ok()) return authorities.status();

  RoutingData data;
  data.rules = *std::move(rules);
  data.config = data.rules->InForceAt(now);
  data.triage = std::make_shared<const TriageRules>(data.rules);
  auto resolver = std::make_shared<const LocationResolver>(
      data.config, std::shared_ptr<const PostcodeDirectory>(*std::move(directory)),
      std::make_shared<const LocalAuthorities>(*std::move(authorities)));
  data.engine = std::make_shared<const RoutingEngine>(data.rules, std::move(resolver));
  return data;
}

}  // namespace referrals
