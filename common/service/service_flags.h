// Flags every service takes, and how they turn into options.
#ifndef COMMON_SERVICE_SERVICE_FLAGS_H_
#define COMMON_SERVICE_SERVICE_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"
#include "common/service/tls_credentials.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(std::string, redis_prefix);
ABSL_DECLARE_FLAG(std::string, port_file);
ABSL_DECLARE_FLAG(int, shutdown_grace_seconds);
ABSL_DECLARE_FLAG(std::string, redis_user);
ABSL_DECLARE_FLAG(std::string, redis_password_file);
ABSL_DECLARE_FLAG(std::string, redis_sentinels);
ABSL_DECLARE_FLAG(std::string, redis_master_name);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);
ABSL_DECLARE_FLAG(bool, allow_insecure);
ABSL_DECLARE_FLAG(std::string, health_listen);
ABSL_DECLARE_FLAG(int, grpc_max_request_bytes);

namespace referrals {

// The Redis address from --redis, else $REDIS_URL, else 127.0.0.1:6379; the
// ACL user from --redis_user, else the URL's "user@"; the password read from
// --redis_password_file; the sentinels from --redis_sentinels and
// --redis_master_name. Errors: INVALID_ARGUMENT for a malformed address, a
// user named twice differently, a user without a password file, a password
// file that cannot be read or is empty (its contents are never echoed),
// sentinels without a master name or the reverse.
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

// The gRPC server's TLS settings from --tls_cert_file, --tls_key_file,
// --tls_client_ca_file and --allow_insecure (checked when the server starts).
ServerTlsOptions ServerTlsOptionsFromFlags();

// Reads a secret (a password) from `path`: the whole file less one trailing
// newline. Errors: INVALID_ARGUMENT when it cannot be read or is empty. The
// status names the path, never the contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace referrals

#endif  // COMMON_SERVICE_SERVICE_FLAGS_H_
