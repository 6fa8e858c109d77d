#include "common/service/service_flags.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/service/grpc_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "gRPC listen address HOST:PORT; port 0 picks a free port (see --port_file)");
ABSL_FLAG(std::string, redis, "",
          "Redis address redis://HOST:PORT[/DB]; default $REDIS_URL, else 127.0.0.1:6379");
ABSL_FLAG(std::string, redis_prefix, "referrals:",
          "prefix of every Redis key, so deployments or tests can share a server");
ABSL_FLAG(std::string, port_file, "", "if set, the bound gRPC port is written to this file");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "on SIGTERM/SIGINT, how long in-flight calls get to finish");
ABSL_FLAG(std::string, redis_user, "",
          "Redis ACL user to connect as (also redis://USER@HOST:PORT); needs "
          "--redis_password_file");
ABSL_FLAG(std::string, redis_password_file, "",
          "file holding the Redis password (AUTH on every connect); never pass a password "
          "on the command line");
ABSL_FLAG(std::string, redis_sentinels, "",
          "Redis Sentinels HOST:PORT,...: on every (re)connect ask them for the primary of "
          "--redis_master_name (then --redis names no server)");
ABSL_FLAG(std::string, redis_master_name, "", "the primary's name known to --redis_sentinels");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain this process presents: the gRPC and HTTP listeners' (TLS on) "
          "or, in clients, the client certificate for mutual TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "server: PEM CA bundle; when set, clients must present a certificate it signed "
          "(mutual TLS)");
ABSL_FLAG(bool, allow_insecure, false,
          "server: allow plaintext gRPC and HTTP on non-loopback --listen and --http_listen "
          "addresses (only behind a network that secures transport otherwise); without a "
          "certificate the default is to refuse to start");
ABSL_FLAG(int, grpc_max_request_bytes, referrals::kDefaultMaxRequestBytes,
          "refuse gRPC request messages larger than this (RESOURCE_EXHAUSTED)");
ABSL_FLAG(std::string, health_listen, "",
          "if set, HOST:PORT of a second, plaintext gRPC listener serving only grpc.health.v1 "
          "(for probes that speak no TLS, such as Kubernetes grpc probes)");

namespace referrals {

ServerTlsOptions ServerTlsOptionsFromFlags() {
  ServerTlsOptions tls;
  tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  tls.allow_insecure = absl::GetFlag(FLAGS_allow_insecure);
  return tls;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read secret file ", path));
  }
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read secret file ", path));
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty())
    return absl::InvalidArgumentError(absl::StrCat("secret file ", path, " is empty"));
  return secret;
}

absl::StatusOr<RedisOptions> RedisOptionsFromFlags() {
  std::string url = absl::GetFlag(FLAGS_redis);
  if (url.empty()) {
    const char* env = std::getenv("REDIS_URL");
    url = (env != nullptr && *env != '\0') ? env : "redis://127.0.0.1:6379";
  }
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
  if (!options.ok()) return options.status();

  const std::string user = absl::GetFlag(FLAGS_redis_user);
  if (!user.empty()) {
    if (!options->username.empty() && options->username != user) {
      return absl::InvalidArgumentError("--redis_user and the Redis URL name different users");
    }
    options->username = user;
  }
  const std::string password_file = absl::GetFlag(FLAGS_redis_password_file);
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadSecretFile(password_file);
    if (!password.ok()) return password.status();
    options->password = *std::move(password);
  } else if (!options->username.empty()) {
    return absl::InvalidArgumentError("a Redis user needs --redis_password_file");
  }

  const std::string sentinels = absl::GetFlag(FLAGS_redis_sentinels);
  const std::string master_name = absl::GetFlag(FLAGS_redis_master_name);
  if (sentinels.empty() != master_name.empty()) {
    return absl::InvalidArgumentError("--redis_sentinels and --redis_master_name go together");
  }
  if (!sentinels.empty()) {
    absl::StatusOr<std::vector<RedisEndpoint>> endpoints = ParseRedisEndpoints(sentinels);
    if (!endpoints.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--redis_sentinels: ", endpoints.status().message()));
    }
    options->sentinels = *std::move(endpoints);
    options->master_name = master_name;
  }
  return options;
}

}  // namespace referrals
