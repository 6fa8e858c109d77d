// Small helpers for building events and ids.
#ifndef COMMON_PIPELINE_EVENTS_H_
#define COMMON_PIPELINE_EVENTS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "referrals/v1/events.pb.h"

namespace referrals {

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

// A new random id with the given prefix: PREFIX + 16 lower-case hex digits.
std::string NewRandomId(absl::string_view prefix);

// "R-YYYYMMDD-" + 12 hex digits, the date in UTC.
std::string NewReferralId(absl::Time now);

// True for ids NewReferralId makes. Used to reject malformed ids early.
bool IsWellFormedReferralId(absl::string_view id);

// A header for a new event about `referral_id`.
referrals::v1::EventMeta NewEventMeta(absl::string_view referral_id,
                                      absl::string_view correlation_id, absl::Time now);

}  // namespace referrals

#endif  // COMMON_PIPELINE_EVENTS_H_
