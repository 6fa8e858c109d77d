// Where the receiving teams' state lives in Redis, beside the keys of
// common/pipeline/keys.h (same prefix), and the record fields it adds.
#ifndef SERVICES_ROUTING_LIFECYCLE_KEYS_H_
#define SERVICES_ROUTING_LIFECYCLE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "referrals/v1/decision.pb.h"

namespace referrals {

// Sorted set per queue: the referrals awaiting action there (member: the
// referral id), scored by WorklistScore.
inline std::string WorklistKey(const Keys& keys, absl::string_view queue) {
  return absl::StrCat(keys.prefix(), "worklist:", queue);
}
// Sorted set: referrals awaiting action that have a respond-by time (score:
// that time in Unix ms) and have not been flagged overdue yet.
inline std::string DeadlinesKey(const Keys& keys) {
  return absl::StrCat(keys.prefix(), "deadlines");
}
// Sorted set: referrals flagged overdue and still awaiting action (score:
// their respond-by time in Unix ms).
inline std::string OverdueKey(const Keys& keys) { return absl::StrCat(keys.prefix(), "overdue"); }
// Sorted set: closed referrals (final status) not yet purged, scored by when
// they closed (ms); retention_sweeper.h reads it.
inline std::string ClosedKey(const Keys& keys) { return absl::StrCat(keys.prefix(), "closed"); }
// Stream of LifecycleEvent, one per transition.
inline std::string LifecycleStream(const Keys& keys) {
  return absl::StrCat(keys.prefix(), "stream:lifecycle");
}
// Stream of ReferralEscalated, at most one per referral.
inline std::string EscalationsStream(const Keys& keys) {
  return absl::StrCat(keys.prefix(), "stream:escalations");
}

// The fields the lifecycle adds to the referral hash are in common/pipeline/keys.h.

// Worklist order: emergency before urgent before routine (before unknown),
// then oldest received first. Scores are exact integers (well within a
// double's 53 bits): band * 10^13 + received Unix ms.
inline constexpr int64_t kWorklistBand = 10'000'000'000'000;
inline int64_t WorklistScore(referrals::v1::Priority priority, absl::Time received) {
  int64_t band = 3;
  if (priority == referrals::v1::PRIORITY_EMERGENCY) band = 0;
  if (priority == referrals::v1::PRIORITY_URGENT) band = 1;
  if (priority == referrals::v1::PRIORITY_ROUTINE) band = 2;
  return band * kWorklistBand + absl::ToUnixMillis(received);
}
// The priority a score was made from.
inline referrals::v1::Priority PriorityOfScore(int64_t score) {
  switch (score / kWorklistBand) {
    case 0:
      return referrals::v1::PRIORITY_EMERGENCY;
    case 1:
      return referrals::v1::PRIORITY_URGENT;
    case 2:
      return referrals::v1::PRIORITY_ROUTINE;
    default:
      return referrals::v1::PRIORITY_UNSPECIFIED;
  }
}

}  // namespace referrals

#endif  // SERVICES_ROUTING_LIFECYCLE_KEYS_H_
