// Starting a gRPC server the way every service here does: the standard health
// service and server reflection on, the chosen port read back.
#ifndef COMMON_SERVICE_GRPC_SERVER_H_
#define COMMON_SERVICE_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace referrals {

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the port bound; useful with "127.0.0.1:0"
};

// Builds and starts a server on `listen_address` ("HOST:PORT", port 0 picks a
// free one) serving `services` (not owned; must outlive the server) plus
// grpc.health.v1 and reflection. Health starts SERVING for "".
// Errors: UNAVAILABLE when the address cannot be bound.
absl::StatusOr<StartedServer> StartGrpcServer(const std::string& listen_address,
                                              const std::vector<grpc::Service*>& services);

// Writes `port` to `path` (for scripts and tests that start a service on port
// 0). No-op when `path` is empty. Errors: INTERNAL on write failure.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace referrals

#endif  // COMMON_SERVICE_GRPC_SERVER_H_
