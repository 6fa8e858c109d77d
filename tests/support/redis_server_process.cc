#include "tests/support/redis_server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace referrals::testing {
namespace {

bool PortIsFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

// A free port below the kernel's ephemeral range: while the server is down
// for a restart, no outgoing connection (a service reconnecting, say) can be
// given its port as a source port and block the restart's bind.
int PickPort() {
  int low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> low;
  if (low <= 12000) low = 32768;
  absl::BitGen gen;
  for (int i = 0; i < 200; ++i) {
    const int port = absl::Uniform(gen, 10000, low);
    if (PortIsFree(port)) return port;
  }
  return 0;
}

}  // namespace

RedisServerProcess::RedisServerProcess(std::string appendfsync, std::string parent_dir)
    : appendfsync_(std::move(appendfsync)), parent_dir_(std::move(parent_dir)) {}

RedisServerProcess::~RedisServerProcess() {
  Kill();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RedisServerProcess::url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

RedisOptions RedisServerProcess::options() const {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  return options;
}

std::string RedisServerProcess::LogTail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

void RedisServerProcess::AddArguments(const std::vector<std::string>& args) {
  extra_args_.insert(extra_args_.end(), args.begin(), args.end());
}

absl::Status RedisServerProcess::Prepare() {
  if (dir_.empty()) {
    std::string dir_template = parent_dir_ + "/referrals-redis-XXXXXX";
    const char* dir = mkdtemp(dir_template.data());
    if (dir == nullptr) return absl::InternalError(absl::StrCat("mkdtemp failed in ", parent_dir_));
    dir_ = dir;
  }
  if (port_ == 0) port_ = PickPort();
  if (port_ == 0) return absl::InternalError("no free loopback port for redis-server");
  return absl::OkStatus();
}

absl::Status RedisServerProcess::Start(absl::Duration timeout) {
  if (pid_ > 0) return absl::InternalError("redis-server is already running");
  if (absl::Status prepared = Prepare(); !prepared.ok()) return prepared;

  std::vector<std::string> argv_strings = {"redis-server"};
  if (!config_file_.empty()) argv_strings.push_back(config_file_);
  std::vector<std::string> defaults = {
      "--bind", "127.0.0.1", "--port", absl::StrCat(port_), "--dir", dir_,
      // Only the AOF: no RDB snapshots, so what a restart loads is exactly
      // what was appended before the crash.
      "--save", "", "--appendonly", "yes", "--appendfsync", appendfsync_, "--daemonize", "no"};
  argv_strings.insert(argv_strings.end(), defaults.begin(), defaults.end());
  argv_strings.insert(argv_strings.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log_path = dir_ + "/redis.log";

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    // Never outlive the test, even if it is killed (a ctest timeout).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }

  RedisOptions options = this->options();
  options.connect_timeout = absl::Milliseconds(200);
  options.command_timeout = absl::Seconds(1);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("redis-server exited during start-up (status ",
                                              status, "):\n", LogTail()));
    }
    auto connection = RedisConnection::Connect(options);
    if (connection.ok()) {
      // PING answers LOADING until the AOF is loaded.
      auto pong = (*connection)->Command({"PING"});
      if (pong.ok() || pong.status().code() == absl::StatusCode::kUnauthenticated) {
        return absl::OkStatus();
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Kill();
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server did not answer PING in time:\n", LogTail()));
}

void RedisServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

absl::Status RedisServerProcess::Restart(absl::Duration timeout) {
  Kill();
  return Start(timeout);
}

int RedisServerProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Kill();
  return -1;
}

}  // namespace referrals::testing
