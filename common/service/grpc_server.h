// Starting a gRPC server the way every service here does: the standard health
// service and server reflection on, TLS (or mutual TLS) when a certificate is
// given, the chosen port read back.
#ifndef COMMON_SERVICE_GRPC_SERVER_H_
#define COMMON_SERVICE_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/statusor.h"
#include "common/service/tls_credentials.h"

namespace referrals {

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the port bound; useful with "127.0.0.1:0"
  // With a health listen address: a second server, plaintext, serving only
  // grpc.health.v1 (for probes that speak no TLS, like the kubelet's), and
  // its port. Its status follows health().
  std::unique_ptr<grpc::Server> health_server;
  int health_port = 0;
  std::unique_ptr<grpc::HealthCheckServiceInterface> health_fanout;

  // Where to report health: the main server's health service and, when
  // there is one, the health server's too. Owned by this struct.
  grpc::HealthCheckServiceInterface* health() const {
    return health_fanout != nullptr ? health_fanout.get() : server->GetHealthCheckService();
  }
};

// Builds and starts a server on `listen_address` ("HOST:PORT", port 0 picks a
// free one) serving `services` (not owned; must outlive the server) plus
// grpc.health.v1 and reflection. Health starts SERVING for "". Listens with
// TLS when `tls` has a certificate; plaintext only on a loopback address
// (logged as a warning) unless `tls.allow_insecure` (see tls_credentials.h).
// When `health_listen` is not empty, also starts the plaintext health-only
// server there (health carries no data, so it may listen anywhere).
// A request message larger than `max_request_bytes` is refused by gRPC with
// RESOURCE_EXHAUSTED before any handler sees it (a referral is a few KiB).
// Errors: UNAVAILABLE when an address cannot be bound (or gRPC rejects the
// certificate), and MakeServerCredentials's FAILED_PRECONDITION and
// INVALID_ARGUMENT.
inline constexpr int kDefaultMaxRequestBytes = 256 * 1024;
absl::StatusOr<StartedServer> StartGrpcServer(const std::string& listen_address,
                                              const std::vector<grpc::Service*>& services,
                                              const ServerTlsOptions& tls = {},
                                              const std::string& health_listen = "",
                                              int max_request_bytes = kDefaultMaxRequestBytes);

// Writes `port` to `path` (for scripts and tests that start a service on port
// 0). No-op when `path` is empty. Errors: INTERNAL on write failure.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace referrals

#endif  // COMMON_SERVICE_GRPC_SERVER_H_
