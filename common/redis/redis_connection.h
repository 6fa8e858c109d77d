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
//   - error reply "WRONGPASS"/"NOAUTH"            -> UNAUTHENTICATED
//   - error reply "NOPERM", or a script's command
//     refused by the ACL                          -> PERMISSION_DENIED
//   - error reply "BUSYGROUP ..."                 -> ALREADY_EXISTS
//   - error reply "NOGROUP ..."                   -> FAILED_PRECONDITION
//   - error reply "NOSCRIPT ..."                  -> NOT_FOUND
//   - any other error reply                       -> INTERNAL (Redis's text)
// After an I/O failure, or a READONLY error reply (the server is a replica:
// after a failover the old primary is demoted), the connection marks itself
// broken; the next command first tries once to reconnect and fails with
// UNAVAILABLE if it cannot.
//
// Every (re)connect: when sentinels are configured, asks them in turn for the
// current primary (SENTINEL get-master-addr-by-name) and connects there; then
// AUTHs when a password is set (as `username`, or as the default user); then
// SELECTs a non-zero db.
//
// Status messages carry Redis's error text, the user name and host:port,
// never command arguments (they may hold personal data) nor the password.
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

struct RedisEndpoint {
  std::string host;
  int port = 0;
};

struct RedisOptions {
  // The server, when `sentinels` is empty.
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // The Redis ACL user; empty means the default user.
  std::string username;
  // Sent with AUTH on every (re)connect; empty means no AUTH. A secret: read
  // it from a file, never log it, never put it in a status.
  std::string password;
  // When not empty, the primary is found through these Redis Sentinels (asked
  // in order until one knows `master_name`), and `host`/`port` are unused.
  std::vector<RedisEndpoint> sentinels;
  std::string master_name;
  absl::Duration connect_timeout = absl::Seconds(1);
  // Socket read/write timeout for each command. A blocking command (XREAD
  // BLOCK) needs a timeout longer than its block time.
  absl::Duration command_timeout = absl::Seconds(2);
};

// Parses "redis://[USER@]HOST[:PORT][/DB]" (PORT defaults to 6379, DB to 0)
// or "HOST:PORT". HOST may be a bracketed IPv6 literal ("[::1]"). USER sets
// `username`; the password never comes from a URL. Errors: INVALID_ARGUMENT
// for any other scheme or shape, a password in the URL ("user:pw@", never
// echoed), an empty user, a port outside 1..65535 or a DB that is not a
// non-negative integer.
absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url);

// Parses "HOST:PORT[,HOST:PORT...]" (IPv6 hosts in brackets) into sentinel
// endpoints. Errors: INVALID_ARGUMENT for an empty list or a bad element.
absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(std::string_view list);

class RedisConnection {
 public:
  // Connects (through the sentinels when set), AUTHs when a password is set,
  // and SELECTs `db` when non-zero. Errors: UNAVAILABLE (refused,
  // unreachable, I/O, no sentinel knows the primary), DEADLINE_EXCEEDED
  // (connect, AUTH or SELECT timed out), UNAUTHENTICATED (wrong user or
  // password, or the server wants a password and none is set),
  // INVALID_ARGUMENT (a non-positive timeout, sentinels without a master
  // name, or the server rejected `db`).
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

  // host:port of the server this connection talks (or last talked) to: the
  // primary the sentinels named, else options().host:port.
  const std::string& endpoint() const { return endpoint_; }

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

  // Opens a context to `options` (to the primary the sentinels name, when
  // set) with its timeouts applied, authenticated and its db selected. Sets
  // `endpoint` to the server's host:port.
  static absl::StatusOr<ContextPtr> Open(const RedisOptions& options, std::string* endpoint);

  // Reconnects once when broken. Errors: UNAVAILABLE, and UNAUTHENTICATED or
  // INVALID_ARGUMENT as Connect.
  absl::Status EnsureConnected();

  // Turns the context's error flag (set by a failed hiredis call, with
  // `saved_errno` read straight after it) into a status and drops the context
  // so the next command reconnects. `command` is the command name only.
  absl::Status FailConnection(std::string_view command, int saved_errno);

  // True for the error a replica gives a write ("READONLY ...").
  static bool IsReadOnlyError(std::string_view error_text);
  // Marks the connection broken after a READONLY reply, so the next command
  // reconnects (through the sentinels, to the new primary).
  void DropDemotedServer();

  RedisOptions options_;
  std::string endpoint_;
  ContextPtr context_;  // null while broken
};

// Maps a Redis error reply's text to a status, as listed above.
absl::Status StatusFromRedisError(std::string_view error_text);

}  // namespace referrals

#endif  // COMMON_REDIS_REDIS_CONNECTION_H_
