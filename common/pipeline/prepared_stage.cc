#include "common/pipeline/prepared_stage.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace referrals {

std::vector<absl::Status> CommitPreparedStages(RedisConnection& connection, const Keys& keys,
                                               absl::Span<const StreamEntry> entries,
                                               const StagePreparer& prepare) {
  std::vector<absl::Status> statuses(entries.size());
  std::vector<PreparedStage> prepared;
  std::vector<size_t> prepared_index;  // prepared[j] is entries[prepared_index[j]]
  prepared.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    absl::StatusOr<PreparedStage> one = prepare(entries[i]);
    if (!one.ok()) {
      statuses[i] = one.status();
      continue;
    }
    prepared.push_back(*std::move(one));
    prepared_index.push_back(i);
  }
  if (prepared.empty()) return statuses;

  std::vector<StageCommit> commits;
  commits.reserve(prepared.size());
  for (PreparedStage& stage : prepared) commits.push_back(std::move(stage.commit));
  absl::StatusOr<std::vector<absl::StatusOr<CommitResult>>> results =
      CommitStages(connection, keys, commits);
  for (size_t j = 0; j < prepared.size(); ++j) {
    absl::Status& status = statuses[prepared_index[j]];
    if (!results.ok()) {
      status = results.status();
      continue;
    }
    const absl::StatusOr<CommitResult>& result = (*results)[j];
    if (!result.ok()) {
      status = result.status();
      continue;
    }
    Log(LogLevel::kInfo,
        *result == CommitResult::kCommitted ? prepared[j].log_event
                                            : absl::StrCat(commits[j].stage, "_already_committed"),
        prepared[j].log_fields);
  }
  return statuses;
}

}  // namespace referrals
