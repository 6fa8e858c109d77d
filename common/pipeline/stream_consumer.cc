#include "common/pipeline/stream_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

}  // namespace

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

StreamConsumer::StreamConsumer(RedisOptions redis, StreamConsumerOptions options, Handler handler)
    : redis_options_([&] {
        // A blocking read must not hit the socket timeout before its block.
        redis.command_timeout =
            std::max(redis.command_timeout, options.block + absl::Seconds(2));
        return redis;
      }()),
      options_(std::move(options)),
      handler_(std::move(handler)),
      backoff_(options_.backoff_initial) {}

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
    bool claiming = false;
    if (pending_scan_) {
      // Our own entries that were delivered but not acknowledged.
      reply = connection_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer,
                                    "COUNT", count, "STREAMS", options_.stream, "0"});
    } else if (absl::Now() >= next_claim_) {
      claiming = true;
      reply = connection_->Command({"XAUTOCLAIM", options_.stream, options_.group,
                                    options_.consumer, MillisString(options_.claim_min_idle),
                                    claim_cursor_, "COUNT", count});
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
    if (claiming) {
      // [next cursor, entries, deleted ids]
      if (reply->is_array() && reply->elements.size() >= 2) {
        claim_cursor_ = reply->elements[0].str;
        entries = ParseStreamEntries(reply->elements[1]);
        stats_.claimed += static_cast<int64_t>(entries.size());
      }
      if (claim_cursor_ == "0-0") next_claim_ = absl::Now() + options_.claim_interval;
      if (!entries.empty()) {
        Log(LogLevel::kInfo, "consumer_claimed",
            {{"stream", options_.stream}, {"count", absl::StrCat(entries.size())}});
      }
    } else if (reply->is_array() && !reply->elements.empty()) {
      // [[stream, entries]]
      const RedisReply& stream = reply->elements[0];
      if (stream.is_array() && stream.elements.size() >= 2) {
        entries = ParseStreamEntries(stream.elements[1]);
      }
    }
    if (pending_scan_ && entries.empty()) pending_scan_ = false;

    if (ProcessBatch(entries)) {
      backoff_ = options_.backoff_initial;
    } else {
      pending_scan_ = true;
      Backoff();
    }
  }
  Log(LogLevel::kInfo, "consumer_stopped",
      {{"stream", options_.stream}, {"consumer", options_.consumer}});
}

bool StreamConsumer::ProcessBatch(const std::vector<StreamEntry>& entries) {
  for (const StreamEntry& entry : entries) {
    if (stop_.HasBeenNotified()) return true;  // the rest stay pending for a restart
    if (!entry.has_payload) {
      // Deleted or trimmed under us, or written by something else: nothing to
      // process, so dead-letter it rather than drop it silently.
      absl::Status dead =
          DeadLetter(entry, absl::DataLossError("entry has no \"event\" field"), 1);
      if (!dead.ok()) return false;
      continue;
    }
    absl::Status status = handler_(*connection_, entry);
    if (status.ok()) {
      failures_.erase(entry.id);
      ++stats_.processed;
      continue;
    }
    const int attempts = ++failures_[entry.id];
    if (IsPoison(status) || attempts >= options_.max_attempts) {
      if (!DeadLetter(entry, status, attempts).ok()) return false;
      failures_.erase(entry.id);
      continue;
    }
    ++stats_.redis_errors;
    Log(LogLevel::kWarning, "entry_retry",
        {{"stream", options_.stream},
         {"entry_id", entry.id},
         {"referral_id", entry.referral_id},
         {"attempt", absl::StrCat(attempts)},
         {"error", std::string(status.message())}});
    if (connection_->broken()) connection_.reset();
    return false;
  }
  return true;
}

absl::Status StreamConsumer::DeadLetter(const StreamEntry& entry, const absl::Status& reason,
                                        int attempts) {
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
