#include "services/intake/intake_metrics.h"

namespace referrals {

absl::StatusOr<IntakeMetrics> IntakeMetrics::Create(MetricsRegistry& registry) {
  IntakeMetrics metrics;
  absl::StatusOr<CounterFamily*> accepted = registry.AddCounter(
      "intake_referrals_accepted_total", "Referrals validated and stored, by kind.", {"kind"});
  if (!accepted.ok()) return accepted.status();
  metrics.accepted = *accepted;
  absl::StatusOr<CounterFamily*> duplicates = registry.AddCounter(
      "intake_referrals_duplicate_total",
      "Retries answered with the referral their request id created, by kind.", {"kind"});
  if (!duplicates.ok()) return duplicates.status();
  metrics.duplicates = *duplicates;
  absl::StatusOr<CounterFamily*> rejected = registry.AddCounter(
      "intake_referrals_rejected_total",
      "Referrals rejected by validation, by the path of the first bad field.", {"first_field"});
  if (!rejected.ok()) return rejected.status();
  metrics.rejected = *rejected;
  absl::StatusOr<CounterFamily*> failures = registry.AddCounter(
      "intake_store_failures_total",
      "Submissions not stored: the store refused them or could not be reached, by status code.",
      {"code"});
  if (!failures.ok()) return failures.status();
  metrics.store_failures = *failures;
  absl::StatusOr<HistogramFamily*> latency = registry.AddHistogram(
      "intake_submit_duration_seconds",
      "Time from receiving a submission to answering it, every outcome, by transport.",
      {"transport"}, {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
  if (!latency.ok()) return latency.status();
  metrics.submit_latency = *latency;
  absl::StatusOr<CounterFamily*> responses = registry.AddCounter(
      "intake_http_responses_total", "HTTP responses, by method, route template and status code.",
      {"method", "route", "code"});
  if (!responses.ok()) return responses.status();
  metrics.http_responses = *responses;
  return metrics;
}

}  // namespace referrals
