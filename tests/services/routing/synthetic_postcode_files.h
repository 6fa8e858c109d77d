// Synthetic ONS postcode files (ONSPD and NSPL) for tests and the load
// benchmark: the published header of each layout, and rows filled the way
// ONS fills them (quoted codes, unquoted lat/long, pcd/pcd2 padded forms),
// for units the caller chooses. No real data is copied; postcodes and codes
// are made up or given by the test.
#ifndef TESTS_SERVICES_ROUTING_SYNTHETIC_POSTCODE_FILES_H_
#define TESTS_SERVICES_ROUTING_SYNTHETIC_POSTCODE_FILES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace referrals::testing {

enum class OnsLayout {
  kOnspdLegacy,  // ONSPD before August 2025 (FEB 2023): pcd, pcd2, pcds, ..., oslaua; 53 columns
  kNsplLegacy,   // NSPL before August 2025: pcd, pcd2, pcds, ..., laua; 35 columns
  kAug2025,      // ONSPD/NSPL from August 2025: pcd7, pcd8, pcds, ..., lad25cd; 35 columns
};

// The header's columns, in order.
const std::vector<std::string>& OnsColumns(OnsLayout layout);

// "pcd,pcd2,pcds,..." without a line end.
std::string OnsHeader(OnsLayout layout);

struct SyntheticUnit {
  std::string postcode;  // normalised, "SS9 1AA"
  std::string district;  // GSS code, "" or a pseudo code such as "E99999999"
  std::string doterm;    // "" when live, else YYYYMM
};

// One data row without a line end. `overrides` gives the values of named
// columns instead (written quoted, so they may hold commas).
std::string OnsRow(OnsLayout layout, const SyntheticUnit& unit,
                   const std::map<std::string, std::string>& overrides = {});

// Header and rows, each line ending "\n".
std::string OnsFile(OnsLayout layout, const std::vector<SyntheticUnit>& units);

// Calls `fn` for `count` distinct, well-formed synthetic units spread over
// the 124 UK postcode areas (about 300 district codes; every third unit
// terminated; Channel Islands and Isle of Man units with pseudo codes, as
// in ONSPD). Deterministic: the same count gives the same units in order.
void ForEachSyntheticUkUnit(int64_t count, const std::function<void(const SyntheticUnit&)>& fn);

// Writes a header and `count` units from ForEachSyntheticUkUnit to `path`.
absl::Status WriteSyntheticUkFile(const std::string& path, OnsLayout layout, int64_t count);

}  // namespace referrals::testing

#endif  // TESTS_SERVICES_ROUTING_SYNTHETIC_POSTCODE_FILES_H_
