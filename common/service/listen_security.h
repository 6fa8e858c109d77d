// What every listener (gRPC and HTTP) shares about transport security: the
// server's TLS settings and the rule for when plaintext is allowed.
//
// The rule: a listener without a certificate serves plaintext only on a
// loopback address (127.0.0.0/8, ::1, localhost, or a unix socket), unless
// the operator explicitly allows plaintext elsewhere (`allow_insecure`, for a
// private network behind a TLS-terminating mesh or proxy). No gRPC or HTTP
// library here: tls_credentials.h and http_server.h apply it.
#ifndef COMMON_SERVICE_LISTEN_SECURITY_H_
#define COMMON_SERVICE_LISTEN_SECURITY_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace referrals {

struct ServerTlsOptions {
  std::string cert_file;        // PEM certificate chain; empty means plaintext
  std::string key_file;         // PEM private key of cert_file
  std::string client_ca_file;   // PEM CA bundle; set means mutual TLS: every
                                // client must present a certificate it signed
  bool allow_insecure = false;  // plaintext even on a non-loopback address
};

// True for "127.x.x.x:PORT", "[::1]:PORT", "localhost:PORT" and "unix:...".
bool IsLoopbackListenAddress(std::string_view listen_address);

// True when `tls` has no certificate (the listener would be plaintext).
inline bool IsPlaintext(const ServerTlsOptions& tls) { return tls.cert_file.empty(); }

// Checks `tls` for a listener of `protocol` ("gRPC", "HTTP") on
// `listen_address`, without reading the files. Errors: INVALID_ARGUMENT for a
// certificate without a key (or the reverse) or a client CA without a
// certificate; FAILED_PRECONDITION for plaintext on a non-loopback address
// without allow_insecure.
absl::Status CheckServerTls(std::string_view protocol, std::string_view listen_address,
                            const ServerTlsOptions& tls);

// Logs `event` ("grpc_plaintext", "http_plaintext") as a warning when `tls`
// has no certificate, saying why plaintext was allowed on `listen_address`.
void WarnIfPlaintext(std::string_view event, std::string_view listen_address,
                     const ServerTlsOptions& tls);

}  // namespace referrals

#endif  // COMMON_SERVICE_LISTEN_SECURITY_H_
