#include "services/routing/lifecycle_store.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/pipeline/record_reader.h"
#include "common/redis/redis_script.h"
#include "referrals/v1/lifecycle.pb.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/referral_lifecycle.h"

namespace referrals {
namespace {

using referrals::v1::ReferralRecord;

// KEYS[1] record, KEYS[2] history, KEYS[3] lifecycle stream, KEYS[4] the
// worklist it is on, KEYS[5] the worklist it goes to (redirect; else the
// same), KEYS[6] deadlines, KEYS[7] overdue, KEYS[8] the closed index
// (retention: a final status adds the referral with its closed_ms).
// ARGV[1] referral id, ARGV[2] etag ("0": no check), ARGV[3] the queue the
// caller read, ARGV[4] allowed statuses as ",3,4,", ARGV[5] new status,
// ARGV[6] "1": refuse while another claimer holds a live lease, ARGV[7]
// actor, ARGV[8] now ms, ARGV[9] history entry, ARGV[10] event, ARGV[11]
// "leave" | "move" | "stay", ARGV[12] to queue, ARGV[13] score on the new
// worklist, ARGV[14 ..] field/value pairs to set.
// Returns {1, status, version}, or {code, status, version} with code -1 no
// record, -2 status does not allow it, -3 stale etag, -4 queue moved since
// the caller read it (retry), -5 leased to someone else.
constexpr char kTransitionScript[] = R"lua(
local rec = redis.call('HMGET', KEYS[1], 'status', 'version', 'queue', 'lease_holder',
                       'lease_until_ms')
if not rec[1] then return {-1, 0, 0} end
local version = tonumber(rec[2] or '0')
if ARGV[2] ~= '0' and tonumber(ARGV[2]) ~= version then return {-3, tonumber(rec[1]), version} end
if (rec[3] or '') ~= ARGV[3] then return {-4, tonumber(rec[1]), version} end
if not string.find(ARGV[4], ',' .. rec[1] .. ',', 1, true) then
  return {-2, tonumber(rec[1]), version}
end
if ARGV[6] == '1' and rec[4] and rec[4] ~= ARGV[7] and
   tonumber(rec[5] or '0') > tonumber(ARGV[8]) then
  return {-5, tonumber(rec[1]), version}
end
redis.call('HSET', KEYS[1], 'status', ARGV[5])
for i = 14, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'closed_ms' then redis.call('ZADD', KEYS[8], ARGV[i + 1], ARGV[1]) end
end
local mode = ARGV[11]
if mode == 'leave' then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('ZREM', KEYS[6], ARGV[1])
  redis.call('ZREM', KEYS[7], ARGV[1])
  redis.call('HDEL', KEYS[1], 'lease_holder', 'lease_until_ms')
elseif mode == 'move' then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[5], ARGV[13], ARGV[1])
  redis.call('HSET', KEYS[1], 'queue', ARGV[12])
  redis.call('HDEL', KEYS[1], 'lease_holder', 'lease_until_ms')
end
local new_version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('RPUSH', KEYS[2], ARGV[9])
redis.call('XADD', KEYS[3], '*', 'referral_id', ARGV[1], 'event', ARGV[10])
return {1, tonumber(ARGV[5]), new_version}
)lua";

const RedisScript& TransitionScript() {
  static const RedisScript* script = new RedisScript(kTransitionScript);
  return *script;
}

std::string AllowedStatuses(referrals::v1::LifecycleAction action) {
  std::string out = ",";
  for (referrals::v1::ReferralStatus status : StatusesAllowing(action)) {
    absl::StrAppend(&out, static_cast<int>(status), ",");
  }
  return out;
}

// A refusal for `status`, from the state machine (names status and action).
absl::Status Refusal(int status, referrals::v1::LifecycleAction action) {
  const auto s = referrals::v1::ReferralStatus_IsValid(status)
                     ? static_cast<referrals::v1::ReferralStatus>(status)
                     : referrals::v1::REFERRAL_STATUS_UNSPECIFIED;
  absl::StatusOr<referrals::v1::ReferralStatus> next = NextStatus(s, action);
  return next.ok() ? absl::AbortedError("the referral changed meanwhile; read it again")
                   : next.status();
}

}  // namespace

LifecycleStore::LifecycleStore(Keys keys, std::shared_ptr<const RulesConfig> config,
                               std::shared_ptr<const DataKeyring> keyring)
    : keys_(std::move(keys)),
      config_(std::move(config)),
      keyring_(keyring != nullptr ? std::move(keyring)
                                  : std::shared_ptr<const DataKeyring>(DataKeyring::Disabled())) {}

absl::StatusOr<ReferralRecord> LifecycleStore::Get(RedisConnection& connection,
                                                   absl::string_view referral_id) const {
  absl::StatusOr<ReferralRecord> record = ReadReferralRecord(connection, keys_, referral_id);
  if (!record.ok()) return record.status();
  for (referrals::v1::LifecycleAction action : AllowedActions(record->status())) {
    record->add_allowed_actions(action);
  }
  return record;
}

absl::StatusOr<ReferralRecord> LifecycleStore::GetOpened(RedisConnection& connection,
                                                         absl::string_view referral_id) const {
  absl::StatusOr<ReferralRecord> record =
      ReadReferralRecord(connection, keys_, referral_id, keyring_.get());
  if (!record.ok()) return record.status();
  for (referrals::v1::LifecycleAction action : AllowedActions(record->status())) {
    record->add_allowed_actions(action);
  }
  return record;
}

absl::StatusOr<std::string> LifecycleStore::ReferralIdForRequest(
    RedisConnection& connection, absl::string_view request_id) const {
  return ReferralIdForRequest(connection, "anonymous", request_id);
}

absl::StatusOr<std::string> LifecycleStore::ReferralIdForRequest(
    RedisConnection& connection, absl::string_view client_id, absl::string_view request_id) const {
  absl::StatusOr<RedisReply> reply =
      connection.Command({"HGET", keys_.Idempotency(client_id, request_id), "referral_id"});
  if (!reply.ok()) return reply.status();
  if (!reply->is_string() || reply->str.empty()) {
    return absl::NotFoundError("no referral was submitted with that request id");
  }
  return reply->str;
}

std::string LifecycleStore::TeamNameOf(absl::string_view queue) const {
  const referrals::v1::Team* team = config_->FindTeamByQueue(queue);
  return team != nullptr ? team->name() : std::string(queue);
}

std::string LifecycleStore::AuthorityNameOf(absl::string_view queue) const {
  const referrals::v1::Team* team = config_->FindTeamByQueue(queue);
  if (team == nullptr || team->authority_id().empty()) return "";
  const referrals::v1::Authority* authority = config_->FindAuthority(team->authority_id());
  return authority != nullptr ? authority->name() : team->authority_id();
}

std::string LifecycleStore::AuthorityIdOf(absl::string_view queue) const {
  const referrals::v1::Team* team = config_->FindTeamByQueue(queue);
  return team != nullptr ? team->authority_id() : "";
}

absl::StatusOr<TransitionResult> LifecycleStore::Transition(RedisConnection& connection,
                                                            const TransitionRequest& request,
                                                            absl::Time now) const {
  const bool redirect = request.action == referrals::v1::LIFECYCLE_ACTION_REDIRECT;
  if (redirect) {
    const referrals::v1::Team* team = config_->FindTeamByQueue(request.to_queue);
    if (team == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("no queue named ", request.to_queue, " in rules ", config_->version()));
    }
    if (team->id() == config_->out_of_area_team().id()) {
      return absl::FailedPreconditionError(
          "cannot redirect to the out-of-area queue: reject it instead");
    }
  }
  const std::string record_key = keys_.Referral(request.referral_id);
  const std::string history_key = keys_.History(request.referral_id);
  const std::string lifecycle_stream = LifecycleStream(keys_);
  const std::string deadlines = DeadlinesKey(keys_);
  const std::string overdue = OverdueKey(keys_);
  const std::string closed = ClosedKey(keys_);
  const std::string allowed = AllowedStatuses(request.action);
  const std::string etag = absl::StrCat(request.etag);
  const std::string now_ms = absl::StrCat(absl::ToUnixMillis(now));
  const bool check_lease = request.action == referrals::v1::LIFECYCLE_ACTION_ACCEPT ||
                           request.action == referrals::v1::LIFECYCLE_ACTION_REDIRECT ||
                           request.action == referrals::v1::LIFECYCLE_ACTION_REJECT;

  // The queue can move between the read and the script (a concurrent
  // redirect); the script then refuses and this reads again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<ReferralRecord> record = Get(connection, request.referral_id);
    if (!record.ok()) return record.status();
    if (request.etag != 0 && request.etag != record->etag()) {
      return absl::AbortedError(absl::StrCat("etag ", request.etag,
                                             " is stale: the referral is at ", record->etag(),
                                             "; read it again"));
    }
    absl::StatusOr<referrals::v1::ReferralStatus> next =
        NextStatus(record->status(), request.action);
    if (!next.ok()) return next.status();
    if (redirect && request.to_queue == record->queue()) {
      return absl::FailedPreconditionError(
          absl::StrCat("referral is already on queue ", request.to_queue));
    }

    referrals::v1::StageEntry entry;
    entry.set_stage(referrals::v1::STAGE_LIFECYCLE);
    entry.set_status(*next);
    *entry.mutable_time() = ToTimestamp(now);
    entry.set_action(request.action);
    entry.set_actor(request.actor);
    entry.set_caller_id(request.caller_id);
    entry.set_from_queue(record->queue());
    entry.set_comment(request.comment);
    entry.set_reject_reason(request.reject_reason);
    std::string summary = absl::StrCat(ActionName(request.action), ": ",
                                       StatusName(record->status()), " -> ", StatusName(*next));
    if (redirect) {
      entry.set_to_queue(request.to_queue);
      absl::StrAppend(&summary, " (queue ", record->queue(), " -> ", request.to_queue, ")");
    }
    if (request.action == referrals::v1::LIFECYCLE_ACTION_REJECT) {
      absl::StrAppend(&summary, " (", referrals::v1::RejectReason_Name(request.reject_reason), ")");
    }
    entry.set_summary(summary);

    referrals::v1::LifecycleEvent event;
    *event.mutable_meta() = NewEventMeta(request.referral_id, record->correlation_id(), now);
    event.set_action(request.action);
    event.set_from_status(record->status());
    event.set_to_status(*next);
    event.set_from_queue(record->queue());
    event.set_to_queue(request.to_queue);
    event.set_actor(request.actor);
    event.set_caller_id(request.caller_id);
    event.set_reject_reason(request.reject_reason);

    const std::string from_worklist = WorklistKey(keys_, record->queue());
    const std::string to_worklist = redirect ? WorklistKey(keys_, request.to_queue) : from_worklist;
    const std::string status = absl::StrCat(static_cast<int>(*next));
    const std::string entry_bytes = entry.SerializeAsString();
    const std::string event_bytes = event.SerializeAsString();
    const std::string score = absl::StrCat(
        WorklistScore(record->decision().priority(), FromTimestamp(record->received_time())));
    std::string mode = "stay";
    if (redirect) {
      mode = "move";
    } else if (!IsAwaitingAction(*next)) {
      mode = IsAwaitingAction(record->status()) ? "leave" : "stay";
    }
    std::vector<std::string_view> args = {request.referral_id,
                                          etag,
                                          record->queue(),
                                          allowed,
                                          status,
                                          check_lease ? "1" : "0",
                                          request.actor,
                                          now_ms,
                                          entry_bytes,
                                          event_bytes,
                                          mode,
                                          request.to_queue,
                                          score};
    const std::string reason = absl::StrCat(static_cast<int>(request.reject_reason));
    if (request.action == referrals::v1::LIFECYCLE_ACTION_ACCEPT) {
      args.insert(args.end(), {kFieldAcceptedBy, request.actor, kFieldAcceptedMs, now_ms});
    } else if (request.action == referrals::v1::LIFECYCLE_ACTION_REJECT) {
      args.insert(args.end(), {kFieldRejectReason, reason});
    }
    // Final: retention counts from now (retention_sweeper.h).
    if (IsFinal(*next)) args.insert(args.end(), {kFieldClosedMs, now_ms});
    absl::StatusOr<RedisReply> reply =
        TransitionScript().Run(connection,
                               {record_key, history_key, lifecycle_stream, from_worklist,
                                to_worklist, deadlines, overdue, closed},
                               args);
    if (!reply.ok()) return reply.status();
    if (!reply->is_array() || reply->elements.size() != 3) {
      return absl::InternalError("lifecycle script returned an unexpected reply");
    }
    const int64_t code = reply->elements[0].integer;
    const int64_t current_status = reply->elements[1].integer;
    const int64_t version = reply->elements[2].integer;
    switch (code) {
      case 1:
        return TransitionResult{static_cast<referrals::v1::ReferralStatus>(current_status),
                                version};
      case -1:
        return absl::NotFoundError(absl::StrCat("no referral ", request.referral_id));
      case -2:
        return Refusal(static_cast<int>(current_status), request.action);
      case -3:
        return absl::AbortedError(absl::StrCat(
            "etag ", request.etag, " is stale: the referral is at ", version, "; read it again"));
      case -4:
        continue;
      case -5:
        return absl::FailedPreconditionError(
            "another claimer holds a live lease on the referral; wait for it to be released or "
            "to expire");
      default:
        return absl::InternalError("lifecycle script returned an unknown code");
    }
  }
  return absl::AbortedError("the referral kept moving between queues; read it again");
}

}  // namespace referrals
