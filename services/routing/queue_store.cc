#include "services/routing/queue_store.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/pipeline/stream_consumer.h"
#include "google/protobuf/util/time_util.h"

namespace referrals {

absl::Time TimeOfEntryId(absl::string_view entry_id) {
  int64_t millis = 0;
  const size_t dash = entry_id.find('-');
  if (!absl::SimpleAtoi(entry_id.substr(0, dash), &millis)) return absl::InfinitePast();
  return absl::FromUnixMillis(millis);
}

QueueStore::QueueStore(Keys keys, std::shared_ptr<const RulesConfig> config)
    : keys_(std::move(keys)), config_(std::move(config)) {}

absl::StatusOr<std::vector<referrals::v1::QueueSummary>> QueueStore::ListQueues(
    RedisConnection& connection, absl::Time now) const {
  std::vector<referrals::v1::QueueSummary> queues;
  std::vector<std::vector<std::string>> commands;
  absl::flat_hash_set<std::string> seen;
  for (const referrals::v1::Team& team : config_->proto().teams()) {
    if (!seen.insert(team.queue()).second) continue;
    referrals::v1::QueueSummary summary;
    summary.set_queue(team.queue());
    summary.set_team_id(team.id());
    summary.set_team_name(team.name());
    summary.set_authority_id(team.authority_id());
    queues.push_back(std::move(summary));
    const std::string key = keys_.QueueStream(team.queue());
    commands.push_back({"XLEN", key});
    commands.push_back({"XRANGE", key, "-", "+", "COUNT", "1"});
  }
  absl::StatusOr<std::vector<RedisReply>> replies = connection.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < queues.size(); ++i) {
    const RedisReply& length = (*replies)[2 * i];
    const RedisReply& oldest = (*replies)[2 * i + 1];
    if (length.type == RedisReply::Type::kError) return StatusFromRedisError(length.str);
    queues[i].set_depth(length.integer);
    std::vector<StreamEntry> entries = ParseStreamEntries(oldest);
    if (!entries.empty()) {
      const absl::Time oldest_time = TimeOfEntryId(entries[0].id);
      *queues[i].mutable_oldest_time() = ToTimestamp(oldest_time);
      const absl::Duration age = std::max(absl::ZeroDuration(), now - oldest_time);
      *queues[i].mutable_oldest_age() =
          google::protobuf::util::TimeUtil::MillisecondsToDuration(absl::ToInt64Milliseconds(age));
    }
  }
  return queues;
}

absl::StatusOr<std::vector<QueueStore::QueueEntry>> QueueStore::Read(
    RedisConnection& connection, const std::string& queue, const std::string& after_id,
    absl::Duration block, int count) const {
  absl::StatusOr<RedisReply> reply = connection.Command(
      {"XREAD", "COUNT", absl::StrCat(count), "BLOCK",
       absl::StrCat(absl::ToInt64Milliseconds(block)), "STREAMS", keys_.QueueStream(queue),
       after_id});
  if (!reply.ok()) return reply.status();
  std::vector<QueueEntry> result;
  if (!reply->is_array() || reply->elements.empty()) return result;  // timed out
  const RedisReply& stream = reply->elements[0];
  if (!stream.is_array() || stream.elements.size() < 2) return result;
  for (StreamEntry& raw : ParseStreamEntries(stream.elements[1])) {
    QueueEntry entry;
    entry.id = std::move(raw.id);
    if (!entry.event.ParseFromString(raw.payload)) continue;
    result.push_back(std::move(entry));
  }
  return result;
}

absl::StatusOr<std::string> QueueStore::NewestId(RedisConnection& connection,
                                                 const std::string& queue) const {
  absl::StatusOr<RedisReply> reply =
      connection.Command({"XREVRANGE", keys_.QueueStream(queue), "+", "-", "COUNT", "1"});
  if (!reply.ok()) return reply.status();
  std::vector<StreamEntry> entries = ParseStreamEntries(*reply);
  return entries.empty() ? std::string("0-0") : entries[0].id;
}

absl::StatusOr<std::map<std::string, int64_t>> QueueStore::Counters(
    RedisConnection& connection) const {
  absl::StatusOr<RedisReply> reply = connection.Command({"HGETALL", keys_.Counters()});
  if (!reply.ok()) return reply.status();
  std::map<std::string, int64_t> counters;
  for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    int64_t value = 0;
    if (absl::SimpleAtoi(reply->elements[i + 1].str, &value)) {
      counters[reply->elements[i].str] = value;
    }
  }
  return counters;
}

}  // namespace referrals
