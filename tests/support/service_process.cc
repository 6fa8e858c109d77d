#include "tests/support/service_process.h"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/redis_test_env.h"

namespace referrals::testing {
namespace {

std::shared_ptr<grpc::Channel> LocalChannel(const std::string& address,
                                            const ClientTlsOptions& tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(tls);
  if (!credentials.ok()) {
    ADD_FAILURE() << credentials.status();
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  return grpc::CreateCustomChannel(address, *credentials, args);
}

// Removes the directory Start() made for the port file, so runs leave no
// temporary directories behind.
void RemovePortFileDir(const std::string& port_file) {
  if (port_file.empty()) return;
  unlink(port_file.c_str());
  unlink((port_file + ".tmp").c_str());
  rmdir(port_file.substr(0, port_file.rfind('/')).c_str());
}

bool IsServing(const std::string& address, const ClientTlsOptions& tls) {
  absl::StatusOr<bool> serving = CheckServing(address, absl::Milliseconds(500), tls);
  return serving.ok() && *serving;
}

}  // namespace

std::shared_ptr<grpc::Channel> TestChannel(const std::string& address,
                                           const ClientTlsOptions& tls) {
  return LocalChannel(address, tls);
}

absl::StatusOr<std::string> CallUnaryBytes(const std::string& address, const std::string& method,
                                           const std::string& request, absl::Duration timeout,
                                           const ClientTlsOptions& tls) {
  grpc::GenericStub stub(LocalChannel(address, tls));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  absl::Mutex mu;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response,
                 [&](grpc::Status s) {
                   absl::MutexLock lock(&mu);
                   status = std::move(s);
                   done = true;
                 });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("unreadable response");
  std::string bytes;
  for (const auto& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return bytes;
}

// Called generically so the tests need no generated health stubs.
absl::StatusOr<bool> CheckServing(const std::string& address, absl::Duration timeout,
                                  const ClientTlsOptions& tls) {
  // HealthCheckRequest{service: ""} serializes to zero bytes.
  absl::StatusOr<std::string> response =
      CallUnaryBytes(address, "/grpc.health.v1.Health/Check", "", timeout, tls);
  if (!response.ok()) return response.status();
  // HealthCheckResponse{status: SERVING(1)} is field 1 varint 1: "\x08\x01".
  return *response == std::string("\x08\x01", 2);
}

ServiceProcess::ServiceProcess(std::string binary, std::vector<std::string> args,
                               std::string log_path)
    : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Kill();
  RemovePortFileDir(port_file_);
}

std::string ServiceProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status ServiceProcess::Start(absl::Duration timeout, bool require_serving) {
  RemovePortFileDir(port_file_);  // a restart's previous one
  char dir_template[] = "/tmp/referrals-service-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return absl::InternalError("mkdtemp failed");
  port_file_ = absl::StrCat(dir, "/port");

  std::vector<std::string> argv_strings = {binary_, "--listen=127.0.0.1:0",
                                           absl::StrCat("--port_file=", port_file_)};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    if (!log_path_.empty()) {
      int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
      }
    }
    // The test process may block signals; the child must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }

  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat(binary_, " exited during start-up (status ", status, "); see ", log_path_));
    }
    if (port_ == 0) {
      std::ifstream in(port_file_);
      int port = 0;
      if (in >> port) port_ = port;
    }
    if (port_ != 0 && (!require_serving || IsServing(address(), client_tls_)))
      return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(binary_, " did not become ready"));
}

int ServiceProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      port_ = 0;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Kill();
  return -1;
}

bool ServiceProcess::Exited() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  port_ = 0;
  return true;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  port_ = 0;
}

}  // namespace referrals::testing
