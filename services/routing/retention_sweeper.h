// Retention (issue 8): removes the personal data of closed referrals
// (REJECTED, COMPLETED, CANCELLED) a set period after they closed, keeping
// the routing record: status, times, triage, decision (postcode sector
// only, see stored_decision.h), queue and the history's steps.
//
// What goes: the sealed referral (and a pre-issue-8 clear one), the
// acceptor's name, the lease holder, and the actor and comment of every
// history step. What is added: the record's "purged_ms" (GetReferral shows
// personal_data_purged_time) and a STAGE_RETENTION history step.
//
// Closed referrals are found through the closed index (a sorted set by
// closing time, lifecycle_keys.h ClosedKey) that the lifecycle transition
// fills. Each referral is purged in one Lua script that checks the record's
// version and history length against what was read (else reads again) and
// skips a record already purged, so sweeps may run in every replica,
// overlap or repeat.
//
// SweepOnce and PurgeReferral are for tests, the PurgePersonalData RPC and
// the background thread Start runs. Thread-safe (no mutable state besides
// the thread); a RedisConnection is used by one thread.
#ifndef SERVICES_ROUTING_RETENTION_SWEEPER_H_
#define SERVICES_ROUTING_RETENTION_SWEEPER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"

namespace referrals {

class RetentionSweeper {
 public:
  // `retention`: how long after closing personal data is kept (> 0).
  RetentionSweeper(Keys keys, absl::Duration retention,
                   std::function<absl::Time()> clock = absl::Now);
  ~RetentionSweeper();  // Stop()s

  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Purges every referral that closed at or before `now` minus `older_than`
  // (at most `limit` per call). Returns the ids purged by this call.
  // Errors: Redis errors (what was purged stays purged).
  absl::StatusOr<std::vector<std::string>> SweepOnce(RedisConnection& connection, absl::Time now,
                                                     absl::Duration older_than,
                                                     int limit = 500) const;
  // SweepOnce with the configured retention.
  absl::StatusOr<std::vector<std::string>> SweepOnce(RedisConnection& connection,
                                                     absl::Time now) const {
    return SweepOnce(connection, now, retention_);
  }

  // Purges one referral that closed at or before `now` minus `older_than`.
  // Returns true when purged by this call, false when it already was.
  // Errors: NOT_FOUND (no such referral); FAILED_PRECONDITION (not closed,
  // or closed more recently; the message says which); ABORTED (it kept
  // changing while read); Redis errors.
  absl::StatusOr<bool> PurgeReferral(RedisConnection& connection, absl::string_view referral_id,
                                     absl::Time now, absl::Duration older_than) const;

  // Sweeps every `interval` on a thread of its own with its own connection
  // until Stop. Redis errors are logged and retried at the next interval.
  void Start(RedisOptions redis, absl::Duration interval);
  // Idempotent; returns once the thread has ended.
  void Stop();

  absl::Duration retention() const { return retention_; }

 private:
  Keys keys_;
  absl::Duration retention_;
  std::function<absl::Time()> clock_;
  absl::Notification stop_;
  std::unique_ptr<std::thread> thread_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_RETENTION_SWEEPER_H_
