// Exposes StreamConsumer::stats() of a service's consumers as Prometheus
// counters: entries processed, dead-lettered, claimed from other consumers,
// Redis errors, and input entries trimmed, each summed over the consumers.
//
// Contract:
// - Create adds the families "<service>_consumer_<stat>_total" (no labels)
//   to `registry`. Errors: INVALID_ARGUMENT (bad service name), ALREADY_EXISTS
//   (called twice with one service name on one registry).
// - Update brings each counter up to the current sum of the consumers'
//   stats; call it before rendering the registry (e.g. on each scrape). The
//   consumers must outlive this object.
// Thread safety: Update may be called from any thread.
#ifndef COMMON_PIPELINE_CONSUMER_METRICS_H_
#define COMMON_PIPELINE_CONSUMER_METRICS_H_

#include <array>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/pipeline/stream_consumer.h"
#include "common/service/metrics.h"

namespace referrals {

class ConsumerMetrics {
 public:
  static absl::StatusOr<std::unique_ptr<ConsumerMetrics>> Create(
      MetricsRegistry& registry, absl::string_view service,
      std::vector<const StreamConsumer*> consumers);

  void Update();

 private:
  static constexpr size_t kStats = 5;
  ConsumerMetrics(std::array<Counter*, kStats> counters,
                  std::vector<const StreamConsumer*> consumers)
      : counters_(counters), consumers_(std::move(consumers)) {}

  const std::array<Counter*, kStats> counters_;
  const std::vector<const StreamConsumer*> consumers_;
  absl::Mutex mu_;  // one Update at a time, so the deltas add up
};

}  // namespace referrals

#endif  // COMMON_PIPELINE_CONSUMER_METRICS_H_
