#include "common/pipeline/stage_commit.h"

#include <deque>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_script.h"

namespace referrals {
namespace {

// KEYS[1] the counters hash, then for each commit: its record hash, history
// list, input stream and its n output streams.
// ARGV[1] the number of commits, then for each commit: group, entry id,
// done-marker field, status, history entry, record field, record value,
// referral id, n, one payload per output stream, the number of counter
// fields m, the m counter fields to increment by one, and w: 1 with a
// worklist (then two more KEYS, worklist and deadlines, and three more ARGV:
// score, queue, respond-by ms), else 0.
// Every commit adds one to the record's "version" (its etag).
// Returns one integer per commit: 1 committed, 0 already committed, -1 no
// record.
constexpr char kCommitScript[] = R"lua(
local results = {}
local k = 2
local a = 2
for c = 1, tonumber(ARGV[1]) do
  local record, history, input = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local group, entry = ARGV[a], ARGV[a + 1]
  local n = tonumber(ARGV[a + 8])
  local m = tonumber(ARGV[a + 9 + n])
  local w = tonumber(ARGV[a + 10 + n + m])
  if redis.call('EXISTS', record) == 0 then
    results[c] = -1
  elseif redis.call('HSETNX', record, ARGV[a + 2], entry) == 0 then
    redis.call('XACK', input, group, entry)
    results[c] = 0
  else
    for i = 1, n do
      redis.call('XADD', KEYS[k + 2 + i], '*', 'referral_id', ARGV[a + 7], 'event', ARGV[a + 8 + i])
    end
    for i = 1, m do
      redis.call('HINCRBY', KEYS[1], ARGV[a + 9 + n + i], 1)
    end
    if w == 1 then
      local score, queue, respond_by = ARGV[a + 11 + n + m], ARGV[a + 12 + n + m], ARGV[a + 13 + n + m]
      redis.call('ZADD', KEYS[k + 3 + n], score, ARGV[a + 7])
      redis.call('HSET', record, 'queue', queue, 'respond_by_ms', respond_by)
      if respond_by ~= '0' then
        redis.call('ZADD', KEYS[k + 4 + n], respond_by, ARGV[a + 7])
      end
    end
    redis.call('HINCRBY', record, 'version', 1)
    redis.call('HSET', record, 'status', ARGV[a + 3], ARGV[a + 5], ARGV[a + 6])
    redis.call('RPUSH', history, ARGV[a + 4])
    redis.call('XACK', input, group, entry)
    results[c] = 1
  end
  k = k + 3 + n + 2 * w
  a = a + 11 + n + m + 3 * w
end
return results
)lua";

const RedisScript& CommitScript() {
  static const RedisScript* script = new RedisScript(kCommitScript);
  return *script;
}

}  // namespace

absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> CommitStages(
    RedisConnection& connection, const Keys& keys, absl::Span<const StageCommit> commits) {
  std::vector<absl::StatusOr<CommitResult>> results;
  if (commits.empty()) return results;

  // Owned strings the argument views point into (a deque never moves them).
  std::deque<std::string> owned;
  auto own = [&owned](std::string value) -> std::string_view {
    owned.push_back(std::move(value));
    return owned.back();
  };
  std::vector<std::string_view> script_keys = {own(keys.Counters())};
  std::vector<std::string_view> args = {own(absl::StrCat(commits.size()))};
  for (const StageCommit& commit : commits) {
    script_keys.push_back(own(keys.Referral(commit.referral_id)));
    script_keys.push_back(own(keys.History(commit.referral_id)));
    script_keys.push_back(commit.input_stream);
    args.insert(args.end(),
                {commit.group, commit.entry_id, own(absl::StrCat("done:", commit.stage)),
                 own(absl::StrCat(commit.status)), commit.history_entry, commit.record_field,
                 commit.record_value, commit.referral_id});
    args.push_back(own(absl::StrCat(commit.outputs.size())));
    for (const StageOutput& output : commit.outputs) {
      script_keys.push_back(output.stream);
      args.push_back(output.payload);
    }
    args.push_back(own(absl::StrCat(commit.counters.size())));
    for (const std::string& counter : commit.counters) args.push_back(counter);
    if (commit.worklist.has_value()) {
      script_keys.push_back(commit.worklist->worklist_key);
      script_keys.push_back(commit.worklist->deadlines_key);
      args.insert(args.end(), {"1", own(absl::StrCat(commit.worklist->score)),
                               commit.worklist->queue,
                               own(absl::StrCat(commit.worklist->respond_by_ms))});
    } else {
      args.push_back("0");
    }
  }

  absl::StatusOr<RedisReply> reply = CommitScript().Run(connection, script_keys, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != commits.size()) {
    return absl::InternalError("stage commit script returned an unexpected reply");
  }
  results.reserve(commits.size());
  for (size_t i = 0; i < commits.size(); ++i) {
    const RedisReply& one = reply->elements[i];
    if (one.type != RedisReply::Type::kInteger) {
      results.push_back(absl::InternalError("stage commit script returned an unexpected reply"));
    } else if (one.integer == 1) {
      results.push_back(CommitResult::kCommitted);
    } else if (one.integer == 0) {
      results.push_back(CommitResult::kAlreadyCommitted);
    } else {
      results.push_back(absl::FailedPreconditionError(
          absl::StrCat("no referral record for ", commits[i].referral_id)));
    }
  }
  return results;
}

absl::StatusOr<CommitResult> CommitStage(RedisConnection& connection, const Keys& keys,
                                         const StageCommit& commit) {
  absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> results =
      CommitStages(connection, keys, absl::MakeConstSpan(&commit, 1));
  if (!results.ok()) return results.status();
  return std::move(results->front());
}

}  // namespace referrals
