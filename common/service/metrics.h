// A small thread-safe metrics registry rendered in the Prometheus text
// exposition format (version 0.0.4), for a service's `/metrics` endpoint.
//
// prometheus-cpp is not packaged for Debian 12, so this is our own: counters,
// gauges, histograms with fixed buckets, callback gauges read at scrape time,
// each family with a fixed set of label names.
//
// Label values must never carry personal data (names, addresses, dates of
// birth, free text): use ids of kinds, codes, route templates and field
// paths only. Label values are escaped on output (\\, \", \n); metric and
// label names are validated when a family is added.
//
// Thread safety: everything is safe to call from any thread. Families and
// series are never removed, so the references handed out stay valid for the
// registry's lifetime.
#ifndef COMMON_SERVICE_METRICS_H_
#define COMMON_SERVICE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace referrals {

// A value that only goes up.
class Counter {
 public:
  // Adds `amount`; negative amounts are ignored (a counter never decreases).
  void Increment(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets, with their sum and count.
class Histogram {
 public:
  // `bounds` are the buckets' upper bounds, strictly increasing, finite;
  // +Inf is implicit.
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (= count)
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* bounds_;                 // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds + 1 (+Inf)
  std::atomic<double> sum_{0};
};

// The series of one metric name, one per combination of label values.
template <typename Metric>
class MetricFamily {
 public:
  // The series for `label_values`, created at zero on first use. The number
  // of values must equal the number of label names the family was added
  // with: a mismatch is a programming error and aborts the process.
  Metric& WithLabels(const std::vector<std::string>& label_values);
  // The series with no labels (only for families added with no label names).
  Metric& Get() { return WithLabels({}); }

 private:
  friend class MetricsRegistry;
  MetricFamily(std::string name, std::string help, std::string type,
               std::vector<std::string> label_names, std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(std::move(type)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}
  void Render(std::string& out) const;

  const std::string name_;
  const std::string help_;
  const std::string type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;
  ~MetricsRegistry();

  // Adds a family. `name` must match [a-zA-Z_:][a-zA-Z0-9_:]* (counters by
  // convention end in "_total"); each label name [a-zA-Z_][a-zA-Z0-9_]*, not
  // starting with "__", no duplicates ("le" is reserved for histograms).
  // Errors: INVALID_ARGUMENT for a bad name, label name or bucket list
  // (histograms: at least one bound, finite, strictly increasing);
  // ALREADY_EXISTS when the name is taken.
  absl::StatusOr<CounterFamily*> AddCounter(absl::string_view name, absl::string_view help,
                                            std::vector<std::string> label_names = {});
  absl::StatusOr<GaugeFamily*> AddGauge(absl::string_view name, absl::string_view help,
                                        std::vector<std::string> label_names = {});
  absl::StatusOr<HistogramFamily*> AddHistogram(absl::string_view name, absl::string_view help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds);
  // A gauge with no labels whose value is `read()` at each Render. `read`
  // must be thread-safe, quick, must not call back into this registry, and
  // must stay callable for the registry's lifetime. Errors: as AddCounter.
  absl::Status AddCallbackGauge(absl::string_view name, absl::string_view help,
                                std::function<double()> read);

  // The text exposition format: families in the order added, series in
  // label-value order; "# HELP" and "# TYPE" lines for each family, even one
  // with no series yet. Content type: "text/plain; version=0.0.4".
  std::string Render() const;

 private:
  struct Entry;
  absl::Status CheckNewName(absl::string_view name, const std::vector<std::string>& label_names)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

// The Prometheus content type of MetricsRegistry::Render's output.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Escapes a label value for the text format: backslash, double quote and line
// feed become \\, \" and \n. Exposed for tests.
std::string EscapeLabelValue(absl::string_view value);

// A sample value as the text format writes it: integers without a decimal
// point, others in the shortest form that reads back exactly; "+Inf",
// "-Inf", "NaN". Exposed for tests.
std::string FormatSampleValue(double value);

}  // namespace referrals

#endif  // COMMON_SERVICE_METRICS_H_
