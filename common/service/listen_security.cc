#include "common/service/listen_security.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/service/log.h"

namespace referrals {
namespace {

absl::string_view Absl(std::string_view view) {
  return absl::string_view(view.data(), view.size());
}

}  // namespace

bool IsLoopbackListenAddress(std::string_view address) {
  if (address.starts_with("unix:") || address.starts_with("unix-abstract:")) return true;
  std::string_view host = address;
  if (host.starts_with("[")) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

absl::Status CheckServerTls(std::string_view protocol, std::string_view listen_address,
                            const ServerTlsOptions& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("a TLS certificate needs its key, and a key its certificate");
  }
  if (!tls.cert_file.empty()) return absl::OkStatus();
  if (!tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError("a client CA (mutual TLS) needs a server certificate");
  }
  if (!IsLoopbackListenAddress(listen_address) && !tls.allow_insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing plaintext ", Absl(protocol), " on non-loopback address ", Absl(listen_address),
        ": give --tls_cert_file and --tls_key_file (or --allow_insecure on a private "
        "network whose transport is secured otherwise)"));
  }
  return absl::OkStatus();
}

void WarnIfPlaintext(std::string_view event, std::string_view listen_address,
                     const ServerTlsOptions& tls) {
  if (!IsPlaintext(tls)) return;
  Log(LogLevel::kWarning, Absl(event),
      {{"listen", std::string(listen_address)},
       {"note", IsLoopbackListenAddress(listen_address)
                    ? "no --tls_cert_file: plaintext on loopback only"
                    : "--allow_insecure: plaintext on a non-loopback address"}});
}

}  // namespace referrals
