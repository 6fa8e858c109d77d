#include "services/routing/routing_metrics.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/pipeline/events.h"

namespace referrals {
namespace {

const std::vector<std::string> kQueueLabels = {"authority", "team", "queue"};

absl::Status AddGauge(MetricsRegistry& registry, const char* name, const char* help,
                      std::vector<std::string> labels, GaugeFamily*& out) {
  absl::StatusOr<GaugeFamily*> family = registry.AddGauge(name, help, std::move(labels));
  if (!family.ok()) return family.status();
  out = *family;
  return absl::OkStatus();
}

std::vector<std::string> QueueLabelValues(const QueueOperations& queue) {
  return {queue.authority_id, queue.team_id, queue.queue};
}

}  // namespace

absl::StatusOr<RoutingMetrics> RoutingMetrics::Create(MetricsRegistry& registry) {
  RoutingMetrics metrics;
  absl::StatusOr<CounterFamily*> routed = registry.AddCounter(
      "routing_referrals_processed_total",
      "Referrals routed (committed), by kind, outcome, authority id, team id and queue.",
      {"kind", "outcome", "authority", "team", "queue"});
  if (!routed.ok()) return routed.status();
  metrics.routed_ = *routed;
  absl::StatusOr<HistogramFamily*> latency = registry.AddHistogram(
      "routing_received_to_routed_seconds",
      "Time from intake's receipt of a referral to its routing decision, by outcome.", {"outcome"},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600});
  if (!latency.ok()) return latency.status();
  metrics.latency_ = *latency;
  for (absl::Status added : {
           AddGauge(registry, "routing_queue_waiting",
                    "Referrals waiting on a queue's worklist for action (read at scrape).",
                    kQueueLabels, metrics.waiting_),
           AddGauge(registry, "routing_queue_oldest_waiting_seconds",
                    "Age of the oldest referral waiting on a queue's worklist, since its receipt; "
                    "0 when none waits (read at scrape).",
                    kQueueLabels, metrics.oldest_age_),
           AddGauge(registry, "routing_queue_overdue",
                    "Referrals waiting on a queue's worklist past their respond-by time and "
                    "flagged overdue (read at scrape).",
                    kQueueLabels, metrics.queue_overdue_),
           AddGauge(registry, "routing_queue_stream_entries",
                    "Entries on a queue's stream: referrals routed there, until trimmed (read at "
                    "scrape).",
                    kQueueLabels, metrics.queue_routed_),
           AddGauge(registry, "routing_dead_letters",
                    "Entries on the dead-letter stream, every stage (read at scrape).", {},
                    metrics.dead_letters_),
           AddGauge(registry, "routing_overdue",
                    "Referrals flagged overdue and still awaiting action (read at scrape).", {},
                    metrics.overdue_),
           AddGauge(registry, "routing_consumer_lag",
                    "Entries on stream:triaged not yet delivered to the routing group; -1 when "
                    "Redis cannot tell (read at scrape).",
                    {}, metrics.consumer_lag_),
           AddGauge(registry, "routing_consumer_pending",
                    "Entries delivered to the routing group and not yet acknowledged (read at "
                    "scrape).",
                    {}, metrics.consumer_pending_),
       }) {
    if (!added.ok()) return added;
  }
  absl::StatusOr<CounterFamily*> errors =
      registry.AddCounter("routing_scrape_errors_total",
                          "Scrapes whose Redis read failed (the gauges kept their last values).");
  if (!errors.ok()) return errors.status();
  metrics.scrape_errors_ = *errors;
  return metrics;
}

void RoutingMetrics::Observe(const referrals::v1::ReferralRouted& routed) const {
  const referrals::v1::RoutingDecision& decision = routed.decision();
  const std::string outcome = referrals::v1::RoutingOutcome_Name(decision.outcome());
  routed_
      ->WithLabels({referrals::v1::ReferralKind_Name(routed.kind()), outcome,
                    decision.authority_id(), decision.team_id(), decision.queue()})
      .Increment();
  if (routed.has_received_time() && routed.meta().has_occurred_time()) {
    const absl::Duration latency =
        FromTimestamp(routed.meta().occurred_time()) - FromTimestamp(routed.received_time());
    latency_->WithLabels({outcome}).Observe(std::max(0.0, absl::ToDoubleSeconds(latency)));
  }
}

void RoutingMetrics::SetSnapshot(const OperationsSnapshot& snapshot) const {
  for (const QueueOperations& queue : snapshot.queues) {
    const std::vector<std::string> labels = QueueLabelValues(queue);
    waiting_->WithLabels(labels).Set(static_cast<double>(queue.waiting));
    oldest_age_->WithLabels(labels).Set(
        queue.oldest_received.has_value()
            ? std::max(0.0, absl::ToDoubleSeconds(snapshot.taken - *queue.oldest_received))
            : 0.0);
    queue_overdue_->WithLabels(labels).Set(static_cast<double>(queue.overdue));
    queue_routed_->WithLabels(labels).Set(static_cast<double>(queue.routed));
  }
  dead_letters_->Get().Set(static_cast<double>(snapshot.dead_letters));
  overdue_->Get().Set(static_cast<double>(snapshot.overdue));
  consumer_lag_->Get().Set(static_cast<double>(snapshot.consumer_lag));
  consumer_pending_->Get().Set(static_cast<double>(snapshot.consumer_pending));
}

void RoutingMetrics::CountScrapeError() const { scrape_errors_->Get().Increment(); }

}  // namespace referrals
