// Reads one stream through a Redis consumer group and hands each entry to a
// handler, so several replicas of a stage can share the work.
//
// Delivery is at least once: an entry stays pending until the handler's
// atomic commit acknowledges it (see stage_commit.h), so a crash at any point
// leaves it to be read again. On start the consumer first re-reads its own
// pending entries; entries left pending by another consumer for longer than
// `claim_min_idle` are claimed (XAUTOCLAIM) and processed here.
//
// What the handler's status means:
//   OK                                   the entry was committed and acked
//   INVALID_ARGUMENT, FAILED_PRECONDITION,
//   DATA_LOSS, OUT_OF_RANGE              it can never succeed: dead-lettered
//                                        with the reason, and acked
//   anything else (UNAVAILABLE ...)      transient: left pending, retried after
//                                        a capped exponential backoff with
//                                        jitter; dead-lettered after
//                                        `max_attempts` failures
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
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"

namespace referrals {

struct StreamEntry {
  std::string id;           // stream entry id, e.g. "1700000000000-0"
  std::string referral_id;  // the entry's "referral_id" field (may be empty)
  std::string payload;      // the entry's "event" field
  bool has_payload = false; // false when the entry has no "event" field
};

struct StreamConsumerOptions {
  std::string stream;             // key of the stream to read
  std::string group;              // consumer group; created if missing
  std::string consumer;           // this consumer's name, unique per replica
  std::string dead_letter_stream; // where poison entries go
  std::string stage;              // named in dead letters, e.g. "triage"
  int batch_size = 64;
  absl::Duration block = absl::Seconds(1);
  absl::Duration claim_min_idle = absl::Seconds(30);
  absl::Duration claim_interval = absl::Seconds(5);
  int max_attempts = 5;
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(5);
};

struct StreamConsumerStats {
  std::atomic<int64_t> processed{0};
  std::atomic<int64_t> dead_lettered{0};
  std::atomic<int64_t> claimed{0};
  std::atomic<int64_t> redis_errors{0};
};

class StreamConsumer {
 public:
  // Called on the consumer's thread with its own connection.
  using Handler = std::function<absl::Status(RedisConnection&, const StreamEntry&)>;

  StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler);
  ~StreamConsumer();  // Stop()

  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // Starts the reading thread.
  void Start();
  // Finishes the entry in hand, leaves the rest pending, joins. Idempotent.
  void Stop();

  const StreamConsumerStats& stats() const { return stats_; }

 private:
  void Run();
  absl::Status EnsureReady();
  // Processes entries in order. Returns false if it stopped early after a
  // transient failure (the rest stay pending for the retry).
  bool ProcessBatch(const std::vector<StreamEntry>& entries);
  absl::Status DeadLetter(const StreamEntry& entry, const absl::Status& reason, int attempts);
  void Backoff();

  const RedisOptions redis_options_;
  const StreamConsumerOptions options_;
  const Handler handler_;
  std::unique_ptr<RedisConnection> connection_;
  bool group_ready_ = false;
  bool pending_scan_ = true;
  absl::Time next_claim_ = absl::InfinitePast();
  std::string claim_cursor_ = "0-0";
  absl::Duration backoff_;
  absl::flat_hash_map<std::string, int> failures_;  // entry id -> transient failures
  StreamConsumerStats stats_;
  absl::Notification stop_;
  std::thread thread_;
};

// Parses the reply of XREADGROUP/XREAD (for one stream) or of XAUTOCLAIM
// into entries. Exposed for tests.
std::vector<StreamEntry> ParseStreamEntries(const RedisReply& entries);

}  // namespace referrals

#endif  // COMMON_PIPELINE_STREAM_CONSUMER_H_
