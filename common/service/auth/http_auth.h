// Applying the Authorizer to an HTTP request (cpp-httplib): read the
// Authorization header, check it for the route's method name
// (authorizer.h), and on refusal write the answer.
//
// The same check, table and "auth_refused" logging as gRPC's AuthorizeCall
// (grpc_auth.h); only the answer differs:
// - UNAUTHENTICATED: 401 with `WWW-Authenticate: Bearer realm="referrals"`
//   (plus `, error="invalid_token"` when an Authorization header was sent);
// - PERMISSION_DENIED: 403.
// The body is {"error":{"code":N,"status":"…","message":"…"}} (the portal's
// error shape, docs/portal.md); the message never echoes the token.
#ifndef COMMON_SERVICE_AUTH_HTTP_AUTH_H_
#define COMMON_SERVICE_AUTH_HTTP_AUTH_H_

#include <httplib.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/service/auth/authorizer.h"

namespace referrals {

// The caller of `request`, allowed to call `method`. `authorizer` null means
// open. On error (those of Authorizer::Authorize) `response` already holds
// the 401 or 403 answer; on success it is untouched. Thread-safe.
absl::StatusOr<Caller> AuthorizeHttpRequest(const Authorizer* authorizer, absl::string_view method,
                                            const httplib::Request& request,
                                            httplib::Response& response);

// Writes the 401/403 answer for an UNAUTHENTICATED or PERMISSION_DENIED
// `status` (any other code: 500) onto `response`. `had_credentials`: an
// Authorization header was sent (adds error="invalid_token" to a 401).
void ReplyAuthError(const absl::Status& status, bool had_credentials, httplib::Response& response);

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_HTTP_AUTH_H_
