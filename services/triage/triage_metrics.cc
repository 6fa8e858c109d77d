#include "services/triage/triage_metrics.h"

#include <algorithm>

namespace referrals {

absl::StatusOr<TriageMetrics> TriageMetrics::Create(MetricsRegistry& registry) {
  TriageMetrics metrics;
  absl::StatusOr<CounterFamily*> triaged = registry.AddCounter(
      "triage_referrals_processed_total", "Referrals triaged (committed), by kind and priority.",
      {"kind", "priority"});
  if (!triaged.ok()) return triaged.status();
  metrics.triaged_ = *triaged;
  absl::StatusOr<HistogramFamily*> latency = registry.AddHistogram(
      "triage_received_to_triaged_seconds",
      "Time from intake's receipt of a referral to its triage, by kind.", {"kind"},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600});
  if (!latency.ok()) return latency.status();
  metrics.latency_ = *latency;
  return metrics;
}

void TriageMetrics::Observe(const TriageWorker::Triaged& triaged) const {
  const std::string kind = referrals::v1::ReferralKind_Name(triaged.kind);
  triaged_->WithLabels({kind, referrals::v1::Priority_Name(triaged.priority)}).Increment();
  latency_->WithLabels({kind}).Observe(
      std::max(0.0, absl::ToDoubleSeconds(triaged.triaged - triaged.received)));
}

}  // namespace referrals
