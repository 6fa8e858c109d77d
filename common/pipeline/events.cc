#include "common/pipeline/events.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/keys.h"

namespace referrals {
namespace {

uint64_t RandomBits() {
  static thread_local absl::BitGen gen;
  return absl::Uniform<uint64_t>(gen);
}

}  // namespace

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1000000000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string NewRandomId(absl::string_view prefix) {
  return absl::StrCat(prefix, absl::Hex(RandomBits(), absl::kZeroPad16));
}

std::string NewReferralId(absl::Time now) {
  const std::string hex = absl::StrCat(absl::Hex(RandomBits(), absl::kZeroPad16));
  return absl::StrCat("R-", absl::FormatTime("%Y%m%d", now, absl::UTCTimeZone()), "-",
                      hex.substr(0, 12));
}

bool IsWellFormedReferralId(absl::string_view id) {
  // R-YYYYMMDD-xxxxxxxxxxxx
  if (id.size() != 23 || id.substr(0, 2) != "R-" || id[10] != '-') return false;
  for (size_t i = 2; i < 10; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  for (size_t i = 11; i < id.size(); ++i) {
    const char c = id[i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

referrals::v1::EventMeta NewEventMeta(absl::string_view referral_id,
                                      absl::string_view correlation_id, absl::Time now) {
  referrals::v1::EventMeta meta;
  meta.set_event_id(NewRandomId("E-"));
  meta.set_referral_id(std::string(referral_id));
  meta.set_schema_version(kEventSchemaVersion);
  *meta.mutable_occurred_time() = ToTimestamp(now);
  meta.set_correlation_id(std::string(correlation_id));
  return meta;
}

}  // namespace referrals
