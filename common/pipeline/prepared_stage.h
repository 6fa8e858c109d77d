// A stage's work on a batch of stream entries, split in two: deciding what
// to commit for each entry (pure: no Redis), then committing every decision
// of the batch in one atomic script (see CommitStages). The triage and
// routing workers are both written this way.
#ifndef COMMON_PIPELINE_PREPARED_STAGE_H_
#define COMMON_PIPELINE_PREPARED_STAGE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stage_commit.h"
#include "common/pipeline/stream_consumer.h"
#include "common/redis/redis_connection.h"
#include "common/service/log.h"

namespace referrals {

// What a stage decided for one entry, ready to commit.
struct PreparedStage {
  StageCommit commit;
  // Logged (info) once the commit has landed: `log_event` when it was
  // written now, "<stage>_already_committed" when an earlier delivery had
  // written it. Ids and routing facts only.
  std::string log_event;
  LogFields log_fields;
};

// Decides one entry's commit. Errors are the entry's own (StreamConsumer
// dead-letters INVALID_ARGUMENT, FAILED_PRECONDITION, DATA_LOSS).
using StagePreparer = std::function<absl::StatusOr<PreparedStage>(const StreamEntry&)>;

// Prepares every entry, commits those prepared in one CommitStages call, logs
// each commit, and returns one status per entry, in order (the shape of
// StreamConsumer::BatchHandler): OK once committed (or found committed
// before); the preparer's error; FAILED_PRECONDITION when the referral has no
// record; or, for every prepared entry, the Redis error when the batch could
// not be committed (nothing was written; the entries stay pending).
std::vector<absl::Status> CommitPreparedStages(RedisConnection& connection, const Keys& keys,
                                               absl::Span<const StreamEntry> entries,
                                               const StagePreparer& prepare);

}  // namespace referrals

#endif  // COMMON_PIPELINE_PREPARED_STAGE_H_
