// Per-client token buckets: each client may do `rate_per_second` operations
// on average, `burst` at once. Used for referral submission (gRPC
// RESOURCE_EXHAUSTED, HTTP 429 with Retry-After).
//
// Memory is bounded: when more than `max_clients` buckets exist, full ones
// (clients idle long enough to have refilled) are dropped, which changes
// nothing for them.
#ifndef COMMON_SERVICE_AUTH_RATE_LIMITER_H_
#define COMMON_SERVICE_AUTH_RATE_LIMITER_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace referrals {

class RateLimiter {
 public:
  struct Options {
    double rate_per_second = 0;  // 0 or less: unlimited
    double burst = 10;           // bucket size; below 1 counts as 1
    size_t max_clients = 10000;
  };

  // `clock` must be thread-safe.
  explicit RateLimiter(Options options, std::function<absl::Time()> clock = absl::Now);

  bool unlimited() const { return options_.rate_per_second <= 0; }

  // Takes one token from `client`'s bucket. Returns zero when allowed, else
  // how long until a token is there (the Retry-After; nothing is taken).
  // Thread-safe.
  absl::Duration TryAcquire(absl::string_view client);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  double Refilled(const Bucket& bucket, absl::Time now) const;

  Options options_;
  std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_RATE_LIMITER_H_
