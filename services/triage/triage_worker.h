// Triage's stream stage: reads `submitted` events, classifies each referral
// and commits the `triaged` event atomically with the ack.
#ifndef SERVICES_TRIAGE_TRIAGE_WORKER_H_
#define SERVICES_TRIAGE_TRIAGE_WORKER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/pipeline/stream_consumer.h"
#include "services/triage/triage_rules.h"

namespace referrals {

class TriageWorker {
 public:
  TriageWorker(Keys keys, std::shared_ptr<const TriageRules> rules, std::string worker_name,
               std::function<absl::Time()> clock = absl::Now);

  // A StreamConsumer handler. Errors: DATA_LOSS (not a ReferralSubmitted),
  // FAILED_PRECONDITION (unknown schema version; no record for the referral),
  // INVALID_ARGUMENT (the referral fails validation), or Redis errors
  // (transient; the entry stays pending).
  absl::Status Handle(RedisConnection& connection, const StreamEntry& entry) const;

 private:
  Keys keys_;
  std::shared_ptr<const TriageRules> rules_;
  std::string worker_name_;
  std::function<absl::Time()> clock_;
  absl::TimeZone london_;
};

}  // namespace referrals

#endif  // SERVICES_TRIAGE_TRIAGE_WORKER_H_
