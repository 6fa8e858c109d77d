// gRPC transport security for the services and their clients: TLS server
// credentials (optionally requiring and verifying client certificates), TLS
// channel credentials, and the rule for when plaintext is allowed.
//
// The rule: a server without a certificate listens in plaintext only on a
// loopback address (127.0.0.0/8, ::1, localhost, or a unix socket), unless
// the operator explicitly allows plaintext elsewhere (`allow_insecure`, for a
// private network behind a TLS-terminating mesh). Certificate and key files
// are PEM; their contents are never logged or put in a status.
#ifndef COMMON_SERVICE_TLS_CREDENTIALS_H_
#define COMMON_SERVICE_TLS_CREDENTIALS_H_

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace referrals {

struct ServerTlsOptions {
  std::string cert_file;        // PEM certificate chain; empty means plaintext
  std::string key_file;         // PEM private key of cert_file
  std::string client_ca_file;   // PEM CA bundle; set means mutual TLS: every
                                // client must present a certificate it signed
  bool allow_insecure = false;  // plaintext even on a non-loopback address
};

struct ClientTlsOptions {
  std::string ca_file;    // PEM CA bundle to verify the server; empty with no
                          // cert_file means plaintext
  std::string cert_file;  // PEM client certificate chain, for mutual TLS
  std::string key_file;   // its private key
  bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

// True for "127.x.x.x:PORT", "[::1]:PORT", "localhost:PORT" and "unix:...".
bool IsLoopbackListenAddress(std::string_view listen_address);

// True when `tls` has no certificate (the server would be plaintext).
inline bool IsPlaintext(const ServerTlsOptions& tls) { return tls.cert_file.empty(); }

// Server credentials for `listen_address`. Errors: FAILED_PRECONDITION for
// plaintext on a non-loopback address without allow_insecure;
// INVALID_ARGUMENT for a certificate without a key (or the reverse), a client
// CA without a certificate, or a file that cannot be read or holds no PEM.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    std::string_view listen_address, const ServerTlsOptions& tls);

// Channel credentials: TLS when `tls.enabled()` (the system's roots when
// ca_file is empty), else plaintext. Errors: INVALID_ARGUMENT for a
// certificate without a key (or the reverse), or an unreadable or non-PEM
// file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsOptions& tls);

}  // namespace referrals

#endif  // COMMON_SERVICE_TLS_CREDENTIALS_H_
