// A thin, typed wrapper over one hiredis connection.
//
// Not thread-safe: use one connection per thread. Commands are sent as argv
// with lengths (binary safe, never formatted strings). Failures map to a
// small fixed set of codes:
//   - connection refused, I/O error, EOF          -> UNAVAILABLE
//   - socket timeout                              -> DEADLINE_EXCEEDED
//   - protocol error                              -> INTERNAL
//   - error reply "OOM ..."                       -> RESOURCE_EXHAUSTED
//   - error reply "LOADING"/"MASTERDOWN"/"READONLY"/"BUSY" -> UNAVAILABLE
//   - error reply "BUSYGROUP ..."                 -> ALREADY_EXISTS
//   - error reply "NOGROUP ..."                   -> FAILED_PRECONDITION
//   - error reply "NOSCRIPT ..."                  -> NOT_FOUND
//   - any other error reply                       -> INTERNAL (Redis's text)
// After an I/O failure the connection marks itself broken; the next command
// first tries once to reconnect and fails with UNAVAILABLE if it cannot.
// Status messages carry Redis's error text and host:port, never command
// arguments (they may hold personal data).
//
// hiredis 0.14 writes with write(2), so a process using this must ignore
// SIGPIPE (signal(SIGPIPE, SIG_IGN) in main) or a write to a reset socket
// kills it.
#ifndef COMMON_REDIS_REDIS_CONNECTION_H_
#define COMMON_REDIS_REDIS_CONNECTION_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/redis_reply.h"

struct redisContext;

namespace referrals {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  absl::Duration connect_timeout = absl::Seconds(1);
  // Socket read/write timeout for each command. A blocking command (XREAD
  // BLOCK) needs a timeout longer than its block time.
  absl::Duration command_timeout = absl::Seconds(2);
};

// Parses "redis://HOST[:PORT][/DB]" (PORT defaults to 6379, DB to 0) or
// "HOST:PORT". HOST may be a bracketed IPv6 literal ("[::1]"). Errors:
// INVALID_ARGUMENT for any other scheme or shape, credentials ("user@"), a
// port outside 1..65535 or a DB that is not a non-negative integer.
absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url);

class RedisConnection {
 public:
  // Connects (and SELECTs `db` when non-zero). Errors: UNAVAILABLE (refused,
  // unreachable, I/O), DEADLINE_EXCEEDED (connect or SELECT timed out),
  // INVALID_ARGUMENT (a non-positive timeout, or the server rejected `db`).
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(const RedisOptions& options);

  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply. An error reply becomes a
  // status as listed above; nil, strings, integers and arrays are returned.
  absl::StatusOr<RedisReply> Command(const std::vector<std::string_view>& argv);

  // Sends several commands in one round trip and returns their replies in
  // order. Error replies are returned in place (type kError) rather than
  // failing the whole batch; an I/O failure fails the batch.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // Changes the socket timeout for subsequent commands, including after a
  // reconnect. absl::InfiniteDuration() means no timeout. Errors:
  // INVALID_ARGUMENT (zero or negative), UNAVAILABLE (the socket refused it;
  // the connection is then broken).
  absl::Status SetCommandTimeout(absl::Duration timeout);

  // True after an I/O failure, until a reconnect succeeds.
  bool broken() const { return context_ == nullptr; }

  const RedisOptions& options() const { return options_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  explicit RedisConnection(RedisOptions options);

  // Opens a context to `options` with its timeouts applied and its db
  // selected.
  static absl::StatusOr<ContextPtr> Open(const RedisOptions& options);

  // Reconnects once when broken. Errors: UNAVAILABLE.
  absl::Status EnsureConnected();

  // Turns the context's error flag (set by a failed hiredis call, with
  // `saved_errno` read straight after it) into a status and drops the context
  // so the next command reconnects. `command` is the command name only.
  absl::Status FailConnection(std::string_view command, int saved_errno);

  RedisOptions options_;
  ContextPtr context_;  // null while broken
};

// Maps a Redis error reply's text to a status, as listed above.
absl::Status StatusFromRedisError(std::string_view error_text);

}  // namespace referrals

#endif  // COMMON_REDIS_REDIS_CONNECTION_H_
