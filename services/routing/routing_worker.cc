#include "services/routing/routing_worker.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/referral_sealing.h"
#include "common/pipeline/events.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/lifecycle_keys.h"
#include "services/routing/stored_decision.h"

namespace referrals {

referrals::v1::ReferralStatus StatusForOutcome(referrals::v1::RoutingOutcome outcome) {
  switch (outcome) {
    case referrals::v1::ROUTING_OUTCOME_TEAM:
      return referrals::v1::REFERRAL_STATUS_ROUTED;
    case referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA:
      return referrals::v1::REFERRAL_STATUS_OUT_OF_AREA;
    default:
      return referrals::v1::REFERRAL_STATUS_MANUAL_TRIAGE;
  }
}

RoutingWorker::RoutingWorker(Keys keys, std::shared_ptr<const RoutingEngine> engine,
                             std::string worker_name, std::function<absl::Time()> clock,
                             std::shared_ptr<const DataKeyring> keyring)
    : keys_(std::move(keys)),
      engine_(std::move(engine)),
      worker_name_(std::move(worker_name)),
      clock_(std::move(clock)),
      keyring_(keyring != nullptr ? std::move(keyring)
                                  : std::shared_ptr<const DataKeyring>(DataKeyring::Disabled())) {}

std::vector<absl::Status> RoutingWorker::HandleBatch(RedisConnection& connection,
                                                     absl::Span<const StreamEntry> entries) const {
  if (!observer_) {
    return CommitPreparedStages(connection, keys_, entries,
                                [this](const StreamEntry& entry) { return Prepare(entry); });
  }
  std::vector<std::optional<referrals::v1::ReferralRouted>> routed(entries.size());
  size_t next = 0;  // CommitPreparedStages prepares the entries in order
  std::vector<absl::Status> statuses =
      CommitPreparedStages(connection, keys_, entries, [&](const StreamEntry& entry) {
        const size_t index = next++;
        absl::StatusOr<PreparedStage> prepared = Prepare(entry);
        if (prepared.ok()) {
          for (const StageOutput& output : prepared->commit.outputs) {
            if (output.stream != keys_.RoutedStream()) continue;
            referrals::v1::ReferralRouted event;
            if (event.ParseFromString(output.payload)) routed[index] = std::move(event);
          }
        }
        return prepared;
      });
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].ok() && routed[i].has_value()) observer_(*routed[i]);
  }
  return statuses;
}

absl::Status RoutingWorker::Handle(RedisConnection& connection, const StreamEntry& entry) const {
  return HandleBatch(connection, absl::MakeConstSpan(&entry, 1)).front();
}

absl::StatusOr<PreparedStage> RoutingWorker::Prepare(const StreamEntry& entry) const {
  referrals::v1::ReferralTriaged triaged;
  if (!triaged.ParseFromString(entry.payload)) {
    return absl::DataLossError("entry is not a ReferralTriaged event");
  }
  const std::string& referral_id = triaged.meta().referral_id();
  if (referral_id.empty() || referral_id != entry.referral_id) {
    return absl::InvalidArgumentError("event's referral id is missing or does not match the entry");
  }
  if (triaged.meta().schema_version() > kEventSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("event schema version ",
                                                      triaged.meta().schema_version(),
                                                      " is newer than ", kEventSchemaVersion));
  }
  // Opened in memory only: what is stored and queued carries routing facts.
  absl::StatusOr<referrals::v1::Referral> referral =
      OpenEventReferral(*keyring_, referral_id, triaged.has_sealed_referral(),
                        triaged.sealed_referral(), triaged.referral());
  if (!referral.ok()) return referral.status();
  const absl::Time now = clock_();
  const absl::Time received =
      triaged.has_received_time() ? FromTimestamp(triaged.received_time()) : now;
  const referrals::v1::RoutingDecision decision =
      StoredDecision(engine_->Decide(*referral, triaged.triage(), received, now), *referral);

  // The queue entry carries ids and routing facts only, no personal data.
  referrals::v1::ReferralRouted routed;
  *routed.mutable_meta() = NewEventMeta(referral_id, triaged.meta().correlation_id(), now);
  routed.set_kind(referral->kind());
  *routed.mutable_decision() = decision;
  *routed.mutable_received_time() = triaged.received_time();
  const std::string routed_bytes = routed.SerializeAsString();

  const referrals::v1::ReferralStatus status = StatusForOutcome(decision.outcome());
  referrals::v1::StageEntry history;
  history.set_stage(referrals::v1::STAGE_ROUTING);
  history.set_status(status);
  *history.mutable_time() = ToTimestamp(now);
  history.set_summary(absl::StrCat(
      "Routed to ", decision.team_name(), " (queue ", decision.queue(), ")",
      decision.authority_name().empty() ? "" : absl::StrCat(", ", decision.authority_name()),
      "; rules ", decision.rules_version()));
  // Routing's own rules: those after triage's.
  for (int i = triaged.triage().rules_size(); i < decision.rules_size(); ++i) {
    *history.add_rules() = decision.rules(i);
  }
  history.set_worker(worker_name_);

  PreparedStage prepared;
  StageCommit& commit = prepared.commit;
  commit.referral_id = referral_id;
  commit.stage = "routing";
  commit.input_stream = keys_.TriagedStream();
  commit.group = std::string(kRoutingGroup);
  commit.entry_id = entry.id;
  commit.status = status;
  commit.record_field = std::string(kFieldDecision);
  commit.record_value = decision.SerializeAsString();
  commit.history_entry = history.SerializeAsString();
  commit.outputs.push_back({keys_.QueueStream(decision.queue()), routed_bytes});
  commit.outputs.push_back({keys_.RoutedStream(), routed_bytes});
  if (!decision.to_be_informed().empty()) {
    commit.outputs.push_back({keys_.NotificationsStream(), routed_bytes});
  }
  // Signposts are obligations: each raised one is counted, once per referral.
  for (const referrals::v1::Signpost& signpost : decision.signposts()) {
    commit.counters.push_back(absl::StrCat("signpost:", signpost.id()));
  }
  commit.counters.push_back(
      absl::StrCat("outcome:", referrals::v1::RoutingOutcome_Name(decision.outcome())));

  // A team's (or manual triage's) queue is a worklist: the referral waits
  // there for a person to act on it.
  if (decision.outcome() != referrals::v1::ROUTING_OUTCOME_OUT_OF_AREA) {
    commit.worklist = StageCommit::WorklistAdd{
        WorklistKey(keys_, decision.queue()), WorklistScore(decision.priority(), received),
        decision.queue(), DeadlinesKey(keys_),
        decision.has_respond_by() ? absl::ToUnixMillis(FromTimestamp(decision.respond_by())) : 0};
  }
  prepared.log_event = "referral_routed";
  prepared.log_fields = {{"referral_id", referral_id},
                         {"correlation_id", triaged.meta().correlation_id()},
                         {"queue", decision.queue()},
                         {"outcome", referrals::v1::RoutingOutcome_Name(decision.outcome())}};
  return prepared;
}

}  // namespace referrals
