// The table of local authority districts: GSS district code → name, county
// and the council with adult social care duties there. Used to name the
// council a referrer should contact when a location is outside Essex,
// Southend-on-Sea and Thurrock (data/local_authorities.csv).
#ifndef SERVICES_ROUTING_LOCAL_AUTHORITIES_H_
#define SERVICES_ROUTING_LOCAL_AUTHORITIES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace referrals {

// One local authority district.
struct LocalAuthority {
  std::string code;         // GSS district code, "E07000075"
  std::string name;         // "Rochford"
  std::string county_code;  // GSS county code in two-tier areas ("E10000012"); else empty
  // The council responsible for adult social care: the county council in
  // two-tier areas, otherwise the district's own council.
  std::string adult_social_care_authority;
};

// An immutable table of districts, keyed by GSS code. Thread-safe for
// concurrent const use.
class LocalAuthorities {
 public:
  // Loads a CSV file: lines starting with '#' are comments and blank lines
  // are ignored; the first other line must be the header
  // `lad_code,lad_name,county_code,adult_social_care_authority`; then one row
  // per district. Fields may be double-quoted (RFC 4180: a quoted field may
  // hold commas, and "" for a quote). lad_code must be a GSS code (a capital
  // letter and eight digits) and appear once; lad_name and
  // adult_social_care_authority must be non-empty; county_code is empty or a
  // GSS code.
  //
  // Errors: NOT_FOUND if `path` does not exist; INVALID_ARGUMENT naming the
  // file and line (and field) when the header or a row is wrong, or when the
  // file has no rows; PERMISSION_DENIED / INTERNAL if it cannot be read.
  static absl::StatusOr<LocalAuthorities> LoadCsv(const std::string& path);

  // The district with GSS code `lad_code`, or nullptr if it is not in the
  // table. The pointer is valid as long as this object is neither destroyed
  // nor assigned to.
  const LocalAuthority* Find(absl::string_view lad_code) const;

  // Number of districts.
  size_t size() const { return authorities_.size(); }

 private:
  std::vector<LocalAuthority> authorities_;           // in file order
  absl::flat_hash_map<std::string, size_t> by_code_;  // index into authorities_
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_LOCAL_AUTHORITIES_H_
