#include "common/service/http_server.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <typeinfo>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/service/log.h"

namespace referrals {
namespace {

time_t WholeSeconds(absl::Duration duration) {
  return static_cast<time_t>(absl::ToInt64Seconds(duration));
}

time_t RemainingMicros(absl::Duration duration) {
  return static_cast<time_t>(absl::ToInt64Microseconds(duration % absl::Seconds(1)));
}

// Sets up an HTTPS listener's context; on failure says why in `error`
// (file names only) and returns false.
bool SetUpTlsContext(SSL_CTX& context, const ServerTlsOptions& tls, std::string& error) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  bool ok = true;
  if (SSL_CTX_use_certificate_chain_file(&context, tls.cert_file.c_str()) != 1) {
    error = absl::StrCat("cannot load the TLS certificate chain ", tls.cert_file);
    ok = false;
  } else if (SSL_CTX_use_PrivateKey_file(&context, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(&context) != 1) {
    // OpenSSL refuses a key that does not match the certificate here too.
    error = absl::StrCat("cannot use the TLS key ", tls.key_file, " with the certificate ",
                         tls.cert_file, " (unreadable, not a PEM key, or not its key)");
    ok = false;
  } else if (!tls.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(&context, tls.client_ca_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      error = absl::StrCat("cannot load the TLS client CA ", tls.client_ca_file);
      ok = false;
    } else {
      SSL_CTX_set_client_CA_list(&context, names);  // takes ownership
      SSL_CTX_set_verify(&context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  ERR_clear_error();  // OpenSSL's queue is per thread; leave it empty
  return ok;
}

}  // namespace

HttpServer::HttpServer(Options options) : tls_(std::move(options.tls)) {
  if (IsPlaintext(tls_)) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    server_ = std::make_unique<httplib::SSLServer>(
        [this](SSL_CTX& context) { return SetUpTlsContext(context, tls_, tls_error_); });
  }
  server_->set_payload_max_length(options.max_body_bytes);
  server_->set_read_timeout(WholeSeconds(options.read_timeout),
                            RemainingMicros(options.read_timeout));
  server_->set_write_timeout(WholeSeconds(options.write_timeout),
                             RemainingMicros(options.write_timeout));
  server_->set_keep_alive_timeout(std::max<time_t>(1, WholeSeconds(options.keep_alive_timeout)));
  // httplib's default is SO_REUSEPORT, which lets a second process bind the
  // same port and silently take half the requests. SO_REUSEADDR only: a
  // restart can rebind at once, a second listener fails.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        // Only the exception's type is logged: its text could quote the
        // request (personal data). The path carries no query string.
        std::string type = "unknown";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          type = typeid(e).name();
        } catch (...) {
        }
        Log(LogLevel::kError, "http_handler_exception",
            {{"method", request.method}, {"path", request.path}, {"exception_type", type}});
        response.status = 500;
        response.set_content(R"({"error":{"code":500,"message":"internal error"}})",
                             "application/json");
      });
}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start(const std::string& listen_address) {
  if (started_) return absl::FailedPreconditionError("the HTTP server was already started");
  const size_t colon = listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen_address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad HTTP listen address \"", listen_address, "\" (want HOST:PORT)"));
  }
  std::string host = listen_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (absl::Status checked = CheckServerTls("HTTP", listen_address, tls_); !checked.ok()) {
    return checked;
  }
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(
        tls_error_.empty() ? std::string("cannot set up TLS for the HTTP listener") : tls_error_);
  }
  int bound = 0;
  if (port == 0) {
    bound = server_->bind_to_any_port(host);
  } else if (server_->bind_to_port(host, port)) {
    bound = port;
  } else {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind HTTP listener to ", listen_address));
  }
  port_ = bound;
  started_ = true;
  WarnIfPlaintext("http_plaintext", listen_address, tls_);
  listener_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // httplib's stop() does nothing until the listen loop has marked itself
  // running; wait for that so an early Stop cannot be lost.
  while (!server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace referrals
