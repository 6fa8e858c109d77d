// Reads a referral's record (the hash every stage writes and the lifecycle
// changes) and its history into a referrals.v1.ReferralRecord: the one
// reader intake's GetReferral and routing's lifecycle reads share.
#ifndef COMMON_PIPELINE_RECORD_READER_H_
#define COMMON_PIPELINE_RECORD_READER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/data_keyring.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

// One round trip (HGETALL + LRANGE pipelined). Fills every field the hash
// holds: status, receipt time, correlation id, triage, decision, history,
// the lifecycle's etag, queue, respond-by, lease, overdue, acceptance and
// reject reason, the data key id and the purge time. `allowed_actions` is
// left to the caller.
//
// The referral: with `keyring`, the sealed referral is opened into
// `referral` (in memory only); without (nullptr) it is left empty, for
// callers that need only the routing facts. A record written before issue 8
// holds it in clear, and that is always read.
// Errors: NOT_FOUND (no record), DATA_LOSS (a field does not parse),
// FAILED_PRECONDITION naming the referral and key ids when the keyring lacks
// the key the referral was sealed with, DATA_LOSS when it does not open,
// RedisConnection's errors.
absl::StatusOr<referrals::v1::ReferralRecord> ReadReferralRecord(
    RedisConnection& connection, const Keys& keys, absl::string_view referral_id,
    const DataKeyring* keyring = nullptr);

}  // namespace referrals

#endif  // COMMON_PIPELINE_RECORD_READER_H_
