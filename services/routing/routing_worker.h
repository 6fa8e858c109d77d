// Routing's stream stage: reads `triaged` events, decides each referral's
// destination and commits, in one atomic step, the entry on the destination
// queue, the `routed` event, the record's new status and the ack.
#ifndef SERVICES_ROUTING_ROUTING_WORKER_H_
#define SERVICES_ROUTING_ROUTING_WORKER_H_

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
#include "referrals/v1/events.pb.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/routing_engine.h"

namespace referrals {

class RoutingWorker {
 public:
  // `keyring` opens each event's sealed referral, in memory only; nullptr: a
  // disabled keyring (only referrals stored in clear open).
  RoutingWorker(Keys keys, std::shared_ptr<const RoutingEngine> engine, std::string worker_name,
                std::function<absl::Time()> clock = absl::Now,
                std::shared_ptr<const DataKeyring> keyring = nullptr);

  // Decides the commit for one `triaged` entry; no Redis. The decision it
  // stores and queues is StoredDecision's (postcode sector only). Errors:
  // DATA_LOSS (not a ReferralTriaged, or its sealed referral fails
  // authentication), FAILED_PRECONDITION (unknown schema version, or a data
  // key id the keyring lacks), INVALID_ARGUMENT (ids missing). Messages name
  // the referral id and key id, never personal data.
  absl::StatusOr<PreparedStage> Prepare(const StreamEntry& entry) const;

  // A StreamConsumer::BatchHandler: prepares every entry and commits them in
  // one script (see CommitPreparedStages). Per entry: Prepare's errors,
  // FAILED_PRECONDITION (no record for the referral), or the Redis error
  // (transient; the entry stays pending).
  std::vector<absl::Status> HandleBatch(RedisConnection& connection,
                                        absl::Span<const StreamEntry> entries) const;

  // HandleBatch for one entry (a StreamConsumer::Handler).
  absl::Status Handle(RedisConnection& connection, const StreamEntry& entry) const;

  // Sees the `routed` event of each committed entry (ids and routing facts
  // only), for metrics.
  using Observer = std::function<void(const referrals::v1::ReferralRouted&)>;
  // Set before the consumer starts. Called on the consumer's thread after
  // HandleBatch's commit, for each entry it committed or found committed (so
  // a redelivered entry may be observed twice).
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  Keys keys_;
  std::shared_ptr<const RoutingEngine> engine_;
  std::string worker_name_;
  std::function<absl::Time()> clock_;
  std::shared_ptr<const DataKeyring> keyring_;
  Observer observer_;
};

// The referral status a routing outcome leaves.
referrals::v1::ReferralStatus StatusForOutcome(referrals::v1::RoutingOutcome outcome);

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_WORKER_H_
