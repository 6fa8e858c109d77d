// Reading and replaying the dead-letter stream (see StreamConsumer: each
// entry has fields "referral_id", "stage" and "event", a serialized
// referrals.v1.DeadLetter).
//
// Replay puts a dead letter's original entry back on the stream it came from,
// as a new entry with the fields a producer writes ("referral_id", "event"),
// so the stage's consumer group reads it like any other. Replay is safe to
// repeat and to race: the dead letter is removed in the same Lua script that
// re-adds the entry, so one dead letter yields at most one new entry, and a
// second replay answers NOT_FOUND. Each replay is recorded on the
// "<prefix>stream:replayed" audit stream (fields dead_letter_id, referral_id,
// stage, stream, entry_id: ids only, no payload).
//
// Stage commits are idempotent per referral and stage (stage_commit.h: the
// "done:<stage>" marker), so replaying an entry whose stage has already
// committed for that referral changes nothing: the stage just acknowledges it.
// A replayed entry that still cannot be processed is dead-lettered again,
// under a new id.
#ifndef COMMON_PIPELINE_DEAD_LETTER_STORE_H_
#define COMMON_PIPELINE_DEAD_LETTER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_id.h"
#include "common/redis/redis_connection.h"

namespace referrals {

// One dead letter, without its payload (the payload holds personal data).
struct DeadLetterInfo {
  std::string id;             // its id on the dead-letter stream
  std::string referral_id;    // may be empty (the entry had none)
  std::string stage;          // "triage" or "routing"
  std::string source_stream;  // key of the stream the entry came from
  std::string entry_id;       // the entry's id there
  std::string error;          // why it failed; never personal data
  int64_t attempts = 0;
  absl::Time dead_lettered_time = absl::UnixEpoch();
  // False when the "event" field does not parse: only `id`, `referral_id`
  // and `stage` are known, and the dead letter cannot be replayed.
  bool readable = true;
};

struct DeadLetterPage {
  std::vector<DeadLetterInfo> dead_letters;  // oldest first
  // Pass as `after` for the next page; nullopt when this is the last page.
  std::optional<StreamId> next_after;
};

struct ReplayResult {
  std::string referral_id;
  std::string stage;
  std::string source_stream;
  std::string entry_id;  // the new entry's id on `source_stream`
};

class DeadLetterStore {
 public:
  explicit DeadLetterStore(Keys keys);

  // Up to `page_size` (at least 1) dead letters with ids after `after` (from
  // the start when nullopt), oldest first. Errors: INVALID_ARGUMENT
  // (page_size < 1), Redis errors.
  absl::StatusOr<DeadLetterPage> List(RedisConnection& connection,
                                      const std::optional<StreamId>& after, int page_size) const;

  // Replays one dead letter; see the file comment. Errors: NOT_FOUND (no
  // such dead letter, or it was replayed already), FAILED_PRECONDITION (it
  // does not parse, has no payload, or names a source stream that is not one
  // of this prefix's stage input streams: nothing is ever written to a key
  // taken from stored data), Redis errors.
  absl::StatusOr<ReplayResult> Replay(RedisConnection& connection, const StreamId& id) const;

  // The audit stream of replays.
  std::string ReplayedStream() const { return keys_.ReplayedStream(); }

 private:
  Keys keys_;
};

}  // namespace referrals

#endif  // COMMON_PIPELINE_DEAD_LETTER_STORE_H_
