// libFuzzer target for referral validation. The input is a serialized
// Referral (binary protobuf); inputs that do not parse are also tried as
// protobuf JSON, and the raw bytes are tried as every free-text field.
// Properties: validation never crashes, and no violation description carries
// a field's value (values are personal data). The second is checked by
// difference, not substring search (the fuzzer soon learns the messages' own
// words): the same referral with every letter's case swapped and every digit
// changed in its free-text fields, which validation judges by shape only,
// gets exactly the same violations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/civil_time.h"
#include "common/domain/referral_validator.h"
#include "google/protobuf/util/json_util.h"
#include "referrals/v1/referral.pb.h"

namespace {

void ChangeCharacters(std::string& value) {
  for (char& c : value) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c >= '0' && c <= '9') {
      c = static_cast<char>('0' + (c - '0' + 1) % 10);
    }
  }
}

// Changes only fields that are set, so message presence stays as it was.
referrals::v1::Referral SameShape(const referrals::v1::Referral& referral) {
  referrals::v1::Referral copy = referral;
  if (copy.has_adult()) {
    ChangeCharacters(*copy.mutable_adult()->mutable_given_name());
    if (copy.adult().has_home_address()) {
      ChangeCharacters(*copy.mutable_adult()->mutable_home_address()->mutable_postcode());
    }
  }
  if (copy.has_harm_location() && copy.harm_location().has_address()) {
    ChangeCharacters(*copy.mutable_harm_location()->mutable_address()->mutable_postcode());
  }
  if (copy.has_referrer()) {
    ChangeCharacters(*copy.mutable_referrer()->mutable_email());
    ChangeCharacters(*copy.mutable_referrer()->mutable_phone());
  }
  ChangeCharacters(*copy.mutable_concern());
  return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const absl::CivilDay today(2026, 11, 23);
  referrals::v1::Referral referral;
  if (!referral.ParseFromString(bytes)) {
    referral.Clear();
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(bytes, &referral, options).ok()) {
      // Not a referral at all: use the bytes as every free-text field.
      referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
      referral.mutable_adult()->mutable_home_address()->set_postcode(bytes);
      referral.mutable_harm_location()->mutable_address()->set_postcode(bytes);
      referral.mutable_adult()->set_given_name(bytes);
      referral.mutable_referrer()->set_email(bytes);
      referral.mutable_referrer()->set_phone(bytes);
      referral.set_request_id(bytes);
      referral.set_concern(bytes);
    }
  }
  referrals::FieldViolations violations = referrals::ValidateReferral(referral, today);
  if (referrals::ValidateReferral(SameShape(referral), today) != violations) {
    std::abort();  // a description depends on a value's characters
  }
  return 0;
}
