// Routing's metrics. Counted as referrals are routed: referrals by kind,
// outcome, authority and queue, and the time from intake's receipt to the
// routing decision. Set at each scrape from an OperationsSnapshot: per-queue
// waiting, oldest waiting age, overdue and routed counts, and the router's
// dead letters, overdue total, consumer lag and pending.
//
// Labels carry enum names, authority ids, team ids and queue names only
// (routing facts from the rules files): never personal data.
#ifndef SERVICES_ROUTING_ROUTING_METRICS_H_
#define SERVICES_ROUTING_ROUTING_METRICS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/service/metrics.h"
#include "referrals/v1/events.pb.h"
#include "services/routing/operations_reader.h"

namespace referrals {

class RoutingMetrics {
 public:
  // Adds the families to `registry` (which must outlive this). Errors:
  // ALREADY_EXISTS if called twice on one registry.
  static absl::StatusOr<RoutingMetrics> Create(MetricsRegistry& registry);

  // Counts one committed routing and observes its latency (received ->
  // decided, from the event's times; negative skew counts as 0).
  // Thread-safe.
  void Observe(const referrals::v1::ReferralRouted& routed) const;

  // Sets the scrape-time gauges from `snapshot`. Thread-safe.
  void SetSnapshot(const OperationsSnapshot& snapshot) const;

  // Counts a scrape whose Redis read failed (the gauges keep their last
  // values). Thread-safe.
  void CountScrapeError() const;

 private:
  CounterFamily* routed_ = nullptr;          // {kind, outcome, authority, team, queue}
  HistogramFamily* latency_ = nullptr;       // {outcome}
  GaugeFamily* waiting_ = nullptr;           // {authority, team, queue}
  GaugeFamily* oldest_age_ = nullptr;        // {authority, team, queue}
  GaugeFamily* queue_overdue_ = nullptr;     // {authority, team, queue}
  GaugeFamily* queue_routed_ = nullptr;      // {authority, team, queue}
  GaugeFamily* dead_letters_ = nullptr;      // no labels
  GaugeFamily* overdue_ = nullptr;           // no labels
  GaugeFamily* consumer_lag_ = nullptr;      // no labels
  GaugeFamily* consumer_pending_ = nullptr;  // no labels
  CounterFamily* scrape_errors_ = nullptr;   // no labels
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_METRICS_H_
