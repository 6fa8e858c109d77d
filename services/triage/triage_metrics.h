// Triage's metrics: referrals triaged by kind and priority, and the time from
// intake's receipt to triage. Labels carry enum names only: never personal
// data.
#ifndef SERVICES_TRIAGE_TRIAGE_METRICS_H_
#define SERVICES_TRIAGE_TRIAGE_METRICS_H_

#include "absl/status/statusor.h"
#include "common/service/metrics.h"
#include "services/triage/triage_worker.h"

namespace referrals {

class TriageMetrics {
 public:
  // Adds the families to `registry` (which must outlive this). Errors:
  // ALREADY_EXISTS if called twice on one registry.
  static absl::StatusOr<TriageMetrics> Create(MetricsRegistry& registry);

  // Counts one committed triage and observes its latency (received ->
  // triaged, from the event's times; negative clock skew counts as 0).
  // Thread-safe.
  void Observe(const TriageWorker::Triaged& triaged) const;

 private:
  CounterFamily* triaged_ = nullptr;    // {kind, priority}
  HistogramFamily* latency_ = nullptr;  // {kind}
};

}  // namespace referrals

#endif  // SERVICES_TRIAGE_TRIAGE_METRICS_H_
