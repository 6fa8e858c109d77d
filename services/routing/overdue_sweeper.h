// Finds referrals still awaiting action (ROUTED or MANUAL_TRIAGE) after
// their respond-by time, flags each overdue on its record once and writes
// one ReferralEscalated on the escalations stream per referral. Each
// referral is flagged in one Lua script that checks the flag first, so
// sweeps may run in every replica, overlap or repeat: still one escalation.
//
// SweepOnce is for tests and for the background thread Start runs.
#ifndef SERVICES_ROUTING_OVERDUE_SWEEPER_H_
#define SERVICES_ROUTING_OVERDUE_SWEEPER_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"

namespace referrals {

class OverdueSweeper {
 public:
  OverdueSweeper(Keys keys, std::function<absl::Time()> clock = absl::Now);
  ~OverdueSweeper();  // Stop()s

  OverdueSweeper(const OverdueSweeper&) = delete;
  OverdueSweeper& operator=(const OverdueSweeper&) = delete;

  // Flags every referral whose respond-by time is at or before `now` (at
  // most `limit` per call). Returns how many were newly flagged; referrals
  // no longer awaiting action are just dropped from the deadlines set.
  // Errors: Redis errors (what was flagged stays flagged).
  absl::StatusOr<int> SweepOnce(RedisConnection& connection, absl::Time now, int limit = 500) const;

  // Sweeps every `interval` on a thread of its own with its own connection
  // until Stop. Redis errors are logged and retried at the next interval.
  void Start(RedisOptions redis, absl::Duration interval);
  // Idempotent; returns once the thread has ended.
  void Stop();

 private:
  Keys keys_;
  std::function<absl::Time()> clock_;
  absl::Notification stop_;
  std::unique_ptr<std::thread> thread_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_OVERDUE_SWEEPER_H_
