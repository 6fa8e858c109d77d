// Flags every service takes, and how they turn into options.
#ifndef COMMON_SERVICE_SERVICE_FLAGS_H_
#define COMMON_SERVICE_SERVICE_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(std::string, redis_prefix);
ABSL_DECLARE_FLAG(std::string, port_file);
ABSL_DECLARE_FLAG(int, shutdown_grace_seconds);

namespace referrals {

// The Redis address from --redis, else $REDIS_URL, else 127.0.0.1:6379.
// Errors: INVALID_ARGUMENT for a malformed address.
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

}  // namespace referrals

#endif  // COMMON_SERVICE_SERVICE_FLAGS_H_
