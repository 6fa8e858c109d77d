// Reads one stream through a Redis consumer group and hands each entry to a
// handler, so several replicas of a stage can share the work.
//
// Delivery is at least once: an entry stays pending until the handler's
// atomic commit acknowledges it (see stage_commit.h), so a crash at any point
// leaves it to be read again. On start the consumer first re-reads its own
// pending entries; entries left pending by another consumer for longer than
// `claim_min_idle` are claimed (XAUTOCLAIM) and processed here. Redelivered
// entries (own pending ones, claimed ones) are read one at a time, so an
// entry is only redelivered when it is next in line, and the delivery counts
// Redis keeps for entries behind it do not grow while it is retried.
//
// What the handler's status means:
//   OK                                   the entry was committed and acked
//   INVALID_ARGUMENT, FAILED_PRECONDITION,
//   DATA_LOSS, OUT_OF_RANGE              it can never succeed: dead-lettered
//                                        with the reason, and acked
//   anything else (UNAVAILABLE ...)      transient: left pending, retried after
//                                        a capped exponential backoff with
//                                        jitter; dead-lettered once it has
//                                        been tried `max_attempts` times
//
// Attempts are counted across processes with the group's delivery count
// (XPENDING, the extended form for the one entry): the larger of it and this
// process's own failure count. A redelivered entry whose delivery count is
// already above `max_attempts` (every earlier delivery ended without an ack:
// it crashed or hung the consumers that took it) is dead-lettered without
// calling the handler. An entry delivered in a batch that was abandoned
// before its turn counts that delivery too, so it may reach the handler one
// time fewer than `max_attempts`.
//
// A dead letter is one entry on `dead_letter_stream` with fields
// "referral_id", "stage" and "event" (a serialized referrals.v1.DeadLetter
// holding the stage, the source stream and entry id, the error, the attempts
// and the original payload); it is written and the entry acked in one
// MULTI/EXEC.
//
// Maintenance, run by every consumer after each full XAUTOCLAIM pass (every
// `claim_interval` at most):
//   - Consumers of the group other than this one that have been idle for
//     `consumer_expiry` and have nothing pending are removed from the group
//     (see RemoveIdleConsumers). A dead consumer's pending entries are
//     claimed after `claim_min_idle` first, so it is removed on a later pass.
//   - The input stream is trimmed (see TrimConsumedEntries) of entries older
//     than `trim_retention` that every group on it has finished with. Only the
//     consumer's own input stream is ever trimmed.
// Maintenance failures are logged and counted, never fatal.
#ifndef COMMON_PIPELINE_STREAM_CONSUMER_H_
#define COMMON_PIPELINE_STREAM_CONSUMER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/redis_connection.h"

namespace referrals {

struct StreamEntry {
  std::string id;            // stream entry id, e.g. "1700000000000-0"
  std::string referral_id;   // the entry's "referral_id" field (may be empty)
  std::string payload;       // the entry's "event" field
  bool has_payload = false;  // false when the entry has no "event" field
};

struct StreamConsumerOptions {
  std::string stream;              // key of the stream to read
  std::string group;               // consumer group; created if missing
  std::string consumer;            // this consumer's name, unique per replica
  std::string dead_letter_stream;  // where poison entries go
  std::string stage;               // named in dead letters, e.g. "triage"
  int batch_size = 64;
  absl::Duration block = absl::Seconds(1);
  absl::Duration claim_min_idle = absl::Seconds(30);
  absl::Duration claim_interval = absl::Seconds(5);
  // Tries (deliveries, across processes) before an entry that keeps failing
  // transiently is dead-lettered. At least 1.
  int max_attempts = 5;
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(5);
  // Other consumers idle this long with nothing pending are removed from the
  // group. Should be well above `claim_min_idle`. InfiniteDuration(): never.
  absl::Duration consumer_expiry = absl::Hours(1);
  // Input entries older than this that no group still needs are trimmed.
  // InfiniteDuration(): never trim.
  absl::Duration trim_retention = absl::Hours(24);
};

// Checks options a deployment chooses (the services' flags): batch_size and
// max_attempts at least 1; claim_min_idle, claim_interval and block
// positive; trim_retention not negative; consumer_expiry at least
// claim_min_idle (a consumer that is merely waiting to claim is never
// expired). InfiniteDuration() is accepted for consumer_expiry and
// trim_retention. Errors: INVALID_ARGUMENT naming the first bad option.
absl::Status ValidateStreamConsumerOptions(const StreamConsumerOptions& options);

struct StreamConsumerStats {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> dead_lettered{0};
  std::atomic<int64_t> claimed{0};
  std::atomic<int64_t> redis_errors{0};
  std::atomic<int64_t> trimmed{0};            // input entries removed by trimming
  std::atomic<int64_t> consumers_removed{0};  // idle consumers removed from the group
  std::atomic<int64_t> maintenance_runs{0};   // completed maintenance passes
};

class StreamConsumer {
 public:
  // Called on the consumer's thread with its own connection, once per entry.
  using Handler = std::function<absl::Status(RedisConnection&, const StreamEntry&)>;
  // Called on the consumer's thread with its own connection for the entries
  // of one read (a new batch of up to `batch_size`, or one redelivered
  // entry). Returns a status per entry, in order, each meaning what a
  // Handler's status means; entries past the end of a shorter result were
  // not attempted and stay pending.
  using BatchHandler =
      std::function<std::vector<absl::Status>(RedisConnection&, absl::Span<const StreamEntry>)>;

  StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler);
  StreamConsumer(RedisOptions redis, StreamConsumerOptions options, BatchHandler handler);
  ~StreamConsumer();  // Stop()

  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // Starts the reading thread.
  void Start();
  // Finishes the entry in hand, leaves the rest of its batch pending but
  // marked idle (a live replica claims them on its next pass), joins.
  // Idempotent.
  void Stop();

  const StreamConsumerStats& stats() const { return stats_; }

 private:
  StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler,
                 BatchHandler batch_handler);
  void Run();
  absl::Status EnsureReady();
  // Processes entries in order. Returns false after a transient failure
  // (the entries that failed, or were not reached, stay pending for the
  // retry).
  // `redelivered`: the entries came from the pending scan or a claim, so
  // their delivery counts are checked before the handler sees them.
  bool ProcessBatch(const std::vector<StreamEntry>& entries, bool redelivered);
  // The per-entry Handler over a batch: stops at the first transient failure
  // or when asked to stop, returning the statuses of the entries it reached.
  std::vector<absl::Status> HandleEach(absl::Span<const StreamEntry> entries);
  // On stop, marks entries[first..] (read but not processed) as idle for
  // claim_min_idle, so a live replica claims them at once. Best effort.
  void ReleaseUnprocessed(const std::vector<StreamEntry>& entries, size_t first);
  // The group's delivery count for one entry; 0 when it is not pending.
  absl::StatusOr<int64_t> DeliveryCount(const std::string& entry_id);
  absl::Status DeadLetter(const StreamEntry& entry, const absl::Status& reason, int64_t attempts);
  // Idle consumer removal and trimming; see the file comment.
  void Maintain();
  void Backoff();

  const RedisOptions redis_options_;
  const StreamConsumerOptions options_;
  const Handler handler_;             // set by one constructor,
  const BatchHandler batch_handler_;  // or this by the other
  std::unique_ptr<RedisConnection> connection_;
  bool group_ready_ = false;
  bool pending_scan_ = true;
  absl::Time next_claim_ = absl::InfinitePast();
  std::string claim_cursor_ = "0-0";
  int64_t claimed_this_pass_ = 0;
  absl::Duration backoff_;
  absl::flat_hash_map<std::string, int> failures_;  // entry id -> transient failures
  StreamConsumerStats stats_;
  absl::Notification stop_;
  std::thread thread_;
};

// Parses the reply of XREADGROUP/XREAD (for one stream) or of XAUTOCLAIM
// into entries. Exposed for tests.
std::vector<StreamEntry> ParseStreamEntries(const RedisReply& entries);

// Removes from `group` on `stream` every consumer except `keep` that has no
// pending entries and has been idle (XINFO CONSUMERS "idle": since it last
// read, claimed or blocked) for at least `min_idle`. Check and removal are one
// Lua script, so a consumer that reads in between is never removed with
// entries pending (XGROUP DELCONSUMER would drop them from the group's
// pending list). Returns the names removed. Errors: FAILED_PRECONDITION (no
// such group), INTERNAL (no such stream), RedisConnection's errors.
absl::StatusOr<std::vector<std::string>> RemoveIdleConsumers(RedisConnection& connection,
                                                             const std::string& stream,
                                                             const std::string& group,
                                                             absl::Duration min_idle,
                                                             const std::string& keep);

struct TrimResult {
  int64_t trimmed = 0;  // entries removed
  // Entries below this id were eligible (the smaller of the cutoff and the
  // oldest id any group still needs); "0-0" when nothing was.
  std::string floor_id;
};

// Trims `stream` with XTRIM MINID (exact) below the smaller of `cutoff` and,
// for every consumer group on the stream, the oldest id it still needs: its
// oldest pending entry (XPENDING summary) when it has any, else its
// last-delivered-id. So no entry a group has not acknowledged, or not yet
// read, is ever removed; a stream with no group is not trimmed. One Lua
// script: a group created or moved back (XGROUP SETID) meanwhile cannot slip
// between the check and the trim. Errors: INTERNAL (no such stream), RedisConnection's
// errors.
absl::StatusOr<TrimResult> TrimConsumedEntries(RedisConnection& connection,
                                               const std::string& stream, absl::Time cutoff);

}  // namespace referrals

#endif  // COMMON_PIPELINE_STREAM_CONSUMER_H_
