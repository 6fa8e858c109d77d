// What operations staff watch, read from Redis in one pipelined round trip:
// per queue (every team's queue in the rules in force) the referrals waiting
// on its worklist, the oldest one's receipt time, how many are overdue and
// how many were ever routed there; and, for the whole router, the
// dead-letter count, the overdue total, routing's consumer-group lag and
// pending count on stream:triaged, and the running outcome/signpost totals.
//
// Ids, queue names, team and authority names and counts only: never anything
// from a referral's content. Bounded: a fixed number of commands per queue,
// none of them reading more than one member (ZINTERCARD stops at
// kOverdueCountLimit).
//
// Thread-safe (no mutable state); a RedisConnection is used by one thread.
#ifndef SERVICES_ROUTING_OPERATIONS_READER_H_
#define SERVICES_ROUTING_OPERATIONS_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/domain/rules_config.h"
#include "common/pipeline/keys.h"
#include "common/redis/redis_connection.h"

namespace referrals {

struct QueueOperations {
  std::string queue;
  std::string team_id;
  std::string team_name;
  std::string authority_id;    // empty for manual triage and out of area
  std::string authority_name;  // likewise
  bool has_worklist = true;    // false for out of area (nothing waits there)
  bool manual_triage = false;  // the rules' manual-triage team
  int64_t waiting = 0;         // on the worklist, awaiting action
  int64_t overdue = 0;         // of those, flagged overdue (at most the limit)
  int64_t routed = 0;          // entries on the queue's stream (routed there, untrimmed)
  // Receipt time of the oldest referral waiting; unset when none waits.
  std::optional<absl::Time> oldest_received;
};

struct OperationsSnapshot {
  absl::Time taken;
  std::vector<QueueOperations> queues;  // in the rules' team order
  int64_t dead_letters = 0;             // entries on stream:deadletter
  int64_t overdue = 0;                  // flagged overdue, still awaiting action
  // Routing's consumer group on stream:triaged: entries not yet delivered
  // (-1 when Redis cannot say, e.g. after trimming) and delivered but not
  // acknowledged.
  int64_t consumer_lag = -1;
  int64_t consumer_pending = 0;
  // The running totals the routing commits keep: "outcome:<ROUTING_OUTCOME_…>"
  // and "signpost:<ID>".
  std::map<std::string, int64_t> counters;
};

class OperationsReader {
 public:
  static constexpr int64_t kOverdueCountLimit = 100000;

  // `config` is the rules in force: which queues there are.
  OperationsReader(Keys keys, std::shared_ptr<const RulesConfig> config);

  // One snapshot at `now`, one round trip. Errors: the Redis error (I/O:
  // UNAVAILABLE; timeout: DEADLINE_EXCEEDED; an error reply to a per-queue
  // command, e.g. NOPERM: its status).
  absl::StatusOr<OperationsSnapshot> Read(RedisConnection& connection, absl::Time now) const;

 private:
  Keys keys_;
  std::shared_ptr<const RulesConfig> config_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_OPERATIONS_READER_H_
