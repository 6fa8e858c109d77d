#include "common/service/auth/auth_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/service/log.h"
#include "common/service/tls_credentials.h"

ABSL_FLAG(std::string, tokens_file, "",
          "bearer tokens file (caller_id role[:authority] g1$salt$hash per line; see "
          "SECURITY.md); empty: no authentication, allowed only on loopback addresses");

namespace referrals {

absl::StatusOr<std::unique_ptr<Authorizer>> MakeAuthorizer(
    const std::string& tokens_file, const std::vector<std::string>& listen_addresses) {
  if (!tokens_file.empty()) {
    absl::StatusOr<std::unique_ptr<TokenStore>> tokens = TokenStore::Load(tokens_file);
    if (!tokens.ok()) return tokens.status();
    Log(LogLevel::kInfo, "auth_enabled", {{"tokens", absl::StrCat((*tokens)->size())}});
    return std::make_unique<Authorizer>(*std::move(tokens), tokens_file);
  }
  for (const std::string& address : listen_addresses) {
    if (!address.empty() && !IsLoopbackListenAddress(address)) {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing to serve without authentication on non-loopback address ", address,
                       ": give --tokens_file"));
    }
  }
  Log(LogLevel::kWarning, "auth_disabled",
      {{"listen", absl::StrJoin(listen_addresses, ",")},
       {"note", "no --tokens_file: every call is allowed (loopback only)"}});
  return std::make_unique<Authorizer>(nullptr);
}

absl::StatusOr<std::unique_ptr<Authorizer>> AuthorizerFromFlags(
    const std::vector<std::string>& listen_addresses) {
  return MakeAuthorizer(absl::GetFlag(FLAGS_tokens_file), listen_addresses);
}

}  // namespace referrals
