#include "common/service/auth/rate_limiter.h"

#include <atomic>

#include <gtest/gtest.h>

namespace referrals {
namespace {

// A clock the test moves by hand.
class FakeClock {
 public:
  absl::Time Now() const { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_ += absl::ToInt64Nanoseconds(d); }

 private:
  std::atomic<int64_t> nanos_{1'700'000'000'000'000'000};
};

TEST(RateLimiterTest, AllowsTheBurstThenRefusesWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_second = 2, .burst = 3}, [&] { return clock.Now(); });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.TryAcquire("portal"), absl::ZeroDuration());
  EXPECT_EQ(limiter.TryAcquire("portal"), absl::Milliseconds(500));
}

TEST(RateLimiterTest, RefillsAtTheRate) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_second = 2, .burst = 1}, [&] { return clock.Now(); });
  EXPECT_EQ(limiter.TryAcquire("portal"), absl::ZeroDuration());
  EXPECT_GT(limiter.TryAcquire("portal"), absl::ZeroDuration());
  clock.Advance(absl::Milliseconds(500));
  EXPECT_EQ(limiter.TryAcquire("portal"), absl::ZeroDuration());
}

TEST(RateLimiterTest, ClientsHaveTheirOwnBuckets) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 1}, [&] { return clock.Now(); });
  EXPECT_EQ(limiter.TryAcquire("a"), absl::ZeroDuration());
  EXPECT_GT(limiter.TryAcquire("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.TryAcquire("b"), absl::ZeroDuration());
}

TEST(RateLimiterTest, ZeroRateIsUnlimited) {
  RateLimiter limiter({.rate_per_second = 0, .burst = 1});
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.TryAcquire("a"), absl::ZeroDuration());
}

TEST(RateLimiterTest, IdleClientsAreForgottenWhenFull) {
  FakeClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 1, .max_clients = 2},
                      [&] { return clock.Now(); });
  EXPECT_EQ(limiter.TryAcquire("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.TryAcquire("b"), absl::ZeroDuration());
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(limiter.TryAcquire("c"), absl::ZeroDuration());
  // "a" was dropped full: it still gets its whole burst.
  EXPECT_EQ(limiter.TryAcquire("a"), absl::ZeroDuration());
}

}  // namespace
}  // namespace referrals
