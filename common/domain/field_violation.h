// A problem with one field of a request, as found by validation.
#ifndef COMMON_DOMAIN_FIELD_VIOLATION_H_
#define COMMON_DOMAIN_FIELD_VIOLATION_H_

#include <string>
#include <vector>

namespace referrals {

// `field` is the path in the request message, dot-separated, snake_case, as
// in google.rpc.BadRequest (e.g. "referral.adult.date_of_birth").
// `description` says what is wrong and never echoes the field's value: values
// are personal data.
struct FieldViolation {
  std::string field;
  std::string description;

  bool operator==(const FieldViolation&) const = default;
};

using FieldViolations = std::vector<FieldViolation>;

}  // namespace referrals

#endif  // COMMON_DOMAIN_FIELD_VIOLATION_H_
