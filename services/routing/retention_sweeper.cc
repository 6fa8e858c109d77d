#include "services/routing/retention_sweeper.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/redis/redis_script.h"
#include "common/service/log.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/referral_lifecycle.h"

namespace referrals {
namespace {

// KEYS[1] record, KEYS[2] history, KEYS[3] closed index.
// ARGV[1] referral id, ARGV[2] the version read ("" : none), ARGV[3] the
// history length read, ARGV[4] now ms, ARGV[5] final statuses ",7,8,9,",
// ARGV[6 ..] the new history, oldest first.
// Returns 1 purged; 0 already purged (dropped from the index); -1 no record;
// -2 changed since read (read again); -3 not closed.
constexpr char kPurgeScript[] = R"lua(
local rec = redis.call('HMGET', KEYS[1], 'status', 'version', 'purged_ms')
if not rec[1] then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return -1
end
if rec[3] then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
if not string.find(ARGV[5], ',' .. rec[1] .. ',', 1, true) then return -3 end
if (rec[2] or '') ~= ARGV[2] or redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[3]) then
  return -2
end
redis.call('HDEL', KEYS[1], 'sealed_referral', 'referral', 'accepted_by', 'lease_holder',
           'lease_until_ms')
redis.call('HSET', KEYS[1], 'purged_ms', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('DEL', KEYS[2])
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
)lua";

const RedisScript& PurgeScript() {
  static const RedisScript* script = new RedisScript(kPurgeScript);
  return *script;
}

std::string FinalStatuses() {
  return absl::StrCat(",", static_cast<int>(referrals::v1::REFERRAL_STATUS_REJECTED), ",",
                      static_cast<int>(referrals::v1::REFERRAL_STATUS_COMPLETED), ",",
                      static_cast<int>(referrals::v1::REFERRAL_STATUS_CANCELLED), ",");
}

}  // namespace

RetentionSweeper::RetentionSweeper(Keys keys, absl::Duration retention,
                                   std::function<absl::Time()> clock)
    : keys_(std::move(keys)), retention_(retention), clock_(std::move(clock)) {}

RetentionSweeper::~RetentionSweeper() { Stop(); }

absl::StatusOr<bool> RetentionSweeper::PurgeReferral(RedisConnection& connection,
                                                     absl::string_view referral_id, absl::Time now,
                                                     absl::Duration older_than) const {
  const std::string record_key = keys_.Referral(referral_id);
  const std::string history_key = keys_.History(referral_id);
  const std::string closed = ClosedKey(keys_);
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::vector<RedisReply>> replies = connection.Pipeline({
        {"HMGET", record_key, kFieldStatus, kFieldVersion, kFieldClosedMs, kFieldPurgedMs},
        {"LRANGE", history_key, "0", "-1"},
    });
    if (!replies.ok()) return replies.status();
    const RedisReply& fields = (*replies)[0];
    const RedisReply& history = (*replies)[1];
    if (fields.type == RedisReply::Type::kError) return StatusFromRedisError(fields.str);
    if (history.type == RedisReply::Type::kError) return StatusFromRedisError(history.str);
    if (!fields.is_array() || fields.elements.size() != 4) {
      return absl::InternalError("unexpected HMGET reply");
    }
    if (fields.elements[0].is_nil()) {
      return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
    }
    if (!fields.elements[3].is_nil()) return false;
    int status = 0;
    (void)absl::SimpleAtoi(fields.elements[0].str, &status);
    if (!referrals::v1::ReferralStatus_IsValid(status) ||
        !IsFinal(static_cast<referrals::v1::ReferralStatus>(status))) {
      return absl::FailedPreconditionError(
          absl::StrCat("referral ", referral_id, " is not closed (",
                       StatusName(static_cast<referrals::v1::ReferralStatus>(status)),
                       "): only completed, rejected or cancelled referrals are purged"));
    }

    std::vector<referrals::v1::StageEntry> entries;
    for (const RedisReply& element : history.elements) {
      if (!entries.emplace_back().ParseFromString(element.str)) {
        return absl::DataLossError(absl::StrCat("referral ", referral_id, "'s history is corrupt"));
      }
    }
    // When it closed: the lifecycle's closed_ms; for a referral closed
    // before that existed, its last history step.
    int64_t closed_ms = 0;
    if (!absl::SimpleAtoi(fields.elements[2].str, &closed_ms) && !entries.empty()) {
      closed_ms = absl::ToUnixMillis(FromTimestamp(entries.back().time()));
    }
    const absl::Time closed_time = absl::FromUnixMillis(closed_ms);
    if (closed_time > now - older_than) {
      return absl::FailedPreconditionError(
          absl::StrCat("referral ", referral_id, " closed at ",
                       absl::FormatTime(absl::RFC3339_sec, closed_time, absl::UTCTimeZone()),
                       ", less than ", absl::FormatDuration(older_than), " ago"));
    }

    std::vector<std::string> new_history;
    new_history.reserve(entries.size() + 1);
    for (referrals::v1::StageEntry& entry : entries) {
      entry.clear_actor();
      entry.clear_comment();
      new_history.push_back(entry.SerializeAsString());
    }
    referrals::v1::StageEntry purge;
    purge.set_stage(referrals::v1::STAGE_RETENTION);
    purge.set_status(static_cast<referrals::v1::ReferralStatus>(status));
    *purge.mutable_time() = ToTimestamp(now);
    purge.set_summary(
        absl::StrCat("Personal data removed (retention): closed ",
                     absl::FormatTime(absl::RFC3339_sec, closed_time, absl::UTCTimeZone()),
                     "; the routing record and history stay"));
    purge.set_worker("retention-sweeper");
    new_history.push_back(purge.SerializeAsString());

    const std::string version = fields.elements[1].is_nil() ? "" : fields.elements[1].str;
    const std::string length = absl::StrCat(entries.size());
    const std::string now_ms = absl::StrCat(absl::ToUnixMillis(now));
    const std::string finals = FinalStatuses();
    const std::string id(referral_id);
    std::vector<std::string_view> args = {id, version, length, now_ms, finals};
    for (const std::string& entry : new_history) args.push_back(entry);
    absl::StatusOr<RedisReply> result =
        PurgeScript().Run(connection, {record_key, history_key, closed}, args);
    if (!result.ok()) return result.status();
    if (result->type != RedisReply::Type::kInteger) {
      return absl::InternalError("purge script returned an unexpected reply");
    }
    switch (result->integer) {
      case 1:
        Log(LogLevel::kInfo, "personal_data_purged", {{"referral_id", std::string(referral_id)}});
        return true;
      case 0:
        return false;
      case -1:
        return absl::NotFoundError(absl::StrCat("no referral ", referral_id));
      case -3:
        return absl::FailedPreconditionError(
            absl::StrCat("referral ", referral_id, " is not closed"));
      default:
        continue;  // -2: changed meanwhile
    }
  }
  return absl::AbortedError(
      absl::StrCat("referral ", referral_id, " kept changing while being purged; try again"));
}

absl::StatusOr<std::vector<std::string>> RetentionSweeper::SweepOnce(RedisConnection& connection,
                                                                     absl::Time now,
                                                                     absl::Duration older_than,
                                                                     int limit) const {
  const std::string cutoff_ms = absl::StrCat(absl::ToUnixMillis(now - older_than));
  absl::StatusOr<RedisReply> due = connection.Command(
      {"ZRANGEBYSCORE", ClosedKey(keys_), "-inf", cutoff_ms, "LIMIT", "0", absl::StrCat(limit)});
  if (!due.ok()) return due.status();
  if (due->type == RedisReply::Type::kError) return StatusFromRedisError(due->str);
  std::vector<std::string> purged;
  for (const RedisReply& member : due->elements) {
    absl::StatusOr<bool> done = PurgeReferral(connection, member.str, now, older_than);
    if (done.ok()) {
      if (*done) purged.push_back(member.str);
      continue;
    }
    if (absl::IsNotFound(done.status()) || absl::IsFailedPrecondition(done.status()) ||
        absl::IsAborted(done.status()) || absl::IsDataLoss(done.status())) {
      // This one only; the rest of the sweep goes on.
      Log(LogLevel::kWarning, "purge_skipped",
          {{"referral_id", member.str}, {"error", std::string(done.status().message())}});
      continue;
    }
    return done.status();
  }
  return purged;
}

void RetentionSweeper::Start(RedisOptions redis, absl::Duration interval) {
  thread_ = std::make_unique<std::thread>([this, redis = std::move(redis), interval] {
    std::unique_ptr<RedisConnection> connection;
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      if (connection == nullptr) {
        auto connected = RedisConnection::Connect(redis);
        if (!connected.ok()) {
          Log(LogLevel::kWarning, "retention_sweep_failed",
              {{"error", std::string(connected.status().message())}});
          continue;
        }
        connection = *std::move(connected);
      }
      absl::StatusOr<std::vector<std::string>> swept = SweepOnce(*connection, clock_());
      if (!swept.ok()) {
        Log(LogLevel::kWarning, "retention_sweep_failed",
            {{"error", std::string(swept.status().message())}});
        connection.reset();
      }
    }
  });
}

void RetentionSweeper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_ != nullptr && thread_->joinable()) thread_->join();
}

}  // namespace referrals
