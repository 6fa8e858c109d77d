// Runs one of the service executables as a child process on a free loopback
// port, for integration tests that need real processes (and real crashes).
#ifndef TESTS_SUPPORT_SERVICE_PROCESS_H_
#define TESTS_SUPPORT_SERVICE_PROCESS_H_

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/service/tls_credentials.h"

namespace referrals::testing {

// A channel to `address` whose connection closes when the channel is
// destroyed (no global subchannel pool), so a test's finished client does not
// hold a server's shutdown in its connection drain. TLS when `tls.enabled()`;
// a TLS file that cannot be read fails the calling test (ADD_FAILURE) and
// gives a plaintext channel.
std::shared_ptr<grpc::Channel> TestChannel(const std::string& address,
                                           const ClientTlsOptions& tls = {});

// Calls `method` ("/package.Service/Method") on the server at `address` with
// the serialized request `request`, generically (no generated stubs). The
// response's bytes; errors: the call's status as an absl::Status (same code
// and message).
absl::StatusOr<std::string> CallUnaryBytes(const std::string& address, const std::string& method,
                                           const std::string& request, absl::Duration timeout,
                                           const ClientTlsOptions& tls = {});

// grpc.health.v1.Health/Check (service "") on the server at `address`: true
// for SERVING, false for NOT_SERVING or any other answer. Errors: the call's
// own failure as a status (UNAVAILABLE when nothing answers).
absl::StatusOr<bool> CheckServing(const std::string& address,
                                  absl::Duration timeout = absl::Milliseconds(500),
                                  const ClientTlsOptions& tls = {});

class ServiceProcess {
 public:
  // `binary` is the executable; `args` its flags. --listen=127.0.0.1:0 and
  // --port_file are added. Output goes to `log_path` if not empty.
  ServiceProcess(std::string binary, std::vector<std::string> args, std::string log_path = "");
  ~ServiceProcess();  // SIGKILLs the process if still running

  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // How Start() checks health: the client side of TLS when the service is
  // given --tls_cert_file (its certificate must name 127.0.0.1).
  void set_client_tls(ClientTlsOptions tls) { client_tls_ = std::move(tls); }

  // Starts the process and waits until it has written its port and, when
  // `require_serving`, answers the gRPC health check with SERVING.
  // Errors: DEADLINE_EXCEEDED, INTERNAL.
  absl::Status Start(absl::Duration timeout = absl::Seconds(20), bool require_serving = true);

  // SIGTERM, then waits for exit. Returns the exit code (-1 on timeout, then
  // SIGKILLed).
  int Stop(absl::Duration timeout = absl::Seconds(15));

  // SIGKILL, no chance to clean up: a crash.
  void Kill();

  bool running() const { return pid_ > 0; }
  // Reaps the process if it has exited on its own (a crash) and returns
  // true; then running() is false. False while it runs, or if never started.
  bool Exited();
  pid_t pid() const { return pid_; }
  std::string address() const;
  int port() const { return port_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  std::string port_file_;
  ClientTlsOptions client_tls_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace referrals::testing

#endif  // TESTS_SUPPORT_SERVICE_PROCESS_H_
