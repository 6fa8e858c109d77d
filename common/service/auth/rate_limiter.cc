#include "common/service/auth/rate_limiter.h"

#include <algorithm>
#include <utility>

namespace referrals {

RateLimiter::RateLimiter(Options options, std::function<absl::Time()> clock)
    : options_(options), clock_(std::move(clock)) {
  options_.burst = std::max(options_.burst, 1.0);
}

double RateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  return std::min(options_.burst, bucket.tokens + elapsed * options_.rate_per_second);
}

absl::Duration RateLimiter::TryAcquire(absl::string_view client) {
  if (unlimited()) return absl::ZeroDuration();
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() >= options_.max_clients && !buckets_.contains(client)) {
    absl::erase_if(
        buckets_, [&](const auto& entry) { return Refilled(entry.second, now) >= options_.burst; });
  }
  Bucket& bucket =
      buckets_.try_emplace(std::string(client), Bucket{options_.burst, now}).first->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1.0 - bucket.tokens) / options_.rate_per_second);
}

}  // namespace referrals
