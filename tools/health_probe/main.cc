// health_probe: asks one server grpc.health.v1.Health/Check (service "") and
// exits 0 when it answers SERVING, 1 otherwise (NOT_SERVING, unreachable,
// refused, deadline). For container HEALTHCHECKs and exec probes; prints one
// line saying why on failure.
//
//   health_probe --address=127.0.0.1:8081
//   health_probe --address=127.0.0.1:50051 --tls_ca_file=ca.pem
//       --tls_server_name=intake.referrals.svc [--tls_cert_file=F --tls_key_file=K]
#include <iostream>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/service/tls_credentials.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8081", "HOST:PORT of the server to check");
ABSL_FLAG(int, timeout_ms, 2000, "deadline of the check");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CA bundle; set means TLS");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate, for mutual TLS");
ABSL_FLAG(std::string, tls_key_file, "", "its private key");
ABSL_FLAG(std::string, tls_server_name, "",
          "name to verify the server's certificate against, when --address is not it");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  referrals::ClientTlsOptions tls{absl::GetFlag(FLAGS_tls_ca_file),
                                  absl::GetFlag(FLAGS_tls_cert_file),
                                  absl::GetFlag(FLAGS_tls_key_file)};
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      referrals::MakeChannelCredentials(tls);
  if (!credentials.ok()) {
    std::cerr << "health_probe: " << credentials.status().message() << "\n";
    return 2;
  }
  grpc::ChannelArguments args;
  if (const std::string name = absl::GetFlag(FLAGS_tls_server_name); !name.empty()) {
    args.SetSslTargetNameOverride(name);
  }
  grpc::GenericStub stub(
      grpc::CreateCustomChannel(absl::GetFlag(FLAGS_address), *credentials, args));
  grpc::ClientContext context;
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms))));
  // HealthCheckRequest{service: ""} is zero bytes; SERVING is field 1 = 1.
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) {
    std::cerr << "health_probe: " << absl::GetFlag(FLAGS_address) << ": " << status.error_message()
              << "\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (bytes != std::string("\x08\x01", 2)) {
    std::cerr << "health_probe: " << absl::GetFlag(FLAGS_address) << ": NOT_SERVING\n";
    return 1;
  }
  return 0;
}
