// Reads a referral's record (the hash every stage writes and the lifecycle
// changes) and its history into a referrals.v1.ReferralRecord: the one
// reader intake's GetReferral and routing's lifecycle reads share.
#ifndef COMMON_PIPELINE_RECORD_READER_H_
#define COMMON_PIPELINE_RECORD_READER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

// One round trip (HGETALL + LRANGE pipelined). Fills every field the hash
// holds: referral, status, receipt time, correlation id, triage, decision,
// history, and the lifecycle's etag, queue, respond-by, lease, overdue,
// acceptance and reject reason. `allowed_actions` is left to the caller.
// Errors: NOT_FOUND (no record), DATA_LOSS (a field does not parse),
// RedisConnection's errors.
absl::StatusOr<referrals::v1::ReferralRecord> ReadReferralRecord(RedisConnection& connection,
                                                                 const Keys& keys,
                                                                 absl::string_view referral_id);

}  // namespace referrals

#endif  // COMMON_PIPELINE_RECORD_READER_H_
