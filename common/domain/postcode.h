// UK postcode parsing and normalisation.
//
// A unit postcode is an outward code (area letters, district digits, optional
// letter: "SS9", "CM1", "E1W", "EC1A") and an inward code (a digit and two
// letters: "1AA"). The sector is the outward code plus the inward digit
// ("SS9 1"). Only the full unit decides an authority; see DOMAIN.md.
#ifndef COMMON_DOMAIN_POSTCODE_H_
#define COMMON_DOMAIN_POSTCODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace referrals {

// A well-formed unit postcode, split into its parts. All parts upper case.
struct Postcode {
  std::string outward;  // "SS9"
  std::string inward;   // "1AA"

  // "SS9 1AA": outward, one space, inward.
  std::string Normalised() const;
  // "SS9 1": outward, one space, inward digit.
  std::string Sector() const;
  // "SS": the leading letters.
  std::string Area() const;

  bool operator==(const Postcode&) const = default;
};

// Parses `text` as a full UK unit postcode. Accepts any case and any spacing
// (spaces anywhere are removed first, as DOMAIN.md prescribes), then checks
// the shape: outward `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`; inward `9AA`.
//
// Returns INVALID_ARGUMENT with a reason that names what is wrong ("is
// empty", "has characters other than letters, digits and spaces", "is too
// short to be a full postcode", "outward code ... is not a valid shape",
// "inward code must be a digit followed by two letters") and never echoes
// the input (it may be personal data). Pure; thread-safe.
absl::StatusOr<Postcode> ParsePostcode(absl::string_view text);

}  // namespace referrals

#endif  // COMMON_DOMAIN_POSTCODE_H_
