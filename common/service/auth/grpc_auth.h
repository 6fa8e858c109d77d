// Applying the Authorizer to a gRPC call (callback API): read the
// `authorization` metadata and check it for the method.
//
// Why a check at the top of each handler rather than an interceptor or an
// AuthMetadataProcessor: gRPC 1.51's server interceptors cannot end a call
// with a status of their choosing, and an AuthMetadataProcessor runs only on
// TLS listeners (the loopback plaintext set-up would skip it silently);
// handlers also need the caller (its id scopes request ids, its authority
// limits team calls), which one explicit call hands them.
#ifndef COMMON_SERVICE_AUTH_GRPC_AUTH_H_
#define COMMON_SERVICE_AUTH_GRPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/service/auth/authorizer.h"

namespace referrals {

// The caller of `context`, allowed to call `method` ("Service/Method").
// `authorizer` null means open. Errors: those of Authorizer::Authorize.
absl::StatusOr<Caller> AuthorizeCall(const Authorizer* authorizer,
                                     const grpc::CallbackServerContext& context,
                                     absl::string_view method);

// Adds "authorization: Bearer <token>" to a client call; no-op for "".
void AddBearerToken(grpc::ClientContext& context, absl::string_view token);

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_GRPC_AUTH_H_
