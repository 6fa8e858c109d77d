#include "common/pipeline/stage_commit.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_script.h"

namespace referrals {
namespace {

// KEYS[1] record hash, KEYS[2] history list, KEYS[3] input stream,
// KEYS[4 .. 3+n] the n output streams, KEYS[4+n] the counters hash.
// ARGV[1] group, ARGV[2] entry id, ARGV[3] done-marker field, ARGV[4] status,
// ARGV[5] history entry, ARGV[6] record field, ARGV[7] record value,
// ARGV[8] referral id, ARGV[9] n, ARGV[10 .. 9+n] one payload per output
// stream, ARGV[10+n ..] counter fields to increment by one.
// With a worklist: KEYS[5+n] worklist, KEYS[6+n] deadlines, and the last
// three ARGV are the score, the queue and the respond-by ms.
// Every commit adds one to the record's "version" (its etag).
constexpr char kCommitScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
if redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[2]) == 0 then
  redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
  return 0
end
local n = tonumber(ARGV[9])
for i = 1, n do
  redis.call('XADD', KEYS[3 + i], '*', 'referral_id', ARGV[8], 'event', ARGV[9 + i])
end
local last = #ARGV
if #KEYS > 4 + n then
  last = last - 3
  redis.call('ZADD', KEYS[5 + n], ARGV[last + 1], ARGV[8])
  redis.call('HSET', KEYS[1], 'queue', ARGV[last + 2], 'respond_by_ms', ARGV[last + 3])
  if ARGV[last + 3] ~= '0' then
    redis.call('ZADD', KEYS[6 + n], ARGV[last + 3], ARGV[8])
  end
end
for i = 10 + n, last do
  redis.call('HINCRBY', KEYS[4 + n], ARGV[i], 1)
end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'status', ARGV[4], ARGV[6], ARGV[7])
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
return 1
)lua";

const RedisScript& CommitScript() {
  static const RedisScript* script = new RedisScript(kCommitScript);
  return *script;
}

}  // namespace

absl::StatusOr<CommitResult> CommitStage(RedisConnection& connection, const Keys& keys,
                                         const StageCommit& commit) {
  const std::string record_key = keys.Referral(commit.referral_id);
  const std::string history_key = keys.History(commit.referral_id);
  const std::string done_field = absl::StrCat("done:", commit.stage);
  const std::string status = absl::StrCat(commit.status);

  std::vector<std::string_view> script_keys = {record_key, history_key, commit.input_stream};
  std::vector<std::string_view> args = {commit.group,         commit.entry_id,
                                        done_field,           status,
                                        commit.history_entry, commit.record_field,
                                        commit.record_value,  commit.referral_id};
  const std::string output_count = absl::StrCat(commit.outputs.size());
  args.push_back(output_count);
  for (const StageOutput& output : commit.outputs) {
    script_keys.push_back(output.stream);
    args.push_back(output.payload);
  }
  const std::string counters_key = keys.Counters();
  script_keys.push_back(counters_key);
  for (const std::string& counter : commit.counters) args.push_back(counter);
  std::string score, respond_by;
  if (commit.worklist.has_value()) {
    score = absl::StrCat(commit.worklist->score);
    respond_by = absl::StrCat(commit.worklist->respond_by_ms);
    script_keys.push_back(commit.worklist->worklist_key);
    script_keys.push_back(commit.worklist->deadlines_key);
    args.insert(args.end(), {score, commit.worklist->queue, respond_by});
  }
  absl::StatusOr<RedisReply> reply = CommitScript().Run(connection, script_keys, args);
  if (!reply.ok()) return reply.status();
  if (reply->type != RedisReply::Type::kInteger) {
    return absl::InternalError("stage commit script returned an unexpected reply");
  }
  switch (reply->integer) {
    case 1:
      return CommitResult::kCommitted;
    case 0:
      return CommitResult::kAlreadyCommitted;
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("no referral record for ", commit.referral_id));
  }
}

}  // namespace referrals
