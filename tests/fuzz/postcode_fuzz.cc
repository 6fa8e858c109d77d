// libFuzzer target for the postcode parser. Properties checked on every
// input: parsing never crashes; an accepted postcode normalises to
// "OUTWARD INWARD" (one space, upper case, 6..8 characters) and parses
// again to the same value; a rejection never echoes the input. "Echo" is
// checked by difference, not by substring search (the fuzzer soon learns
// the messages' own words): an input of the same shape, with every letter's
// case swapped and every digit changed, is rejected with the same message,
// so the message cannot carry the input's characters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/domain/postcode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<referrals::Postcode> parsed = referrals::ParsePostcode(text);
  if (!parsed.ok()) {
    std::string same_shape = text;
    for (char& c : same_shape) {
      if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
      } else if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      } else if (c >= '0' && c <= '9') {
        c = static_cast<char>('0' + (c - '0' + 1) % 10);
      }
    }
    absl::StatusOr<referrals::Postcode> other = referrals::ParsePostcode(same_shape);
    if (other.ok() || other.status().message() != parsed.status().message()) {
      std::abort();  // the message depends on the input's characters
    }
    return 0;
  }
  const std::string normalised = parsed->Normalised();
  if (normalised.size() < 6 || normalised.size() > 8) std::abort();
  if (normalised.find(' ') != normalised.size() - 4) std::abort();
  for (char c : normalised) {
    if (c != ' ' && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9')) std::abort();
  }
  absl::StatusOr<referrals::Postcode> again = referrals::ParsePostcode(normalised);
  if (!again.ok() || !(*again == *parsed)) std::abort();
  if (parsed->Sector() != normalised.substr(0, normalised.size() - 2)) std::abort();
  return 0;
}
