// A thin wrapper over httplib::Server (cpp-httplib, Debian's
// libcpp-httplib-dev): binds HOST:PORT, serves on its own threads, stops
// cleanly. Used for the portal's HTTP intake, /metrics, /healthz and the
// dashboard.
//
// Contract:
// - With a certificate in Options::tls the listener speaks HTTPS only (TLS
//   1.2 or later); with a client CA too, a client must present a certificate
//   that CA signed or the handshake fails. Without one it is plain HTTP,
//   allowed only on loopback unless tls.allow_insecure (listen_security.h),
//   with an `http_plaintext` warning logged at Start.
// - Register routes through server() before Start; not after.
// - Start binds the address ("HOST:PORT"; PORT 0 lets the OS pick; HOST may
//   be a bracketed IPv6 literal) and serves on a listener thread plus
//   httplib's worker pool (one thread per connection being served, up to
//   the pool size). port() is the port bound.
// - Handlers run on worker threads and may block (they answer
//   synchronously). An exception escaping a handler is caught here: the
//   client gets 500 with a generic JSON body; only the exception's type is
//   logged, its text neither logged nor sent (it could carry personal data).
// - The port is bound with SO_REUSEADDR, not httplib's default SO_REUSEPORT:
//   a port already in use is an error, never silently shared.
// - Request bodies over `max_body_bytes` are refused by httplib with 413
//   before the handler runs (the error handler, if set, still sees it).
// - Stop stops accepting, waits for the requests in hand, and joins every
//   thread; idempotent; the destructor calls it. Idle keep-alive connections
//   delay it by at most `keep_alive_timeout`.
// Thread safety: Start and Stop from one controlling thread; port() from
// any thread after Start.
#ifndef COMMON_SERVICE_HTTP_SERVER_H_
#define COMMON_SERVICE_HTTP_SERVER_H_

#include <atomic>
#include <httplib.h>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/service/listen_security.h"

namespace referrals {

class HttpServer {
 public:
  struct Options {
    size_t max_body_bytes = 1 << 20;
    absl::Duration read_timeout = absl::Seconds(5);
    absl::Duration write_timeout = absl::Seconds(5);
    absl::Duration keep_alive_timeout = absl::Seconds(2);
    ServerTlsOptions tls;  // no certificate: plain HTTP
  };

  explicit HttpServer(Options options);
  HttpServer() : HttpServer(Options()) {}
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Where routes, the error handler and the logger are registered, before
  // Start.
  httplib::Server& server() { return *server_; }

  // Binds and starts serving. Errors: INVALID_ARGUMENT for a malformed
  // address, or TLS settings that are incomplete or whose files cannot be
  // loaded (naming the file, never its contents) or do not match;
  // FAILED_PRECONDITION for plaintext on a non-loopback address (see above)
  // or when already started; UNAVAILABLE when it cannot be bound.
  absl::Status Start(const std::string& listen_address);

  // The port bound by Start; 0 before.
  int port() const { return port_.load(); }

  // Stops serving and joins the threads. Idempotent; safe before Start.
  void Stop();

 private:
  ServerTlsOptions tls_;
  std::string tls_error_;  // why the TLS context could not be set up
  std::unique_ptr<httplib::Server> server_;
  std::atomic<int> port_{0};
  std::atomic<bool> listen_returned_{false};
  bool started_ = false;
  bool stopped_ = false;
  std::thread listener_;
};

}  // namespace referrals

#endif  // COMMON_SERVICE_HTTP_SERVER_H_
