#include "common/domain/postcode.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace referrals {
namespace {

// Shortest and longest unit postcode once spaces are removed: "A99AA" and
// "AA9A9AA".
constexpr size_t kMinLength = 5;
constexpr size_t kMaxLength = 7;
constexpr size_t kInwardLength = 3;

// Outward shapes, with 'A' for a letter and '9' for a digit.
bool IsValidOutward(absl::string_view outward) {
  // Leading letters: one or two.
  size_t letters = 0;
  while (letters < outward.size() && absl::ascii_isalpha(outward[letters])) ++letters;
  if (letters < 1 || letters > 2) return false;
  absl::string_view rest = outward.substr(letters);
  // Then a digit, and optionally one more digit or a letter: 9, 99, 9A.
  if (rest.empty() || rest.size() > 2 || !absl::ascii_isdigit(rest[0])) return false;
  return rest.size() == 1 || absl::ascii_isalnum(rest[1]);
}

}  // namespace

std::string Postcode::Normalised() const { return absl::StrCat(outward, " ", inward); }

std::string Postcode::Sector() const { return absl::StrCat(outward, " ", inward.substr(0, 1)); }

std::string Postcode::Area() const {
  size_t letters = 0;
  while (letters < outward.size() && absl::ascii_isalpha(outward[letters])) ++letters;
  return outward.substr(0, letters);
}

absl::StatusOr<Postcode> ParsePostcode(absl::string_view text) {
  std::string compact;
  compact.reserve(kMaxLength);
  for (char c : text) {
    if (c == ' ') continue;
    if (!absl::ascii_isalnum(c)) {
      return absl::InvalidArgumentError(
          "postcode has characters other than letters, digits and spaces");
    }
    // Keep going to the end so that a stray character is reported as such,
    // whatever the length, but stop collecting once it is too long anyway.
    if (compact.size() <= kMaxLength) compact.push_back(absl::ascii_toupper(c));
  }
  if (compact.empty()) return absl::InvalidArgumentError("postcode is empty");
  if (compact.size() < kMinLength) {
    return absl::InvalidArgumentError("postcode is too short to be a full postcode");
  }
  if (compact.size() > kMaxLength) {
    return absl::InvalidArgumentError(
        "postcode is too long to be a unit postcode (at most 7 letters and digits)");
  }
  absl::string_view view = compact;
  absl::string_view outward = view.substr(0, view.size() - kInwardLength);
  absl::string_view inward = view.substr(view.size() - kInwardLength);
  if (!absl::ascii_isdigit(inward[0]) || !absl::ascii_isalpha(inward[1]) ||
      !absl::ascii_isalpha(inward[2])) {
    return absl::InvalidArgumentError(
        "postcode inward code must be a digit followed by two letters");
  }
  if (!IsValidOutward(outward)) {
    return absl::InvalidArgumentError(
        "postcode outward code is not a valid shape (expected A9, A99, AA9, AA99, A9A or "
        "AA9A, where A is a letter and 9 a digit)");
  }
  return Postcode{std::string(outward), std::string(inward)};
}

}  // namespace referrals
