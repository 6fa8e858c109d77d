#include "common/pipeline/consumer_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace referrals {
namespace {

struct StatInfo {
  const char* name;
  const char* help;
};

constexpr std::array<StatInfo, 5> kStatInfo = {{
    {"processed", "Input entries the consumers processed (committed or found committed)."},
    {"dead_lettered", "Input entries the consumers moved to the dead-letter stream."},
    {"claimed", "Entries claimed from other consumers that left them pending."},
    {"redis_errors", "Redis errors the consumers met (each retried after a backoff)."},
    {"trimmed", "Input stream entries removed by trimming, every group being done with them."},
}};

std::array<int64_t, 5> Read(const StreamConsumerStats& stats) {
  return {stats.processed.load(), stats.dead_lettered.load(), stats.claimed.load(),
          stats.redis_errors.load(), stats.trimmed.load()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConsumerMetrics>> ConsumerMetrics::Create(
    MetricsRegistry& registry, absl::string_view service,
    std::vector<const StreamConsumer*> consumers) {
  std::array<Counter*, kStats> counters{};
  for (size_t i = 0; i < kStats; ++i) {
    absl::StatusOr<CounterFamily*> family = registry.AddCounter(
        absl::StrCat(service, "_consumer_", kStatInfo[i].name, "_total"), kStatInfo[i].help);
    if (!family.ok()) return family.status();
    counters[i] = &(*family)->Get();
  }
  return std::unique_ptr<ConsumerMetrics>(new ConsumerMetrics(counters, std::move(consumers)));
}

void ConsumerMetrics::Update() {
  absl::MutexLock lock(&mu_);
  std::array<int64_t, kStats> sums{};
  for (const StreamConsumer* consumer : consumers_) {
    const std::array<int64_t, kStats> one = Read(consumer->stats());
    for (size_t i = 0; i < kStats; ++i) sums[i] += one[i];
  }
  for (size_t i = 0; i < kStats; ++i) {
    const double delta = static_cast<double>(sums[i]) - counters_[i]->value();
    if (delta > 0) counters_[i]->Increment(delta);
  }
}

}  // namespace referrals
