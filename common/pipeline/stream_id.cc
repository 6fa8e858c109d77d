#include "common/pipeline/stream_id.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace referrals {
namespace {

// Decimal digits only, at most 20 of them, fitting in uint64_t, without
// leading zeros (so each id has one spelling and Parse/ToString round-trip).
std::optional<uint64_t> ParseDecimal(absl::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;  // overflow
  return value;
}

}  // namespace

std::optional<StreamId> StreamId::Parse(absl::string_view text) {
  const size_t dash = text.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  std::optional<uint64_t> millis = ParseDecimal(text.substr(0, dash));
  std::optional<uint64_t> sequence = ParseDecimal(text.substr(dash + 1));
  if (!millis.has_value() || !sequence.has_value()) return std::nullopt;
  return StreamId{*millis, *sequence};
}

StreamId StreamId::AtTime(absl::Time time) {
  const int64_t millis = absl::ToUnixMillis(time);
  return StreamId{millis < 0 ? 0 : static_cast<uint64_t>(millis), 0};
}

std::string StreamId::ToString() const { return absl::StrCat(millis, "-", sequence); }

}  // namespace referrals
