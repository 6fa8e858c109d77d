// Synthetic referrals for load generation: realistic size and mix, no real
// people. Referral number i is a pure function of (seed, i), so a run can be
// repeated exactly and the load generator can rebuild any referral later
// (to check where it should have gone) without keeping it in memory.
//
// Postcodes are drawn from the project's own sector table, bucketed by what
// the routing service's resolver says about each sector (Essex, Southend,
// Thurrock, split between councils, out of area), so the mix of outcomes is
// the one routing will actually produce. Mix (deciding location): about 70%
// Essex, 10% Southend, 8% Thurrock, 6% split sectors (manual triage), 6% out
// of area. Kinds: 45% adult safeguarding, 5% organisational, 22% equipment,
// 10% sensory, 18% care technology. Safeguarding referrals carry risk flags
// (so signposts) at realistic rates; concerns run from about 300 to 8,000
// characters (median about 900), so a serialized referral averages 1-2 KB.
#ifndef TOOLS_LOADGEN_REFERRAL_GENERATOR_H_
#define TOOLS_LOADGEN_REFERRAL_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "referrals/v1/referral.pb.h"
#include "services/routing/routing_data.h"

namespace referrals::loadgen {

// Where a postcode bucket sends a referral; indexes ReferralGenerator's pools.
enum class Area { kEssex, kSouthend, kThurrock, kSplit, kOutOfArea, kCount };

const char* AreaName(Area area);

class ReferralGenerator {
 public:
  // `data` is the routing data the services load (rules, sector table,
  // district table); `sector_table` is the sector CSV path, read for its
  // sector column. Errors: NOT_FOUND (unreadable file), FAILED_PRECONDITION
  // (some area has no sector to draw from).
  static absl::StatusOr<std::unique_ptr<ReferralGenerator>> Create(
      std::shared_ptr<const RoutingData> data, const std::string& sector_table, uint64_t seed);

  // Referral number `i`, with `request_id` set. Deterministic in (seed, i).
  // Thread-safe.
  referrals::v1::Referral Make(uint64_t i, absl::string_view request_id) const;

  // Sectors available per area, for the report.
  size_t pool_size(Area area) const { return pools_[static_cast<int>(area)].size(); }

  const RoutingData& data() const { return *data_; }

 private:
  ReferralGenerator(std::shared_ptr<const RoutingData> data, uint64_t seed)
      : data_(std::move(data)), seed_(seed) {}

  std::shared_ptr<const RoutingData> data_;
  uint64_t seed_;
  // Sector strings ("CM1 4") per Area.
  std::vector<std::string> pools_[static_cast<int>(Area::kCount)];
};

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_REFERRAL_GENERATOR_H_
