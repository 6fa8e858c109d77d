// A Lua script run atomically on the Redis server: called with EVALSHA, and
// with EVAL when the server's script cache does not have it (after a restart
// or SCRIPT FLUSH), which also loads it for next time.
#ifndef COMMON_REDIS_REDIS_SCRIPT_H_
#define COMMON_REDIS_REDIS_SCRIPT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_connection.h"

namespace referrals {

class RedisScript {
 public:
  // `source` is the Lua text. Its SHA1 is learnt from the server (SCRIPT
  // LOAD) on first use, so no hashing code is needed here.
  explicit RedisScript(std::string source);

  // Runs the script. Errors as RedisConnection::Command; an error raised by
  // the script itself (redis.error_reply) comes back as its mapped status.
  absl::StatusOr<RedisReply> Run(RedisConnection& connection,
                                 const std::vector<std::string_view>& keys,
                                 const std::vector<std::string_view>& args) const;

  // Thread-safe: one RedisScript may be shared by every worker thread.
 private:
  std::string source_;
  mutable absl::Mutex mu_;
  mutable std::string sha1_ ABSL_GUARDED_BY(mu_);  // lower-case hex; empty until loaded
};

}  // namespace referrals

#endif  // COMMON_REDIS_REDIS_SCRIPT_H_
