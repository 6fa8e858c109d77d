// Triage's stream stage: reads `submitted` events, classifies each referral
// and commits the `triaged` event atomically with the ack, a batch of entries
// per commit.
#ifndef SERVICES_TRIAGE_TRIAGE_WORKER_H_
#define SERVICES_TRIAGE_TRIAGE_WORKER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/crypto/data_keyring.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/prepared_stage.h"
#include "common/pipeline/stream_consumer.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/referral.pb.h"
#include "services/triage/triage_rules.h"

namespace referrals {

class TriageWorker {
 public:
  // `keyring` opens the sealed referral of each event, in memory only, and
  // the triaged event passes it on sealed as it came; nullptr: a disabled
  // keyring (only referrals stored in clear open).
  TriageWorker(Keys keys, std::shared_ptr<const TriageRules> rules, std::string worker_name,
               std::function<absl::Time()> clock = absl::Now,
               std::shared_ptr<const DataKeyring> keyring = nullptr);

  // Decides the commit for one `submitted` entry; no Redis. Errors:
  // DATA_LOSS (not a ReferralSubmitted, or its sealed referral fails
  // authentication), FAILED_PRECONDITION (unknown schema version, or a data
  // key id the keyring lacks), INVALID_ARGUMENT (the referral fails
  // validation). Messages never hold personal data.
  absl::StatusOr<PreparedStage> Prepare(const StreamEntry& entry) const;

  // A StreamConsumer::BatchHandler: prepares every entry and commits them in
  // one script (see CommitPreparedStages). Per entry: Prepare's errors,
  // FAILED_PRECONDITION (no record for the referral), or the Redis error
  // (transient; the entry stays pending).
  std::vector<absl::Status> HandleBatch(RedisConnection& connection,
                                        absl::Span<const StreamEntry> entries) const;

  // HandleBatch for one entry (a StreamConsumer::Handler).
  absl::Status Handle(RedisConnection& connection, const StreamEntry& entry) const;

  // What one committed triage decided, for metrics: no personal data.
  struct Triaged {
    referrals::v1::ReferralKind kind = referrals::v1::REFERRAL_KIND_UNSPECIFIED;
    referrals::v1::Priority priority = referrals::v1::PRIORITY_UNSPECIFIED;
    absl::Time received;  // intake's receipt time
    absl::Time triaged;   // when this stage decided
  };
  using Observer = std::function<void(const Triaged&)>;
  // Set before the consumer starts. Called on the consumer's thread after
  // HandleBatch's commit, for each entry it committed or found committed (so
  // a redelivered entry may be observed twice).
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  Keys keys_;
  std::shared_ptr<const TriageRules> rules_;
  std::string worker_name_;
  std::function<absl::Time()> clock_;
  std::shared_ptr<const DataKeyring> keyring_;
  absl::TimeZone london_;
  Observer observer_;
};

}  // namespace referrals

#endif  // SERVICES_TRIAGE_TRIAGE_WORKER_H_
