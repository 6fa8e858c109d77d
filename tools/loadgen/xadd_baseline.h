// The raw Redis baseline: XADD of a referral-sized entry (the same two
// fields intake writes to stream:submitted, with a typical event as payload)
// from one connection, one command per round trip or `depth` per pipelined
// round trip. The pipeline's own throughput is quoted as a fraction of this,
// since absolute numbers move from machine to machine.
#ifndef TOOLS_LOADGEN_XADD_BASELINE_H_
#define TOOLS_LOADGEN_XADD_BASELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"

namespace referrals::loadgen {

struct XaddResult {
  int64_t count = 0;    // entries added
  int64_t errors = 0;   // failed round trips
  double seconds = 0;
  // Per round trip: one XADD, or one pipelined batch of `depth`.
  std::vector<double> latency_ms;
};

// Adds entries to `key` for `duration`. The stream is capped (MAXLEN ~
// 100000) so a fast run does not fill memory; trimming whole nodes costs
// little next to the insert. Errors: the connection's.
absl::StatusOr<XaddResult> RunXadd(const RedisOptions& redis, const std::string& key,
                                   const std::string& payload, int depth, absl::Duration duration);

// Deletes `key` and rewrites the AOF (BGREWRITEAOF), waiting up to `timeout`
// for the rewrite to finish, so the baseline's writes do not make the
// pipeline's runs pay for a rewrite. Errors: the connection's,
// DEADLINE_EXCEEDED.
absl::Status DropAndCompact(const RedisOptions& redis, const std::string& key,
                            absl::Duration timeout);

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_XADD_BASELINE_H_
