// The one atomic step that ends a stage's work on a stream entry: write the
// stage's output events, update the referral record and its history, mark
// the stage done for the referral, and acknowledge the input entry.
//
// Idempotent by referral id and stage: if the stage is already marked done
// (the entry was processed before a crash lost the ack, or it was reclaimed
// from a consumer that died), nothing is written again and the input entry is
// just acknowledged. So a referral is routed at most once however often its
// entry is delivered, and at least once because the ack only happens here.
#ifndef COMMON_PIPELINE_STAGE_COMMIT_H_
#define COMMON_PIPELINE_STAGE_COMMIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"

namespace referrals {

struct StageOutput {
  std::string stream;   // key of the stream to append to
  std::string payload;  // serialized event, stored in the entry's "event" field
};

struct StageCommit {
  std::string referral_id;
  std::string stage;           // e.g. "triage"; names the done marker
  std::string input_stream;    // key of the stream the entry came from
  std::string group;           // consumer group to ack in
  std::string entry_id;        // the input entry's id
  int status = 0;              // new ReferralStatus value
  std::string record_field;    // e.g. "triage"
  std::string record_value;    // serialized result stored in the record
  std::string history_entry;   // serialized StageEntry
  std::vector<StageOutput> outputs;
  // Fields of the counters hash (Keys::Counters) to increment by one, e.g.
  // "signpost:POLICE": counted once per referral, with the commit.
  std::vector<std::string> counters;
  // Routing only: also put the referral on its queue's worklist.
  struct WorklistAdd {
    std::string worklist_key;   // sorted set; member: the referral id
    int64_t score = 0;          // its place on the worklist
    std::string queue;          // stored as the record's "queue"
    std::string deadlines_key;  // sorted set the overdue sweeper reads
    int64_t respond_by_ms = 0;  // record's "respond_by_ms"; 0: no target
  };
  std::optional<WorklistAdd> worklist;
};

enum class CommitResult {
  kCommitted,         // outputs written, entry acked
  kAlreadyCommitted,  // stage was already done for this referral; entry acked
};

// Runs the commit as one Lua script. Errors: FAILED_PRECONDITION when no
// record exists for the referral (the entry is not one intake stored; the
// caller dead-letters it), otherwise RedisConnection's errors (nothing was
// written; the entry stays pending and will be retried).
absl::StatusOr<CommitResult> CommitStage(RedisConnection& connection, const Keys& keys,
                                         const StageCommit& commit);

// Runs several commits, in order, as one Lua script: one round trip and one
// script call for a whole batch, which is where a stage's throughput comes
// from. Each commit behaves exactly as CommitStage would on its own, and the
// result for each is one of CommitStage's (kCommitted, kAlreadyCommitted, or
// FAILED_PRECONDITION when it has no record). The outer status is
// RedisConnection's error when the script did not run: then nothing of the
// batch was written. Commits for the same referral and stage in one batch:
// the first wins, the others are kAlreadyCommitted.
absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> CommitStages(
    RedisConnection& connection, const Keys& keys, absl::Span<const StageCommit> commits);

}  // namespace referrals

#endif  // COMMON_PIPELINE_STAGE_COMMIT_H_
