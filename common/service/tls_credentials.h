// gRPC transport security for the services and their clients: TLS server
// credentials (optionally requiring and verifying client certificates) and
// TLS channel credentials. When plaintext is allowed: listen_security.h.
// Certificate and key files are PEM; their contents are never logged or put
// in a status.
#ifndef COMMON_SERVICE_TLS_CREDENTIALS_H_
#define COMMON_SERVICE_TLS_CREDENTIALS_H_

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "common/service/listen_security.h"

namespace referrals {

struct ClientTlsOptions {
  std::string ca_file;    // PEM CA bundle to verify the server; empty with no
                          // cert_file means plaintext
  std::string cert_file;  // PEM client certificate chain, for mutual TLS
  std::string key_file;   // its private key
  bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

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
