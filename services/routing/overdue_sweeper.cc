#include "services/routing/overdue_sweeper.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/redis/redis_script.h"
#include "common/service/log.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/lifecycle.pb.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/lifecycle_keys.h"

namespace referrals {
namespace {

// KEYS[1] record, KEYS[2] history, KEYS[3] deadlines, KEYS[4] overdue,
// KEYS[5] escalations stream.
// ARGV[1] referral id, ARGV[2] now ms, ARGV[3] the queue the caller read,
// ARGV[4] history entry, ARGV[5] event, ARGV[6] awaiting statuses ",3,4,".
// Returns 1 flagged now; 0 nothing to do (dropped from deadlines); -1 the
// queue moved since the caller read it (left for the next sweep).
constexpr char kEscalateScript[] = R"lua(
local rec = redis.call('HMGET', KEYS[1], 'status', 'overdue_ms', 'respond_by_ms', 'queue')
if not rec[1] or rec[2] or not string.find(ARGV[6], ',' .. rec[1] .. ',', 1, true) then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
if (rec[4] or '') ~= ARGV[3] then return -1 end
redis.call('HSET', KEYS[1], 'overdue_ms', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('ZADD', KEYS[4], rec[3] or ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('XADD', KEYS[5], '*', 'referral_id', ARGV[1], 'event', ARGV[5])
return 1
)lua";

const RedisScript& EscalateScript() {
  static const RedisScript* script = new RedisScript(kEscalateScript);
  return *script;
}

}  // namespace

OverdueSweeper::OverdueSweeper(Keys keys, std::function<absl::Time()> clock)
    : keys_(std::move(keys)), clock_(std::move(clock)) {}

OverdueSweeper::~OverdueSweeper() { Stop(); }

absl::StatusOr<int> OverdueSweeper::SweepOnce(RedisConnection& connection, absl::Time now,
                                              int limit) const {
  const std::string now_ms = absl::StrCat(absl::ToUnixMillis(now));
  const std::string deadlines = DeadlinesKey(keys_);
  absl::StatusOr<RedisReply> due = connection.Command(
      {"ZRANGEBYSCORE", deadlines, "-inf", now_ms, "LIMIT", "0", absl::StrCat(limit)});
  if (!due.ok()) return due.status();
  if (due->type == RedisReply::Type::kError) return StatusFromRedisError(due->str);
  const std::string overdue = OverdueKey(keys_);
  const std::string escalations = EscalationsStream(keys_);
  const std::string awaiting =
      absl::StrCat(",", static_cast<int>(referrals::v1::REFERRAL_STATUS_ROUTED), ",",
                   static_cast<int>(referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE), ",");
  int flagged = 0;
  for (const RedisReply& member : due->elements) {
    const std::string& referral_id = member.str;
    const std::string record_key = keys_.Referral(referral_id);
    absl::StatusOr<RedisReply> fields = connection.Command(
        {"HMGET", record_key, kFieldQueue, kFieldRespondByMs, kFieldDecision, kFieldCorrelationId});
    if (!fields.ok()) return fields.status();
    if (!fields->is_array() || fields->elements.size() != 4) {
      return absl::InternalError("unexpected HMGET reply");
    }
    const std::string& queue = fields->elements[0].str;
    int64_t respond_by_ms = 0;
    (void)absl::SimpleAtoi(fields->elements[1].str, &respond_by_ms);
    referrals::v1::RoutingDecision decision;
    (void)decision.ParseFromString(fields->elements[2].str);

    referrals::v1::StageEntry entry;
    entry.set_stage(referrals::v1::STAGE_ESCALATION);
    *entry.mutable_time() = ToTimestamp(now);
    entry.set_summary(
        absl::StrCat("Overdue: not accepted on queue ", queue, " by its respond-by time ",
                     absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(respond_by_ms),
                                      absl::UTCTimeZone())));
    entry.set_worker("overdue-sweeper");
    referrals::v1::ReferralEscalated event;
    *event.mutable_meta() = NewEventMeta(referral_id, fields->elements[3].str, now);
    event.set_queue(queue);
    event.set_priority(decision.priority());
    *event.mutable_respond_by() = ToTimestamp(absl::FromUnixMillis(respond_by_ms));
    *event.mutable_overdue_time() = ToTimestamp(now);
    const std::string entry_bytes = entry.SerializeAsString();
    const std::string event_bytes = event.SerializeAsString();
    absl::StatusOr<RedisReply> result = EscalateScript().Run(
        connection, {record_key, keys_.History(referral_id), deadlines, overdue, escalations},
        {referral_id, now_ms, queue, entry_bytes, event_bytes, awaiting});
    if (!result.ok()) return result.status();
    if (result->type == RedisReply::Type::kInteger && result->integer == 1) {
      ++flagged;
      Log(LogLevel::kInfo, "referral_overdue", {{"referral_id", referral_id}, {"queue", queue}});
    }
  }
  return flagged;
}

void OverdueSweeper::Start(RedisOptions redis, absl::Duration interval) {
  thread_ = std::make_unique<std::thread>([this, redis = std::move(redis), interval] {
    std::unique_ptr<RedisConnection> connection;
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      if (connection == nullptr) {
        auto connected = RedisConnection::Connect(redis);
        if (!connected.ok()) {
          Log(LogLevel::kWarning, "overdue_sweep_failed",
              {{"error", std::string(connected.status().message())}});
          continue;
        }
        connection = *std::move(connected);
      }
      absl::StatusOr<int> swept = SweepOnce(*connection, clock_());
      if (!swept.ok()) {
        Log(LogLevel::kWarning, "overdue_sweep_failed",
            {{"error", std::string(swept.status().message())}});
        connection.reset();
      }
    }
  });
}

void OverdueSweeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_ != nullptr && thread_->joinable()) thread_->join();
}

}  // namespace referrals
