// Redis stream entry ids ("<milliseconds>-<sequence>", both unsigned 64-bit
// decimal) as values that can be checked, compared and formatted. Used to
// validate ids that come from callers before they reach Redis, and to reason
// about how far a stream can safely be trimmed.
#ifndef COMMON_PIPELINE_STREAM_ID_H_
#define COMMON_PIPELINE_STREAM_ID_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace referrals {

struct StreamId {
  uint64_t millis = 0;
  uint64_t sequence = 0;

  // Parses the canonical full form only: decimal digits, one '-', decimal
  // digits, each part fitting in 64 bits, no sign, spaces, leading '+' or
  // leading zeros, so Parse(text)->ToString() == text.
  // The shorthands Redis accepts elsewhere ("5", "-", "+", "$", ">") are
  // rejected. Returns nullopt for anything else.
  static std::optional<StreamId> Parse(absl::string_view text);

  // The smallest id whose time is `time` (sequence 0). Times before the
  // epoch give 0-0.
  static StreamId AtTime(absl::Time time);

  // "<millis>-<sequence>".
  std::string ToString() const;

  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

}  // namespace referrals

#endif  // COMMON_PIPELINE_STREAM_ID_H_
