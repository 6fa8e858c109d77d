#include "tests/services/routing/lifecycle_test_util.h"

#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/pipeline/stage_commit.h"
#include "gtest/gtest.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/routing_worker.h"
#include "tests/support/redis_test_env.h"

namespace referrals::testing {

absl::Status SeedRoutedReferral(RedisConnection& connection, const Keys& keys,
                                const SeedReferral& seed) {
  referrals::v1::Referral referral;
  referral.set_kind(referrals::v1::ADULT_SAFEGUARDING_CONCERN);
  referral.mutable_adult()->set_given_name("Synthetic");
  referral.set_concern("Synthetic concern.");
  const std::string request_id =
      seed.request_id.empty() ? "req-" + seed.referral_id : seed.request_id;
  referral.set_request_id(request_id);
  const std::string referral_bytes = referral.SerializeAsString();
  const std::string received_us = absl::StrCat(absl::ToUnixMicros(seed.received));
  const std::string triaged =
      absl::StrCat(static_cast<int>(referrals::v1::REFERRAL_STATUS_TRIAGED));
  absl::StatusOr<RedisReply> written =
      connection.Command({"HSET", keys.Referral(seed.referral_id), "referral", referral_bytes,
                          "received_us", received_us, "correlation_id", "corr-" + seed.referral_id,
                          "status", triaged, "request_id", request_id});
  if (!written.ok()) return written.status();
  written =
      connection.Command({"HSET", keys.Idempotency(request_id), "referral_id", seed.referral_id});
  if (!written.ok()) return written.status();

  referrals::v1::RoutingDecision decision;
  decision.set_outcome(seed.outcome);
  decision.set_queue(seed.queue);
  decision.set_team_name(absl::StrCat("Team of ", seed.queue));
  decision.set_priority(seed.priority);
  if (seed.respond_by.has_value()) *decision.mutable_respond_by() = ToTimestamp(*seed.respond_by);
  referrals::v1::StageEntry history;
  history.set_stage(referrals::v1::STAGE_ROUTING);
  history.set_status(StatusForOutcome(seed.outcome));

  StageCommit commit;
  commit.referral_id = seed.referral_id;
  commit.stage = "routing";
  commit.input_stream = keys.TriagedStream();
  commit.group = "routing";
  commit.entry_id = "1-0";
  commit.status = StatusForOutcome(seed.outcome);
  commit.record_field = "decision";
  commit.record_value = decision.SerializeAsString();
  commit.history_entry = history.SerializeAsString();
  if (seed.outcome != referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA) {
    commit.worklist = StageCommit::WorklistAdd{
        WorklistKey(keys, seed.queue), WorklistScore(seed.priority, seed.received), seed.queue,
        DeadlinesKey(keys), seed.respond_by.has_value() ? absl::ToUnixMillis(*seed.respond_by) : 0};
  }
  absl::StatusOr<CommitResult> committed = CommitStage(connection, keys, commit);
  if (!committed.ok()) return committed.status();
  if (*committed != CommitResult::kCommitted) return absl::InternalError("already committed");
  return absl::OkStatus();
}

std::shared_ptr<const RulesConfig> TestRules() {
  auto rules = RulesConfig::LoadFile(absl::StrCat(REFERRALS_DEFAULT_RULES, "/2025.11-1.textproto"));
  EXPECT_TRUE(rules.ok()) << rules.status();
  return rules.ok() ? *rules : nullptr;
}

std::unique_ptr<RedisConnection> ConnectToTestRedis() {
  auto connection = RedisConnection::Connect(RedisOptionsFromEnv());
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? *std::move(connection) : nullptr;
}

int64_t StreamLength(RedisConnection& connection, const std::string& stream) {
  absl::StatusOr<RedisReply> reply = connection.Command({"XLEN", stream});
  return reply.ok() ? reply->integer : -1;
}

}  // namespace referrals::testing
