#include "services/routing/operations_reader.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/stream_consumer.h"
#include "services/routing/lifecycle_keys.h"

namespace referrals {
namespace {

constexpr int kBands = 4;  // emergency, urgent, routine, unknown (see WorklistScore)

// The integer a reply carries (integer or numeric string); 0 otherwise.
int64_t IntegerOf(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::kInteger) return reply.integer;
  int64_t value = 0;
  if (reply.is_string() && absl::SimpleAtoi(reply.str, &value)) return value;
  return 0;
}

}  // namespace

OperationsReader::OperationsReader(Keys keys, std::shared_ptr<const RulesConfig> config)
    : keys_(std::move(keys)), config_(std::move(config)) {}

absl::StatusOr<OperationsSnapshot> OperationsReader::Read(RedisConnection& connection,
                                                          absl::Time now) const {
  OperationsSnapshot snapshot;
  snapshot.taken = now;
  const referrals::v1::RoutingConfig& rules = config_->proto();
  std::vector<std::vector<std::string>> commands;
  absl::flat_hash_set<std::string> seen;
  for (const referrals::v1::Team& team : rules.teams()) {
    if (!seen.insert(team.queue()).second) continue;
    QueueOperations queue;
    queue.queue = team.queue();
    queue.team_id = team.id();
    queue.team_name = team.name();
    queue.authority_id = team.authority_id();
    if (const referrals::v1::Authority* authority = config_->FindAuthority(team.authority_id());
        authority != nullptr) {
      queue.authority_name = authority->name();
    }
    queue.has_worklist = team.id() != rules.out_of_area_team();
    queue.manual_triage = team.id() == rules.manual_triage_team();
    commands.push_back({"XLEN", keys_.QueueStream(team.queue())});
    if (queue.has_worklist) {
      const std::string worklist = WorklistKey(keys_, team.queue());
      commands.push_back({"ZCARD", worklist});
      commands.push_back({"ZINTERCARD", "2", OverdueKey(keys_), worklist, "LIMIT",
                          absl::StrCat(kOverdueCountLimit)});
      for (int band = 0; band < kBands; ++band) {
        commands.push_back({"ZRANGEBYSCORE", worklist, absl::StrCat(band * kWorklistBand),
                            absl::StrCat("(", (band + 1) * kWorklistBand), "WITHSCORES", "LIMIT",
                            "0", "1"});
      }
    }
    snapshot.queues.push_back(std::move(queue));
  }
  commands.push_back({"XLEN", keys_.DeadLetterStream()});
  commands.push_back({"ZCARD", OverdueKey(keys_)});
  commands.push_back({"XINFO", "GROUPS", keys_.TriagedStream()});
  commands.push_back({"HGETALL", keys_.Counters()});

  absl::StatusOr<std::vector<RedisReply>> replies = connection.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (replies->size() != commands.size()) return absl::InternalError("short pipeline reply");
  size_t next = 0;
  auto take = [&]() -> const RedisReply& { return (*replies)[next++]; };
  auto failed = [](const RedisReply& reply) { return reply.type == RedisReply::Type::kError; };

  for (QueueOperations& queue : snapshot.queues) {
    const RedisReply& length = take();
    if (failed(length)) return StatusFromRedisError(length.str);
    queue.routed = IntegerOf(length);
    if (!queue.has_worklist) continue;
    const RedisReply& waiting = take();
    const RedisReply& overdue = take();
    if (failed(waiting)) return StatusFromRedisError(waiting.str);
    if (failed(overdue)) return StatusFromRedisError(overdue.str);
    queue.waiting = IntegerOf(waiting);
    queue.overdue = IntegerOf(overdue);
    for (int band = 0; band < kBands; ++band) {
      const RedisReply& first = take();
      if (failed(first)) return StatusFromRedisError(first.str);
      if (!first.is_array() || first.elements.size() < 2) continue;
      int64_t score = 0;
      if (!absl::SimpleAtoi(first.elements[1].str, &score)) {
        double as_double = 0;
        if (!absl::SimpleAtod(first.elements[1].str, &as_double)) continue;
        score = static_cast<int64_t>(as_double);
      }
      const absl::Time received = absl::FromUnixMillis(score - band * kWorklistBand);
      if (!queue.oldest_received.has_value() || received < *queue.oldest_received) {
        queue.oldest_received = received;
      }
    }
  }
  const RedisReply& dead_letters = take();
  if (failed(dead_letters)) return StatusFromRedisError(dead_letters.str);
  snapshot.dead_letters = IntegerOf(dead_letters);
  const RedisReply& overdue = take();
  if (failed(overdue)) return StatusFromRedisError(overdue.str);
  snapshot.overdue = IntegerOf(overdue);

  // XINFO GROUPS: an error when the stream does not exist yet (nothing
  // triaged): no lag known, nothing pending.
  const RedisReply& groups = take();
  if (groups.is_array()) {
    for (const RedisReply& group : groups.elements) {
      if (!group.is_array()) continue;
      std::map<std::string, const RedisReply*> fields;
      for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
        fields[group.elements[i].str] = &group.elements[i + 1];
      }
      auto name = fields.find("name");
      if (name == fields.end() || name->second->str != kRoutingGroup) continue;
      if (auto pending = fields.find("pending"); pending != fields.end()) {
        snapshot.consumer_pending = IntegerOf(*pending->second);
      }
      if (auto lag = fields.find("lag"); lag != fields.end() && !lag->second->is_nil()) {
        snapshot.consumer_lag = IntegerOf(*lag->second);
      }
    }
  }
  const RedisReply& counters = take();
  if (failed(counters)) return StatusFromRedisError(counters.str);
  for (size_t i = 0; i + 1 < counters.elements.size(); i += 2) {
    snapshot.counters[counters.elements[i].str] = IntegerOf(counters.elements[i + 1]);
  }
  return snapshot;
}

}  // namespace referrals
