#include "common/pipeline/stream_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/pipeline/stream_id.h"
#include "common/redis/redis_script.h"
#include "common/service/log.h"
#include "google/protobuf/util/time_util.h"
#include "referrals/v1/events.pb.h"

namespace referrals {
namespace {

bool IsPoison(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

std::string MillisString(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration));
}

// KEYS[1] stream. ARGV[1] group, ARGV[2] minimum idle (ms), ARGV[3] consumer
// to keep. Returns the names removed.
constexpr char kRemoveIdleConsumersScript[] = R"lua(
local removed = {}
local min_idle = tonumber(ARGV[2])
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #consumer, 2 do
    local field = consumer[i]
    if field == 'name' then name = consumer[i + 1]
    elseif field == 'pending' then pending = consumer[i + 1]
    elseif field == 'idle' then idle = consumer[i + 1] end
  end
  if name ~= nil and name ~= ARGV[3] and pending == 0 and idle ~= nil and idle >= min_idle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed[#removed + 1] = name
  end
end
return removed
)lua";

// KEYS[1] stream. ARGV[1] cutoff id. Returns {entries trimmed, floor id}.
// Ids are compared as decimal strings (length, then text), exact for any
// 64-bit part, where Lua's doubles would not be.
constexpr char kTrimScript[] = R"lua(
local function less_number(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function less_id(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  if a_ms ~= b_ms then return less_number(a_ms, b_ms) end
  return less_number(a_seq, b_seq)
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return {0, '0-0'} end
local floor = ARGV[1]
for _, group in ipairs(groups) do
  local name, pending, last
  for i = 1, #group, 2 do
    local field = group[i]
    if field == 'name' then name = group[i + 1]
    elseif field == 'pending' then pending = group[i + 1]
    elseif field == 'last-delivered-id' then last = group[i + 1] end
  end
  local needed = last
  if pending ~= nil and pending > 0 then
    needed = redis.call('XPENDING', KEYS[1], name)[2]
  end
  if needed == nil or not string.match(needed, '^%d+-%d+$') then return {0, '0-0'} end
  if less_id(needed, floor) then floor = needed end
end
if floor == '0-0' then return {0, floor} end
return {redis.call('XTRIM', KEYS[1], 'MINID', floor), floor}
)lua";

const RedisScript& RemoveIdleConsumersScript() {
  static const RedisScript* script = new RedisScript(kRemoveIdleConsumersScript);
  return *script;
}

const RedisScript& TrimScript() {
  static const RedisScript* script = new RedisScript(kTrimScript);
  return *script;
}

}  // namespace

absl::Status ValidateStreamConsumerOptions(const StreamConsumerOptions& options) {
  if (options.batch_size < 1) return absl::InvalidArgumentError("batch_size must be at least 1");
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("max_attempts must be at least 1");
  }
  if (options.block <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("block must be positive");
  }
  if (options.claim_min_idle <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("claim_min_idle must be positive");
  }
  if (options.claim_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("claim_interval must be positive");
  }
  if (options.trim_retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("trim_retention must not be negative");
  }
  if (options.consumer_expiry < options.claim_min_idle) {
    return absl::InvalidArgumentError(
        "consumer_expiry must be at least claim_min_idle: a dead consumer's entries are "
        "claimed first, then it expires");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RemoveIdleConsumers(RedisConnection& connection,
                                                             const std::string& stream,
                                                             const std::string& group,
                                                             absl::Duration min_idle,
                                                             const std::string& keep) {
  const std::string idle_ms = MillisString(std::max(min_idle, absl::ZeroDuration()));
  absl::StatusOr<RedisReply> reply =
      RemoveIdleConsumersScript().Run(connection, {stream}, {group, idle_ms, keep});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> removed;
  if (reply->is_nil()) return removed;  // Lua's empty table
  if (!reply->is_array()) {
    return absl::InternalError("consumer removal script returned an unexpected reply");
  }
  for (const RedisReply& name : reply->elements) removed.push_back(name.str);
  return removed;
}

absl::StatusOr<TrimResult> TrimConsumedEntries(RedisConnection& connection,
                                               const std::string& stream, absl::Time cutoff) {
  const std::string cutoff_id = StreamId::AtTime(cutoff).ToString();
  absl::StatusOr<RedisReply> reply = TrimScript().Run(connection, {stream}, {cutoff_id});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 2 ||
      reply->elements[0].type != RedisReply::Type::kInteger) {
    return absl::InternalError("trim script returned an unexpected reply");
  }
  TrimResult result;
  result.trimmed = reply->elements[0].integer;
  result.floor_id = reply->elements[1].str;
  return result;
}

std::vector<StreamEntry> ParseStreamEntries(const RedisReply& entries) {
  std::vector<StreamEntry> result;
  if (!entries.is_array()) return result;
  for (const RedisReply& raw : entries.elements) {
    if (!raw.is_array() || raw.elements.size() < 2 || !raw.elements[0].is_string()) continue;
    StreamEntry entry;
    entry.id = raw.elements[0].str;
    const RedisReply& fields = raw.elements[1];
    if (fields.is_array()) {
      for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
        const std::string& name = fields.elements[i].str;
        if (name == "event") {
          entry.payload = fields.elements[i + 1].str;
          entry.has_payload = true;
        } else if (name == "referral_id") {
          entry.referral_id = fields.elements[i + 1].str;
        }
      }
    }
    result.push_back(std::move(entry));
  }
  return result;
}

StreamConsumer::StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler,
                               BatchHandler batch_handler)
    : redis_options_([&] {
        // A blocking read must not hit the socket timeout before its block.
        redis.command_timeout = std::max(redis.command_timeout, options.block + absl::Seconds(2));
        return redis;
      }()),
      options_(std::move(options)),
      handler_(std::move(handler)),
      batch_handler_(std::move(batch_handler)),
      backoff_(options_.backoff_initial) {}

StreamConsumer::StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler)
    : StreamConsumer(std::move(redis), std::move(options), std::move(handler), BatchHandler()) {}

StreamConsumer::StreamConsumer(RedisOptions redis, StreamConsumerOptions options,
                               BatchHandler handler)
    : StreamConsumer(std::move(redis), std::move(options), Handler(), std::move(handler)) {}

StreamConsumer::~StreamConsumer() { Stop(); }

void StreamConsumer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StreamConsumer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status StreamConsumer::EnsureReady() {
  if (connection_ == nullptr) {
    auto connected = RedisConnection::Connect(redis_options_);
    if (!connected.ok()) return connected.status();
    connection_ = *std::move(connected);
    group_ready_ = false;
  }
  if (!group_ready_) {
    absl::StatusOr<RedisReply> created = connection_->Command(
        {"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"});
    if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
      return created.status();
    }
    group_ready_ = true;
  }
  return absl::OkStatus();
}

void StreamConsumer::Backoff() {
  // Full jitter: sleep a random time up to the current backoff, then double it.
  static thread_local absl::BitGen gen;
  const absl::Duration sleep = backoff_ * absl::Uniform(gen, 0.0, 1.0);
  stop_.WaitForNotificationWithTimeout(sleep);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
}

void StreamConsumer::Run() {
  Log(LogLevel::kInfo, "consumer_started",
      {{"stream", options_.stream}, {"group", options_.group}, {"consumer", options_.consumer}});
  while (!stop_.HasBeenNotified()) {
    if (absl::Status ready = EnsureReady(); !ready.ok()) {
      ++stats_.redis_errors;
      Log(LogLevel::kWarning, "consumer_redis_error",
          {{"stream", options_.stream}, {"error", std::string(ready.message())}});
      connection_.reset();
      Backoff();
      continue;
    }

    absl::StatusOr<RedisReply> reply;
    const std::string count = absl::StrCat(options_.batch_size);
    const bool claiming = !pending_scan_ && absl::Now() >= next_claim_;
    // Redelivered entries are taken one at a time; see the header.
    const bool redelivered = pending_scan_ || claiming;
    if (pending_scan_) {
      // Our own entries that were delivered but not acknowledged.
      reply = connection_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer,
                                    "COUNT", "1", "STREAMS", options_.stream, "0"});
    } else if (claiming) {
      reply = connection_->Command({"XAUTOCLAIM", options_.stream, options_.group,
                                    options_.consumer, MillisString(options_.claim_min_idle),
                                    claim_cursor_, "COUNT", "1"});
    } else {
      reply = connection_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer,
                                    "COUNT", count, "BLOCK", MillisString(options_.block),
                                    "STREAMS", options_.stream, ">"});
    }
    if (!reply.ok()) {
      ++stats_.redis_errors;
      if (reply.status().code() == absl::StatusCode::kFailedPrecondition) {
        group_ready_ = false;  // NOGROUP: the stream or group was deleted
      }
      Log(LogLevel::kWarning, "consumer_redis_error",
          {{"stream", options_.stream}, {"error", std::string(reply.status().message())}});
      if (connection_->broken()) connection_.reset();
      Backoff();
      continue;
    }

    std::vector<StreamEntry> entries;
    bool pass_complete = false;
    if (claiming) {
      // [next cursor, entries, deleted ids]
      if (reply->is_array() && reply->elements.size() >= 2) {
        claim_cursor_ = reply->elements[0].str;
        entries = ParseStreamEntries(reply->elements[1]);
        stats_.claimed += static_cast<int64_t>(entries.size());
        claimed_this_pass_ += static_cast<int64_t>(entries.size());
      } else {
        claim_cursor_ = "0-0";
      }
      if (claim_cursor_ == "0-0") {
        next_claim_ = absl::Now() + options_.claim_interval;
        pass_complete = true;
        if (claimed_this_pass_ > 0) {
          Log(LogLevel::kInfo, "consumer_claimed",
              {{"stream", options_.stream}, {"count", absl::StrCat(claimed_this_pass_)}});
        }
        claimed_this_pass_ = 0;
      }
    } else if (reply->is_array() && !reply->elements.empty()) {
      // [[stream, entries]]
      const RedisReply& stream = reply->elements[0];
      if (stream.is_array() && stream.elements.size() >= 2) {
        entries = ParseStreamEntries(stream.elements[1]);
      }
    }
    if (pending_scan_ && entries.empty()) pending_scan_ = false;

    if (ProcessBatch(entries, redelivered)) {
      backoff_ = options_.backoff_initial;
      if (pass_complete) Maintain();
    } else {
      pending_scan_ = true;
      Backoff();
    }
  }
  Log(LogLevel::kInfo, "consumer_stopped",
      {{"stream", options_.stream}, {"consumer", options_.consumer}});
}

bool StreamConsumer::ProcessBatch(const std::vector<StreamEntry>& entries, bool redelivered) {
  if (entries.empty()) return true;
  if (stop_.HasBeenNotified()) {
    ReleaseUnprocessed(entries, 0);
    return true;
  }
  // Entries that must not reach the handler are dead-lettered first.
  std::vector<StreamEntry> ready;
  std::vector<int64_t> deliveries;
  ready.reserve(entries.size());
  for (const StreamEntry& entry : entries) {
    if (!entry.has_payload) {
      // Deleted or trimmed under us, or written by something else: nothing to
      // process, so dead-letter it rather than drop it silently.
      absl::Status dead = DeadLetter(entry, absl::DataLossError("entry has no \"event\" field"), 1);
      if (!dead.ok()) return false;
      continue;
    }
    int64_t delivered = 1;  // a first read (">") is the first delivery
    if (redelivered) {
      absl::StatusOr<int64_t> count = DeliveryCount(entry.id);
      if (!count.ok()) {
        ++stats_.redis_errors;
        Log(LogLevel::kWarning, "consumer_redis_error",
            {{"stream", options_.stream}, {"error", std::string(count.status().message())}});
        if (connection_ == nullptr || connection_->broken()) connection_.reset();
        return false;
      }
      delivered = *count;
      if (delivered > options_.max_attempts) {
        // Every earlier delivery ended without an ack: it crashed or hung the
        // consumers that took it. Do not hand it to another one.
        absl::Status dead = DeadLetter(
            entry,
            absl::AbortedError(absl::StrCat("delivered ", delivered - 1,
                                            " times without being acknowledged (the consumers "
                                            "that took it may have crashed on it)")),
            delivered - 1);
        if (!dead.ok()) return false;
        failures_.erase(entry.id);
        continue;
      }
    }
    ready.push_back(entry);
    deliveries.push_back(delivered);
  }
  if (ready.empty()) return true;

  const std::vector<absl::Status> statuses =
      batch_handler_ ? batch_handler_(*connection_, ready) : HandleEach(ready);
  if (statuses.size() < ready.size() && stop_.HasBeenNotified()) {
    ReleaseUnprocessed(ready, statuses.size());
  }

  // After one transient failure the other failed entries are left pending
  // uncounted: the retry takes them one at a time and counts them then.
  bool transient_failure = false;
  for (size_t i = 0; i < statuses.size() && i < ready.size(); ++i) {
    const StreamEntry& entry = ready[i];
    const absl::Status& status = statuses[i];
    if (status.ok()) {
      failures_.erase(entry.id);
      ++stats_.processed;
      continue;
    }
    // After a transient failure only poison entries are still settled (when
    // the connection works): they need no delivery count.
    if (transient_failure &&
        (!IsPoison(status) || connection_ == nullptr || connection_->broken())) {
      continue;
    }
    int64_t attempts = std::max<int64_t>(++failures_[entry.id], deliveries[i]);
    if (!IsPoison(status)) {
      // Count deliveries to every consumer, not just this process's tries.
      // If Redis cannot say, the local count stands.
      absl::StatusOr<int64_t> count = DeliveryCount(entry.id);
      if (count.ok()) attempts = std::max(attempts, *count);
    }
    if (IsPoison(status) || attempts >= options_.max_attempts) {
      if (!DeadLetter(entry, status, attempts).ok()) {
        transient_failure = true;
      } else {
        failures_.erase(entry.id);
      }
      continue;
    }
    ++stats_.redis_errors;
    Log(LogLevel::kWarning, "entry_retry",
        {{"stream", options_.stream},
         {"entry_id", entry.id},
         {"referral_id", entry.referral_id},
         {"attempt", absl::StrCat(attempts)},
         {"error", std::string(status.message())}});
    transient_failure = true;
  }
  if (transient_failure && (connection_ == nullptr || connection_->broken())) {
    connection_.reset();
  }
  // Entries the handler did not reach (it stopped at a failure) are retried.
  const bool all_reached = statuses.size() >= ready.size() || stop_.HasBeenNotified();
  return !transient_failure && all_reached;
}

std::vector<absl::Status> StreamConsumer::HandleEach(absl::Span<const StreamEntry> entries) {
  std::vector<absl::Status> statuses;
  statuses.reserve(entries.size());
  for (const StreamEntry& entry : entries) {
    if (stop_.HasBeenNotified() || connection_ == nullptr) break;
    statuses.push_back(handler_(*connection_, entry));
    const absl::Status& status = statuses.back();
    if (!status.ok() && !IsPoison(status)) break;  // transient: the rest wait
  }
  return statuses;
}

void StreamConsumer::ReleaseUnprocessed(const std::vector<StreamEntry>& entries, size_t first) {
  if (connection_ == nullptr || first >= entries.size()) return;
  // XCLAIM to ourselves with IDLE set to the claim threshold: the entries
  // stay pending (nothing is lost if this fails) but look abandoned, so a
  // live replica's next XAUTOCLAIM pass takes them now rather than after
  // claim_min_idle. JUSTID leaves their delivery counts alone.
  std::vector<std::string> command = {"XCLAIM", options_.stream, options_.group, options_.consumer,
                                      "0"};
  for (size_t i = first; i < entries.size(); ++i) command.push_back(entries[i].id);
  command.insert(command.end(), {"IDLE", MillisString(options_.claim_min_idle), "JUSTID"});
  std::vector<std::string_view> argv(command.begin(), command.end());
  absl::StatusOr<RedisReply> reply = connection_->Command(argv);
  Log(reply.ok() ? LogLevel::kInfo : LogLevel::kWarning, "consumer_released",
      {{"stream", options_.stream},
       {"count", absl::StrCat(entries.size() - first)},
       {"error", reply.ok() ? "" : std::string(reply.status().message())}});
}

absl::StatusOr<int64_t> StreamConsumer::DeliveryCount(const std::string& entry_id) {
  if (connection_ == nullptr) return absl::UnavailableError("no Redis connection");
  // Extended form for one id: [[id, consumer, idle ms, delivery count]].
  absl::StatusOr<RedisReply> reply =
      connection_->Command({"XPENDING", options_.stream, options_.group, entry_id, entry_id, "1"});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.empty()) return 0;  // not pending (acked meanwhile)
  const RedisReply& row = reply->elements[0];
  if (!row.is_array() || row.elements.size() < 4 ||
      row.elements[3].type != RedisReply::Type::kInteger) {
    return absl::InternalError("XPENDING returned an unexpected reply");
  }
  return row.elements[3].integer;
}

void StreamConsumer::Maintain() {
  if (connection_ == nullptr) return;
  ++stats_.maintenance_runs;
  if (options_.consumer_expiry != absl::InfiniteDuration()) {
    absl::StatusOr<std::vector<std::string>> removed = RemoveIdleConsumers(
        *connection_, options_.stream, options_.group, options_.consumer_expiry, options_.consumer);
    if (!removed.ok()) {
      ++stats_.redis_errors;
      Log(LogLevel::kWarning, "consumer_cleanup_failed",
          {{"stream", options_.stream}, {"error", std::string(removed.status().message())}});
      if (connection_->broken()) {
        connection_.reset();
        return;
      }
    } else if (!removed->empty()) {
      stats_.consumers_removed += static_cast<int64_t>(removed->size());
      Log(LogLevel::kInfo, "idle_consumers_removed",
          {{"stream", options_.stream},
           {"group", options_.group},
           {"consumers", absl::StrJoin(*removed, ",")}});
    }
  }
  if (options_.trim_retention != absl::InfiniteDuration()) {
    absl::StatusOr<TrimResult> trimmed =
        TrimConsumedEntries(*connection_, options_.stream, absl::Now() - options_.trim_retention);
    if (!trimmed.ok()) {
      ++stats_.redis_errors;
      Log(LogLevel::kWarning, "stream_trim_failed",
          {{"stream", options_.stream}, {"error", std::string(trimmed.status().message())}});
      if (connection_->broken()) connection_.reset();
    } else if (trimmed->trimmed > 0) {
      stats_.trimmed += trimmed->trimmed;
      Log(LogLevel::kInfo, "stream_trimmed",
          {{"stream", options_.stream},
           {"count", absl::StrCat(trimmed->trimmed)},
           {"below", trimmed->floor_id}});
    }
  }
}

absl::Status StreamConsumer::DeadLetter(const StreamEntry& entry, const absl::Status& reason,
                                        int64_t attempts) {
  if (connection_ == nullptr) return absl::UnavailableError("no Redis connection");
  referrals::v1::DeadLetter letter;
  letter.set_stage(options_.stage);
  letter.set_stream(options_.stream);
  letter.set_entry_id(entry.id);
  letter.set_error(std::string(reason.message()));
  letter.set_attempts(attempts);
  *letter.mutable_dead_lettered_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now()));
  letter.set_payload(entry.payload);
  const std::string serialized = letter.SerializeAsString();
  // Dead letter and ack in one MULTI/EXEC: the entry is never both lost and
  // unacknowledged, nor dead-lettered twice.
  absl::StatusOr<std::vector<RedisReply>> replies = connection_->Pipeline({
      {"MULTI"},
      {"XADD", options_.dead_letter_stream, "*", "referral_id", entry.referral_id, "stage",
       options_.stage, "event", serialized},
      {"XACK", options_.stream, options_.group, entry.id},
      {"EXEC"},
  });
  if (!replies.ok() || replies->size() != 4 || replies->back().type != RedisReply::Type::kArray) {
    ++stats_.redis_errors;
    if (connection_->broken()) connection_.reset();
    return replies.ok() ? absl::InternalError("dead-letter transaction failed") : replies.status();
  }
  ++stats_.dead_lettered;
  Log(LogLevel::kWarning, "entry_dead_lettered",
      {{"stream", options_.stream},
       {"entry_id", entry.id},
       {"referral_id", entry.referral_id},
       {"error", std::string(reason.message())}});
  return absl::OkStatus();
}

}  // namespace referrals
