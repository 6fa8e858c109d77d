#include "tools/loadgen/queue_watcher.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/stream_consumer.h"
#include "referrals/v1/events.pb.h"

namespace referrals::loadgen {

QueueWatcher::QueueWatcher(RedisOptions redis, std::string prefix, std::vector<std::string> queues,
                           std::string tag, RequestLog* log)
    : redis_(std::move(redis)),
      prefix_(std::move(prefix)),
      queues_(std::move(queues)),
      tag_(std::move(tag)),
      log_(log),
      routed_key_(absl::StrCat(prefix_, "stream:routed")) {
  for (size_t i = 0; i < queues_.size(); ++i) index_of_[queues_[i]] = static_cast<int>(i);
  per_queue_.assign(queues_.size(), 0);
}

QueueWatcher::~QueueWatcher() { Stop(); }

absl::Status QueueWatcher::Start() {
  // The socket timeout must outlast a blocking read.
  redis_.command_timeout = std::max(redis_.command_timeout, absl::Seconds(5));
  auto connection = RedisConnection::Connect(redis_);
  if (!connection.ok()) return connection.status();
  connection_ = *std::move(connection);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void QueueWatcher::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  // Whatever landed since the last read.
  while (ReadOnce(0) > 0) {
  }
}

void QueueWatcher::Run() {
  while (!stop_) {
    if (ReadOnce(50) < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

RequestRecord* QueueWatcher::RecordFor(const std::string& payload, std::string* referral_id,
                                       std::string* queue, int64_t* received_us) const {
  referrals::v1::ReferralRouted event;
  if (!event.ParseFromString(payload)) return nullptr;
  const std::string& correlation = event.meta().correlation_id();
  uint64_t seq = 0;
  if (correlation.size() <= tag_.size() + 1 || !absl::StartsWith(correlation, tag_) ||
      correlation[tag_.size()] != '-' ||
      !absl::SimpleAtoi(absl::string_view(correlation).substr(tag_.size() + 1), &seq)) {
    return nullptr;
  }
  *referral_id = event.meta().referral_id();
  *queue = event.decision().queue();
  *received_us = event.received_time().seconds() * 1000000 + event.received_time().nanos() / 1000;
  return log_->Find(seq);
}

int QueueWatcher::ReadOnce(int block_ms) {
  std::vector<std::string_view> argv = {"XREAD", "COUNT", "2000"};
  const std::string block = absl::StrCat(block_ms);
  if (block_ms > 0) {
    argv.push_back("BLOCK");
    argv.push_back(block);
  }
  argv.insert(argv.end(), {"STREAMS", routed_key_, last_id_});
  absl::StatusOr<RedisReply> reply = connection_->Command(argv);
  // One timestamp per read: everything in it was on its queue by now.
  const int64_t now = NowNanos();
  if (!reply.ok()) {
    ++read_errors_;
    return -1;
  }
  // nil: nothing new within the block time; else [[stream, entries]].
  if (!reply->is_array() || reply->elements.empty() || !reply->elements[0].is_array() ||
      reply->elements[0].elements.size() < 2) {
    return 0;
  }
  int read = 0;
  for (const StreamEntry& entry : ParseStreamEntries(reply->elements[0].elements[1])) {
    last_id_ = entry.id;
    ++read;
    ++routed_events_;
    std::string referral_id, queue;
    int64_t received_us = 0;
    RequestRecord* record = RecordFor(entry.payload, &referral_id, &queue, &received_us);
    if (record == nullptr) {
      ++unexpected_;
      continue;
    }
    if (record->arrivals.fetch_add(1) == 0) {
      record->arrived_referral_id = std::move(referral_id);
      auto found = index_of_.find(queue);
      record->queue_index = found == index_of_.end() ? -1 : found->second;
      int64_t ms = 0;
      (void)absl::SimpleAtoi(absl::string_view(entry.id).substr(0, entry.id.find('-')), &ms);
      record->queue_ms = ms;
      record->received_us = received_us;
      record->arrived_ns.store(now, std::memory_order_release);
    }
  }
  return read;
}

absl::Status QueueWatcher::ScanQueues() {
  auto connection = RedisConnection::Connect(redis_);
  if (!connection.ok()) return connection.status();
  per_queue_.assign(queues_.size(), 0);
  unexpected_on_queues_ = 0;
  for (size_t q = 0; q < queues_.size(); ++q) {
    const std::string key = absl::StrCat(prefix_, "queue:", queues_[q]);
    std::string start = "-";
    while (true) {
      absl::StatusOr<RedisReply> reply =
          (*connection)->Command({"XRANGE", key, start, "+", "COUNT", "2000"});
      if (!reply.ok()) return reply.status();
      const std::vector<StreamEntry> entries = ParseStreamEntries(*reply);
      for (const StreamEntry& entry : entries) {
        ++per_queue_[q];
        std::string referral_id, queue;
        int64_t received_us = 0;
        RequestRecord* record = RecordFor(entry.payload, &referral_id, &queue, &received_us);
        if (record == nullptr) {
          ++unexpected_on_queues_;
          continue;
        }
        ++record->queue_entries;
        record->scanned_queue_index = static_cast<int>(q);
      }
      if (entries.size() < 2000) break;
      start = absl::StrCat("(", entries.back().id);  // exclusive: after the last one
    }
  }
  return absl::OkStatus();
}

}  // namespace referrals::loadgen
