#include "common/service/grpc_server.h"

#include <cstdio>
#include <fstream>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace referrals {
namespace {

// Reports every status change to two health services.
class HealthFanOut : public grpc::HealthCheckServiceInterface {
 public:
  HealthFanOut(grpc::HealthCheckServiceInterface* first, grpc::HealthCheckServiceInterface* second)
      : first_(first), second_(second) {}
  void SetServingStatus(const std::string& service_name, bool serving) override {
    first_->SetServingStatus(service_name, serving);
    second_->SetServingStatus(service_name, serving);
  }
  void SetServingStatus(bool serving) override {
    first_->SetServingStatus(serving);
    second_->SetServingStatus(serving);
  }
  void Shutdown() override {
    first_->Shutdown();
    second_->Shutdown();
  }

 private:
  grpc::HealthCheckServiceInterface* first_;
  grpc::HealthCheckServiceInterface* second_;
};

}  // namespace

absl::StatusOr<StartedServer> StartGrpcServer(const std::string& listen_address,
                                              const std::vector<grpc::Service*>& services,
                                              const ServerTlsOptions& tls,
                                              const std::string& health_listen,
                                              int max_request_bytes) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(listen_address, tls);
  if (!credentials.ok()) return credentials.status();
  WarnIfPlaintext("grpc_plaintext", listen_address, tls);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  StartedServer started;
  builder.AddListeningPort(listen_address, *credentials, &started.port);
  builder.SetMaxReceiveMessageSize(max_request_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || started.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen_address));
  }
  if (!health_listen.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(health_listen, grpc::InsecureServerCredentials(),
                                    &started.health_port);
    started.health_server = health_builder.BuildAndStart();
    if (started.health_server == nullptr || started.health_port == 0) {
      started.server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", health_listen));
    }
    started.health_fanout = std::make_unique<HealthFanOut>(
        started.server->GetHealthCheckService(), started.health_server->GetHealthCheckService());
  }
  return started;
}

absl::Status WritePortFile(const std::string& path, int port) {
  if (path.empty()) return absl::OkStatus();
  // Write then rename, so a reader never sees a half-written file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.good()) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace referrals
