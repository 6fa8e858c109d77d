#include "common/service/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace referrals {
namespace {

void AddTo(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

bool IsMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsLabelName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, "__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// HELP text escapes backslash and line feed only.
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"` without the closing brace, or "" for no labels and no extra.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     absl::string_view extra_name = "", absl::string_view extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", names[i], "=\"", EscapeLabelValue(values[i]),
                    "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "{" : ",", extra_name, "=\"", extra_value, "\"");
  }
  if (!out.empty()) out += "}";
  return out;
}

void RenderHeader(std::string& out, absl::string_view name, absl::string_view help,
                  absl::string_view type) {
  absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n", "# TYPE ", name, " ", type,
                  "\n");
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // Shortest round-trip digits; plain decimals ("0.0005", not "5e-04") in
  // the range bucket bounds and latencies live in.
  char buffer[400];
  const double magnitude = std::fabs(value);
  const std::chars_format format =
      magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  return std::string(buffer, result.ptr);
}

void Counter::Increment(double amount) {
  if (amount > 0) AddTo(value_, amount);
}

void Gauge::Add(double amount) { AddTo(value_, amount); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_->size() && value > (*bounds_)[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  AddTo(sum_, value);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

template <typename Metric>
Metric& MetricFamily<Metric>::WithLabels(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    std::fprintf(stderr, "metric %s: %zu label values for %zu label names\n", name_.c_str(),
                 label_values.size(), label_names_.size());
    std::abort();
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Metric>& slot = series_[label_values];
  if (slot == nullptr) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Histogram>(&bounds_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <typename Metric>
void MetricFamily<Metric>::Render(std::string& out) const {
  RenderHeader(out, name_, help_, type_);
  absl::MutexLock lock(&mu_);
  for (const auto& [values, metric] : series_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot snapshot = metric->Read();
      for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
        const std::string le = i < bounds_.size() ? FormatSampleValue(bounds_[i]) : "+Inf";
        absl::StrAppend(&out, name_, "_bucket", LabelSet(label_names_, values, "le", le), " ",
                        snapshot.cumulative[i], "\n");
      }
      absl::StrAppend(&out, name_, "_sum", LabelSet(label_names_, values), " ",
                      FormatSampleValue(snapshot.sum), "\n");
      absl::StrAppend(&out, name_, "_count", LabelSet(label_names_, values), " ",
                      snapshot.cumulative.back(), "\n");
    } else {
      absl::StrAppend(&out, name_, LabelSet(label_names_, values), " ",
                      FormatSampleValue(metric->value()), "\n");
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

struct MetricsRegistry::Entry {
  std::string name;
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;
  std::string callback_help;
  std::function<double()> callback;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

absl::Status MetricsRegistry::CheckNewName(absl::string_view name,
                                           const std::vector<std::string>& label_names) {
  if (!IsMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("bad metric name \"", name, "\""));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!IsLabelName(label_names[i]) || label_names[i] == "le") {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": bad label name \"", label_names[i], "\""));
    }
    for (size_t j = 0; j < i; ++j) {
      if (label_names[j] == label_names[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("metric ", name, ": label \"", label_names[i], "\" given twice"));
      }
    }
  }
  for (const auto& entry : entries_) {
    if (entry->name == name) {
      return absl::AlreadyExistsError(absl::StrCat("metric ", name, " already exists"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CounterFamily*> MetricsRegistry::AddCounter(absl::string_view name,
                                                           absl::string_view help,
                                                           std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  if (absl::Status ok = CheckNewName(name, label_names); !ok.ok()) return ok;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->counter.reset(
      new CounterFamily(std::string(name), std::string(help), "counter", std::move(label_names)));
  CounterFamily* family = entry->counter.get();
  entries_.push_back(std::move(entry));
  return family;
}

absl::StatusOr<GaugeFamily*> MetricsRegistry::AddGauge(absl::string_view name,
                                                       absl::string_view help,
                                                       std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  if (absl::Status ok = CheckNewName(name, label_names); !ok.ok()) return ok;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->gauge.reset(
      new GaugeFamily(std::string(name), std::string(help), "gauge", std::move(label_names)));
  GaugeFamily* family = entry->gauge.get();
  entries_.push_back(std::move(entry));
  return family;
}

absl::StatusOr<HistogramFamily*> MetricsRegistry::AddHistogram(absl::string_view name,
                                                               absl::string_view help,
                                                               std::vector<std::string> label_names,
                                                               std::vector<double> bounds) {
  if (bounds.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("histogram ", name, ": no buckets"));
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram ", name, ": bucket bounds must be finite and increasing"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status ok = CheckNewName(name, label_names); !ok.ok()) return ok;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->histogram.reset(new HistogramFamily(std::string(name), std::string(help), "histogram",
                                             std::move(label_names), std::move(bounds)));
  HistogramFamily* family = entry->histogram.get();
  entries_.push_back(std::move(entry));
  return family;
}

absl::Status MetricsRegistry::AddCallbackGauge(absl::string_view name, absl::string_view help,
                                               std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  if (absl::Status ok = CheckNewName(name, {}); !ok.ok()) return ok;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->callback_help = std::string(help);
  entry->callback = std::move(read);
  entries_.push_back(std::move(entry));
  return absl::OkStatus();
}

std::string MetricsRegistry::Render() const {
  std::vector<const Entry*> entries;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& entry : entries_) entries.push_back(entry.get());
  }
  // Entries are never removed or changed once added: safe to read unlocked.
  std::string out;
  for (const Entry* entry : entries) {
    if (entry->counter != nullptr) {
      entry->counter->Render(out);
    } else if (entry->gauge != nullptr) {
      entry->gauge->Render(out);
    } else if (entry->histogram != nullptr) {
      entry->histogram->Render(out);
    } else {
      RenderHeader(out, entry->name, entry->callback_help, "gauge");
      absl::StrAppend(&out, entry->name, " ", FormatSampleValue(entry->callback()), "\n");
    }
  }
  return out;
}

}  // namespace referrals
