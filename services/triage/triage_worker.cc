#include "services/triage/triage_worker.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/referral_sealing.h"
#include "common/domain/referral_validator.h"
#include "common/pipeline/events.h"
#include "referrals/v1/events.pb.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

TriageWorker::TriageWorker(Keys keys, std::shared_ptr<const TriageRules> rules,
                           std::string worker_name, std::function<absl::Time()> clock,
                           std::shared_ptr<const DataKeyring> keyring)
    : keys_(std::move(keys)),
      rules_(std::move(rules)),
      worker_name_(std::move(worker_name)),
      clock_(std::move(clock)),
      keyring_(keyring != nullptr ? std::move(keyring)
                                  : std::shared_ptr<const DataKeyring>(DataKeyring::Disabled())) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

std::vector<absl::Status> TriageWorker::HandleBatch(RedisConnection& connection,
                                                    absl::Span<const StreamEntry> entries) const {
  if (!observer_) {
    return CommitPreparedStages(connection, keys_, entries,
                                [this](const StreamEntry& entry) { return Prepare(entry); });
  }
  std::vector<std::optional<Triaged>> triaged(entries.size());
  size_t next = 0;  // CommitPreparedStages prepares the entries in order
  std::vector<absl::Status> statuses =
      CommitPreparedStages(connection, keys_, entries, [&](const StreamEntry& entry) {
        const size_t index = next++;
        absl::StatusOr<PreparedStage> prepared = Prepare(entry);
        referrals::v1::TriageResult result;
        if (prepared.ok() && result.ParseFromString(prepared->commit.record_value)) {
          referrals::v1::ReferralSubmitted submitted;
          const absl::Time now = clock_();
          Triaged facts{result.kind(), result.priority(), now, now};
          if (submitted.ParseFromString(entry.payload) && submitted.has_received_time()) {
            facts.received = FromTimestamp(submitted.received_time());
          }
          triaged[index] = facts;
        }
        return prepared;
      });
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].ok() && triaged[i].has_value()) observer_(*triaged[i]);
  }
  return statuses;
}

absl::Status TriageWorker::Handle(RedisConnection& connection, const StreamEntry& entry) const {
  return HandleBatch(connection, absl::MakeConstSpan(&entry, 1)).front();
}

absl::StatusOr<PreparedStage> TriageWorker::Prepare(const StreamEntry& entry) const {
  referrals::v1::ReferralSubmitted submitted;
  if (!submitted.ParseFromString(entry.payload)) {
    return absl::DataLossError("entry is not a ReferralSubmitted event");
  }
  const std::string& referral_id = submitted.meta().referral_id();
  if (referral_id.empty() || referral_id != entry.referral_id) {
    return absl::InvalidArgumentError("event's referral id is missing or does not match the entry");
  }
  if (submitted.meta().schema_version() > kEventSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("event schema version ",
                                                      submitted.meta().schema_version(),
                                                      " is newer than ", kEventSchemaVersion));
  }
  // Opened in memory only; the triaged event passes it on sealed.
  absl::StatusOr<referrals::v1::Referral> referral =
      OpenEventReferral(*keyring_, referral_id, submitted.has_sealed_referral(),
                        submitted.sealed_referral(), submitted.referral());
  if (!referral.ok()) return referral.status();
  const absl::Time now = clock_();
  // Intake validated it; checking again keeps a hand-written entry out.
  FieldViolations violations = ValidateReferral(*referral, absl::ToCivilDay(now, london_));
  if (!violations.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "referral fails validation at ", violations[0].field, ": ", violations[0].description));
  }

  // Judged by the rules in force when the referral was received, not now:
  // a backlog or a replay must not change the outcome.
  const absl::Time received =
      submitted.has_received_time() ? FromTimestamp(submitted.received_time()) : now;
  referrals::v1::TriageResult result = rules_->Classify(*referral, received);

  referrals::v1::ReferralTriaged triaged;
  *triaged.mutable_meta() = NewEventMeta(referral_id, submitted.meta().correlation_id(), now);
  // A schema 1 event's clear referral is sealed on the way through.
  *triaged.mutable_sealed_referral() = submitted.has_sealed_referral()
                                           ? submitted.sealed_referral()
                                           : SealReferral(*keyring_, referral_id, *referral);
  *triaged.mutable_received_time() = submitted.received_time();
  *triaged.mutable_triage() = result;

  referrals::v1::StageEntry history;
  history.set_stage(referrals::v1::STAGE_TRIAGE);
  history.set_status(referrals::v1::REFERRAL_STATUS_TRIAGED);
  *history.mutable_time() = ToTimestamp(now);
  history.set_summary(
      absl::StrCat("Triaged: priority ", referrals::v1::Priority_Name(result.priority()), ", ",
                   result.signposts_size(), " signpost(s); rules ", result.rules_version()));
  *history.mutable_rules() = result.rules();
  history.set_worker(worker_name_);

  PreparedStage prepared;
  StageCommit& commit = prepared.commit;
  commit.referral_id = referral_id;
  commit.stage = "triage";
  commit.input_stream = keys_.SubmittedStream();
  commit.group = std::string(kTriageGroup);
  commit.entry_id = entry.id;
  commit.status = referrals::v1::REFERRAL_STATUS_TRIAGED;
  commit.record_field = std::string(kFieldTriage);
  commit.record_value = result.SerializeAsString();
  commit.history_entry = history.SerializeAsString();
  commit.outputs.push_back({keys_.TriagedStream(), triaged.SerializeAsString()});

  prepared.log_event = "referral_triaged";
  prepared.log_fields = {{"referral_id", referral_id},
                         {"correlation_id", submitted.meta().correlation_id()},
                         {"priority", referrals::v1::Priority_Name(result.priority())}};
  return prepared;
}

}  // namespace referrals
