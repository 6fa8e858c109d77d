#include "common/redis/redis_connection.h"

#include <cerrno>
#include <climits>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include <sys/time.h>

namespace referrals {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so std views cross into absl through this.
absl::string_view Absl(std::string_view view) {
  return absl::string_view(view.data(), view.size());
}

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

constexpr int kDefaultPort = 6379;
constexpr std::string_view kScheme = "redis://";

// Copies a hiredis reply (and its children) into a value tree.
RedisReply ConvertReply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        out.elements.push_back(ConvertReply(*reply.element[i]));
      }
      break;
    case REDIS_REPLY_NIL:
    default:
      // hiredis 0.14 speaks RESP2 only, whose reader produces no other types.
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

// Redis sometimes echoes a rejected command's arguments in its error text
// ("ERR unknown command 'X', with args beginning with: 'a' 'b'"). Arguments
// may hold personal data, so statuses keep only the text before them.
std::string_view WithoutEchoedArguments(std::string_view text) {
  size_t pos = text.find(", with args beginning with:");
  if (pos != std::string_view::npos) text = text.substr(0, pos);
  return text;
}

// Maps a context error (err/errstr set by hiredis, errno read straight after
// the failing call) to a status code. `connecting` tells a connect that timed
// out (ETIMEDOUT) from an established socket that TCP gave up on.
absl::StatusCode CodeForContextError(int err, int saved_errno, bool connecting) {
  switch (err) {
    case REDIS_ERR_IO:
      // A blocking socket whose SO_RCVTIMEO/SO_SNDTIMEO expired reports
      // EAGAIN; hiredis's own connect timeout reports ETIMEDOUT.
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
          (connecting && saved_errno == ETIMEDOUT)) {
        return absl::StatusCode::kDeadlineExceeded;
      }
      return absl::StatusCode::kUnavailable;
    case REDIS_ERR_EOF:
      return absl::StatusCode::kUnavailable;
    case REDIS_ERR_PROTOCOL:
      return absl::StatusCode::kInternal;
    case REDIS_ERR_OOM:
      return absl::StatusCode::kResourceExhausted;
    default:  // REDIS_ERR_OTHER: e.g. the host name does not resolve
      return absl::StatusCode::kUnavailable;
  }
}

// A timeval for SO_RCVTIMEO/SO_SNDTIMEO; {0, 0} means "no timeout".
timeval ToSocketTimeout(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return timeval{0, 0};
  timeval tv = absl::ToTimeval(timeout);
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;  // round up, never "forever"
  return tv;
}

// Digits only (no sign, no spaces), at most `max`.
std::optional<int> ParseBoundedDecimal(std::string_view text, int max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<int>(value);
}

bool ArgvFitsInt(size_t size) { return size > 0 && size <= static_cast<size_t>(INT_MAX); }

std::string Endpoint(std::string_view host, int port) {
  if (Contains(host, ":")) return absl::StrCat("[", Absl(host), "]:", port);
  return absl::StrCat(Absl(host), ":", port);
}

struct FreeContext {
  void operator()(redisContext* context) const { redisFree(context); }
};
using LocalContext = std::unique_ptr<redisContext, FreeContext>;

// Opens a TCP connection to host:port with the connect and command timeouts
// of `options` applied.
absl::StatusOr<LocalContext> OpenSocket(const std::string& host, int port,
                                        const RedisOptions& options) {
  const std::string endpoint = Endpoint(host, port);
  errno = 0;
  LocalContext context(
      options.connect_timeout == absl::InfiniteDuration()
          ? redisConnect(host.c_str(), port)
          : redisConnectWithTimeout(host.c_str(), port, ToSocketTimeout(options.connect_timeout)));
  const int connect_errno = errno;
  if (context == nullptr) {
    return absl::ResourceExhaustedError("Redis: cannot allocate a connection context");
  }
  if (context->err != 0) {
    return absl::Status(CodeForContextError(context->err, connect_errno, /*connecting=*/true),
                        absl::StrCat("Redis ", endpoint, ": connect failed: ", context->errstr));
  }
  if (redisSetTimeout(context.get(), ToSocketTimeout(options.command_timeout)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("Redis ", endpoint, ": cannot set socket timeout: ", context->errstr));
  }
  return context;
}

// Sends one set-up command on a fresh context and returns its reply (error
// replies included). `what` names the command in statuses; the arguments
// are never put in them. Errors: the context's failure, as a status.
absl::StatusOr<ReplyPtr> SetupCommand(redisContext* context, const std::vector<std::string>& argv,
                                      std::string_view endpoint, std::string_view what) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lengths.data())));
  const int saved_errno = errno;
  if (reply == nullptr) {
    return absl::Status(
        CodeForContextError(context->err, saved_errno, /*connecting=*/false),
        absl::StrCat("Redis ", Absl(endpoint), ": ", Absl(what), " failed: ", context->errstr));
  }
  return reply;
}

// Asks the sentinels, in order, for the address of the primary named
// `options.master_name`. Errors: UNAVAILABLE when none answers with one.
absl::StatusOr<RedisEndpoint> ResolvePrimary(const RedisOptions& options) {
  std::string last_error = "no sentinel configured";
  for (const RedisEndpoint& sentinel : options.sentinels) {
    const std::string endpoint = Endpoint(sentinel.host, sentinel.port);
    absl::StatusOr<LocalContext> context = OpenSocket(sentinel.host, sentinel.port, options);
    if (!context.ok()) {
      last_error = std::string(context.status().message());
      continue;
    }
    absl::StatusOr<ReplyPtr> reply =
        SetupCommand(context->get(), {"SENTINEL", "get-master-addr-by-name", options.master_name},
                     endpoint, "SENTINEL get-master-addr-by-name");
    if (!reply.ok()) {
      last_error = std::string(reply.status().message());
      continue;
    }
    const redisReply& r = **reply;
    if (r.type == REDIS_REPLY_ARRAY && r.elements == 2 &&
        r.element[0]->type == REDIS_REPLY_STRING && r.element[1]->type == REDIS_REPLY_STRING) {
      std::optional<int> port =
          ParseBoundedDecimal(std::string_view(r.element[1]->str, r.element[1]->len), 65535);
      if (port.has_value() && *port > 0) {
        return RedisEndpoint{std::string(r.element[0]->str, r.element[0]->len), *port};
      }
    }
    last_error = r.type == REDIS_REPLY_ERROR
                     ? absl::StrCat("sentinel ", endpoint, ": ",
                                    Absl(WithoutEchoedArguments(std::string_view(r.str, r.len))))
                     : absl::StrCat("sentinel ", endpoint, " does not know the primary");
  }
  return absl::UnavailableError(absl::StrCat("Redis: no sentinel named the primary \"",
                                             options.master_name, "\" (last: ", last_error, ")"));
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url) {
  RedisOptions options;
  std::string_view rest = url;
  const bool has_scheme = rest.starts_with(kScheme);
  if (has_scheme) {
    rest.remove_prefix(kScheme.size());
  } else if (Contains(rest, "://")) {
    return absl::InvalidArgumentError("Redis URL: only the redis:// scheme is supported");
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    // Never echo this part: it may hold a password.
    std::string_view userinfo = rest.substr(0, at);
    if (!has_scheme) {
      return absl::InvalidArgumentError("Redis URL: a user needs the redis:// form");
    }
    if (Contains(userinfo, ":")) {
      return absl::InvalidArgumentError(
          "Redis URL: passwords in the URL are not accepted; use --redis_password_file");
    }
    if (userinfo.empty() || Contains(userinfo, "/") || Contains(userinfo, "@")) {
      return absl::InvalidArgumentError("Redis URL: bad user name");
    }
    options.username = std::string(userinfo);
    rest.remove_prefix(at + 1);
  }

  std::string_view authority = rest;
  std::optional<std::string_view> db_text;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (!has_scheme) {
      return absl::InvalidArgumentError("Redis URL: a database needs the redis:// form");
    }
    authority = rest.substr(0, slash);
    db_text = rest.substr(slash + 1);
  }

  std::string_view host;
  std::optional<std::string_view> port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("Redis URL: unterminated [IPv6] host");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("Redis URL: bad host");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (Contains(*port_text, ":")) {
        return absl::InvalidArgumentError("Redis URL: IPv6 hosts must be in brackets");
      }
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("Redis URL: empty host");
  options.host = std::string(host);

  if (port_text.has_value()) {
    std::optional<int> port = ParseBoundedDecimal(*port_text, 65535);
    if (!port.has_value() || *port == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Redis URL: port must be 1..65535, got \"", Absl(*port_text), "\""));
    }
    options.port = *port;
  } else if (!has_scheme) {
    return absl::InvalidArgumentError("Redis URL: expected redis://HOST[:PORT][/DB] or HOST:PORT");
  } else {
    options.port = kDefaultPort;
  }

  if (db_text.has_value() && !db_text->empty()) {
    std::optional<int> db = ParseBoundedDecimal(*db_text, INT_MAX);
    if (!db.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Redis URL: database must be a non-negative integer, got \"", Absl(*db_text), "\""));
    }
    options.db = *db;
  }
  return options;
}

absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(std::string_view list) {
  std::vector<RedisEndpoint> endpoints;
  if (list.empty()) return absl::InvalidArgumentError("Redis endpoints: empty list");
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    if (item.empty() || Contains(item, "/") || Contains(item, "@")) {
      return absl::InvalidArgumentError("Redis endpoints: expected HOST:PORT[,HOST:PORT...]");
    }
    absl::StatusOr<RedisOptions> parsed = ParseRedisUrl(item);
    if (!parsed.ok()) return parsed.status();
    endpoints.push_back(RedisEndpoint{parsed->host, parsed->port});
    start = comma + 1;
  }
  return endpoints;
}

absl::Status StatusFromRedisError(std::string_view error_text) {
  const std::string_view text = WithoutEchoedArguments(error_text);
  const std::string_view prefix = text.substr(0, text.find(' '));
  absl::StatusCode code = absl::StatusCode::kInternal;
  if (prefix == "OOM") {
    code = absl::StatusCode::kResourceExhausted;
  } else if (prefix == "LOADING" || prefix == "MASTERDOWN" || prefix == "READONLY" ||
             prefix == "BUSY") {
    code = absl::StatusCode::kUnavailable;
  } else if (prefix == "BUSYGROUP") {
    code = absl::StatusCode::kAlreadyExists;
  } else if (prefix == "NOGROUP") {
    code = absl::StatusCode::kFailedPrecondition;
  } else if (prefix == "NOSCRIPT") {
    code = absl::StatusCode::kNotFound;
  } else if (prefix == "WRONGPASS" || prefix == "NOAUTH") {
    code = absl::StatusCode::kUnauthenticated;
  } else if (prefix == "NOPERM" || Contains(text, "The user executing the script can't")) {
    code = absl::StatusCode::kPermissionDenied;
  }
  return absl::Status(code, Absl(text));
}

void RedisConnection::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

RedisConnection::RedisConnection(RedisOptions options)
    : options_(std::move(options)), endpoint_(Endpoint(options_.host, options_.port)) {}

RedisConnection::~RedisConnection() = default;

absl::StatusOr<RedisConnection::ContextPtr> RedisConnection::Open(const RedisOptions& options,
                                                                  std::string* endpoint) {
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("Redis timeouts must be positive");
  }
  if (options.db < 0) return absl::InvalidArgumentError("Redis db must be non-negative");
  if (!options.sentinels.empty() && options.master_name.empty()) {
    return absl::InvalidArgumentError("Redis sentinels need a master name");
  }

  RedisEndpoint server{options.host, options.port};
  if (!options.sentinels.empty()) {
    absl::StatusOr<RedisEndpoint> primary = ResolvePrimary(options);
    if (!primary.ok()) return primary.status();
    server = *std::move(primary);
  }
  *endpoint = Endpoint(server.host, server.port);

  absl::StatusOr<LocalContext> context = OpenSocket(server.host, server.port, options);
  if (!context.ok()) return context.status();

  if (!options.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options.username.empty()) auth.push_back(options.username);
    auth.push_back(options.password);
    absl::StatusOr<ReplyPtr> reply = SetupCommand(context->get(), auth, *endpoint, "AUTH");
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      absl::Status error = StatusFromRedisError(std::string_view((*reply)->str, (*reply)->len));
      return absl::Status(error.code() == absl::StatusCode::kInternal
                              ? absl::StatusCode::kUnauthenticated
                              : error.code(),
                          absl::StrCat("Redis ", *endpoint, ": AUTH as user \"",
                                       options.username.empty() ? "default" : options.username,
                                       "\" rejected: ", error.message()));
    }
  }

  if (options.db != 0) {
    absl::StatusOr<ReplyPtr> reply =
        SetupCommand(context->get(), {"SELECT", absl::StrCat(options.db)}, *endpoint, "SELECT");
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      absl::Status error = StatusFromRedisError(std::string_view((*reply)->str, (*reply)->len));
      if (error.code() == absl::StatusCode::kUnauthenticated ||
          error.code() == absl::StatusCode::kPermissionDenied) {
        return absl::Status(error.code(),
                            absl::StrCat("Redis ", *endpoint, ": SELECT: ", error.message()));
      }
      return absl::InvalidArgumentError(absl::StrCat("Redis ", *endpoint, ": SELECT ", options.db,
                                                     " rejected: ", error.message()));
    }
  }
  return ContextPtr(context->release());
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisOptions& options) {
  std::string endpoint;
  absl::StatusOr<ContextPtr> context = Open(options, &endpoint);
  if (!context.ok()) return context.status();
  std::unique_ptr<RedisConnection> connection(new RedisConnection(options));
  connection->endpoint_ = std::move(endpoint);
  connection->context_ = *std::move(context);
  return connection;
}

absl::Status RedisConnection::EnsureConnected() {
  if (context_ != nullptr) return absl::OkStatus();
  absl::StatusOr<ContextPtr> context = Open(options_, &endpoint_);
  if (!context.ok()) {
    const absl::StatusCode code = context.status().code();
    if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kUnauthenticated ||
        code == absl::StatusCode::kPermissionDenied) {
      return context.status();
    }
    return absl::UnavailableError(
        absl::StrCat("Redis reconnect failed: ", context.status().message()));
  }
  context_ = *std::move(context);
  return absl::OkStatus();
}

absl::Status RedisConnection::FailConnection(std::string_view command, int saved_errno) {
  absl::Status status(CodeForContextError(context_->err, saved_errno, /*connecting=*/false),
                      absl::StrCat("Redis ", endpoint_, ": ", Absl(command), ": ",
                                   context_->err != 0 ? context_->errstr : "no reply"));
  // A context that reported an error cannot be trusted with more commands (a
  // timed-out reply may still arrive), so drop it and reconnect next time.
  context_.reset();
  return status;
}

absl::StatusOr<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& argv) {
  if (!ArgvFitsInt(argv.size())) {
    return absl::InvalidArgumentError("Redis command: empty or oversized argv");
  }
  if (absl::Status status = EnsureConnected(); !status.ok()) return status;

  std::vector<const char*> args;
  std::vector<size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (std::string_view arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
      context_.get(), static_cast<int>(args.size()), args.data(), lengths.data())));
  const int saved_errno = errno;
  if (reply == nullptr) return FailConnection(argv.front(), saved_errno);
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string_view text(reply->str, reply->len);
    if (IsReadOnlyError(text)) DropDemotedServer();
    absl::Status status = StatusFromRedisError(text);
    return absl::Status(status.code(), absl::StrCat(Absl(argv.front()), ": ", status.message()));
  }
  return ConvertReply(*reply);
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<RedisReply> replies;
  if (commands.empty()) return replies;
  for (const std::vector<std::string>& command : commands) {
    if (!ArgvFitsInt(command.size())) {
      return absl::InvalidArgumentError("Redis pipeline: empty or oversized argv");
    }
  }
  if (absl::Status status = EnsureConnected(); !status.ok()) return status;

  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::vector<std::string>& command : commands) {
    args.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      args.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    // Appending only formats into hiredis's output buffer; it fails only when
    // out of memory.
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), args.data(),
                               lengths.data()) != REDIS_OK) {
      return FailConnection("pipeline", errno);
    }
  }

  replies.reserve(commands.size());
  for (const std::vector<std::string>& command : commands) {
    void* raw = nullptr;
    errno = 0;
    const int rc = redisGetReply(context_.get(), &raw);
    const int saved_errno = errno;
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (rc != REDIS_OK || reply == nullptr) {
      return FailConnection(absl::StrCat("pipeline at ", command.front()), saved_errno);
    }
    replies.push_back(ConvertReply(*reply));
  }
  for (const RedisReply& reply : replies) {
    if (reply.type == RedisReply::Type::kError && IsReadOnlyError(reply.str)) {
      DropDemotedServer();
      break;
    }
  }
  return replies;
}

bool RedisConnection::IsReadOnlyError(std::string_view error_text) {
  // Plain commands answer "READONLY ..."; a script's write on a replica
  // carries the same text after the script's own prefix.
  return error_text.starts_with("READONLY") ||
         Contains(error_text, "READONLY You can't write against a read only replica");
}

void RedisConnection::DropDemotedServer() { context_.reset(); }

absl::Status RedisConnection::SetCommandTimeout(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("Redis command timeout must be positive");
  }
  options_.command_timeout = timeout;
  if (context_ == nullptr) return absl::OkStatus();  // applied on reconnect
  errno = 0;
  if (redisSetTimeout(context_.get(), ToSocketTimeout(timeout)) != REDIS_OK) {
    const int saved_errno = errno;
    absl::Status status = FailConnection("set timeout", saved_errno);
    return absl::UnavailableError(status.message());
  }
  return absl::OkStatus();
}

}  // namespace referrals
