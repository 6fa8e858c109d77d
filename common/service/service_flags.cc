#include "common/service/service_flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "gRPC listen address HOST:PORT; port 0 picks a free port (see --port_file)");
ABSL_FLAG(std::string, redis, "",
          "Redis address redis://HOST:PORT[/DB]; default $REDIS_URL, else 127.0.0.1:6379");
ABSL_FLAG(std::string, redis_prefix, "referrals:",
          "prefix of every Redis key, so deployments or tests can share a server");
ABSL_FLAG(std::string, port_file, "", "if set, the bound gRPC port is written to this file");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "on SIGTERM/SIGINT, how long in-flight calls get to finish");

namespace referrals {

absl::StatusOr<RedisOptions> RedisOptionsFromFlags() {
  std::string url = absl::GetFlag(FLAGS_redis);
  if (url.empty()) {
    const char* env = std::getenv("REDIS_URL");
    url = (env != nullptr && *env != '\0') ? env : "redis://127.0.0.1:6379";
  }
  return ParseRedisUrl(url);
}

}  // namespace referrals
