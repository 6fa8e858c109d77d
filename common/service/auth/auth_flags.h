// The authentication flag every service takes, and the rule for running
// without it.
//
// --tokens_file=PATH: the bearer tokens file (token_store.h). Without it the
// services run open (every call allowed, callers unauthenticated), which is
// allowed only when every listener is on a loopback address: then a
// start-up warning "auth_disabled" is logged. On any other address the
// service refuses to start.
#ifndef COMMON_SERVICE_AUTH_AUTH_FLAGS_H_
#define COMMON_SERVICE_AUTH_AUTH_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "common/service/auth/authorizer.h"

ABSL_DECLARE_FLAG(std::string, tokens_file);

namespace referrals {

// The authorizer for `tokens_file` (empty: open). `listen_addresses` are the
// addresses the service serves calls on (empty entries ignored).
// Errors: FAILED_PRECONDITION for open on a non-loopback address; those of
// TokenStore::Load.
absl::StatusOr<std::unique_ptr<Authorizer>> MakeAuthorizer(
    const std::string& tokens_file, const std::vector<std::string>& listen_addresses);

// MakeAuthorizer with --tokens_file.
absl::StatusOr<std::unique_ptr<Authorizer>> AuthorizerFromFlags(
    const std::vector<std::string>& listen_addresses);

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_AUTH_FLAGS_H_
