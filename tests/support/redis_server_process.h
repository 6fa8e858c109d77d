// A redis-server of a test's own, for tests that crash and restart Redis
// (the shared server named by REDIS_URL must never be restarted under other
// tests). It runs from PATH as a child process on a free loopback port, with
// its data in a fresh temporary directory and the append-only file on, so a
// SIGKILL followed by a restart on the same port and directory reloads
// everything Redis acknowledged.
#ifndef TESTS_SUPPORT_REDIS_SERVER_PROCESS_H_
#define TESTS_SUPPORT_REDIS_SERVER_PROCESS_H_

#include <string>
#include <sys/types.h>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"

namespace referrals::testing {

class RedisServerProcess {
 public:
  // `appendfsync`: "always" (the default: every write is appended and
  // fsynced before Redis replies, so nothing it acknowledged can be lost),
  // "everysec" or "no". The data directory is made under `parent_dir`; a
  // memory-backed one (/dev/shm) keeps "always" cheap, and a process crash
  // (SIGKILL) loses nothing written to it.
  explicit RedisServerProcess(std::string appendfsync = "always",
                              std::string parent_dir = "/tmp");
  // SIGKILLs the server if still running and removes its directory.
  ~RedisServerProcess();

  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  // Extra redis-server arguments, appended after the defaults: e.g.
  // {"--aclfile", path}, {"--replicaof", "127.0.0.1", "6380"}, or
  // {"--sentinel"} with a config file. Call before Start().
  void AddArguments(const std::vector<std::string>& args);
  // A config file passed as redis-server's first argument (Sentinel needs
  // one it can rewrite). Call before Start().
  void SetConfigFile(std::string path) { config_file_ = std::move(path); }
  // Picks the server's port (and makes its directory) without starting it,
  // so a replica's or sentinel's arguments can name it. Errors: INTERNAL.
  absl::Status Prepare();

  // Starts the server and waits until it answers PING (a NOAUTH answer, when
  // an ACL file turns the default user off, counts as up) (after loading its
  // data). The first start picks the directory and a free port; later starts
  // reuse both. The child is SIGKILLed if the thread that started it exits,
  // so call this from a thread that outlives the server (the test's own).
  // Errors: DEADLINE_EXCEEDED, INTERNAL (with the tail of the server's log).
  absl::Status Start(absl::Duration timeout = absl::Seconds(10));

  // SIGKILL, no chance to clean up: a crash. Data stays in the directory.
  void Kill();

  // Kill(), then Start() on the same port and directory.
  absl::Status Restart(absl::Duration timeout = absl::Seconds(10));

  // SIGTERM (Redis flushes the AOF and exits), then waits. Returns the exit
  // code, or -1 if it had to be SIGKILLed after `timeout`.
  int Stop(absl::Duration timeout = absl::Seconds(10));

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // "redis://127.0.0.1:PORT", for the services' --redis flag.
  std::string url() const;
  RedisOptions options() const;

 private:
  std::string LogTail() const;

  const std::string appendfsync_;
  const std::string parent_dir_;
  std::vector<std::string> extra_args_;
  std::string config_file_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace referrals::testing

#endif  // TESTS_SUPPORT_REDIS_SERVER_PROCESS_H_
