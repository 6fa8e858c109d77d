// Loads everything a routing decision needs (rules, postcode data, district
// table) from files, the same way for the service and for offline tools, so
// `referralctl explain` decides exactly as the running service does.
#ifndef SERVICES_ROUTING_ROUTING_DATA_H_
#define SERVICES_ROUTING_ROUTING_DATA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/domain/rules_config.h"
#include "services/routing/routing_engine.h"
#include "services/triage/triage_rules.h"

namespace referrals {

struct RoutingDataPaths {
  std::string rules;              // text RoutingConfig
  std::string postcode_sectors;   // the project's sector table
  std::string postcode_data;      // unit-level data; empty for sector level only
  std::string local_authorities;  // GSS district table
};

struct RoutingData {
  std::shared_ptr<const RulesConfig> config;
  std::shared_ptr<const TriageRules> triage;
  std::shared_ptr<const RoutingEngine> engine;
};

// Loads and validates every file. Errors name the file and the problem
// (NOT_FOUND, INVALID_ARGUMENT).
absl::StatusOr<RoutingData> LoadRoutingData(const RoutingDataPaths& paths);

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_DATA_H_
