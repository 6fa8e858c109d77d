// Validation of a submitted referral: every rule a referral must meet before
// it is stored or classified. Pure: no I/O, no clock of its own.
#ifndef COMMON_DOMAIN_REFERRAL_VALIDATOR_H_
#define COMMON_DOMAIN_REFERRAL_VALIDATOR_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/domain/field_violation.h"
#include "referrals/v1/referral.pb.h"

namespace referrals {

// Limits enforced on every referral. Documented in the README.
struct ReferralLimits {
  int max_concern_chars = 20000;
  int max_name_chars = 200;
  int max_short_text_chars = 200;  // organisation, role, town, address lines...
  int max_address_lines = 4;
  int max_request_id_chars = 128;
  int max_age_years = 130;
};

// Checks `referral` and returns every problem found (empty when valid).
// Field paths are prefixed with `prefix` (e.g. "referral"), so they match the
// request message. `today` is the current date in Europe/London, used for
// "date of birth in the future". Descriptions never echo field values.
// Thread-safe.
FieldViolations ValidateReferral(const referrals::v1::Referral& referral, absl::CivilDay today,
                                 absl::string_view prefix = "referral",
                                 const ReferralLimits& limits = ReferralLimits());

}  // namespace referrals

#endif  // COMMON_DOMAIN_REFERRAL_VALIDATOR_H_
