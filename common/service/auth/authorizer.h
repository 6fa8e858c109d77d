// Who may do what: one table from each RPC (and HTTP route) to the roles
// allowed to call it, the bearer token check in front of it, and the
// authority check for team callers.
//
// Roles (token_store.h): submitter (submit, and the referrer's view of its
// own referrals), team (the queues, worklists and lifecycle of its own
// authority), operations (queues, watches, dead letters and replay, dry runs,
// every read), admin (everything). Health and reflection are not in the
// table: they stay open (health carries no data).
//
// Without a token store the authorizer is open: every call is allowed as an
// unauthenticated caller with the admin role (auth_flags.h only allows that
// on loopback listeners).
//
// Refusals are logged ("auth_refused") with the method, the caller id (the
// one claimed by the token when it did not verify) and the reason; never the
// token.
#ifndef COMMON_SERVICE_AUTH_AUTHORIZER_H_
#define COMMON_SERVICE_AUTH_AUTHORIZER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/service/auth/token_store.h"

namespace referrals {

// Method names used in the table: "<Service>/<Method>" for gRPC (e.g.
// "RoutingService/ClaimNext") and "Http/<route>" for intake's HTTP routes.
inline constexpr char kHttpSubmitReferral[] = "Http/SubmitReferral";
inline constexpr char kHttpGetReferralStatus[] = "Http/GetReferralStatus";

class Authorizer {
 public:
  // `tokens` null: open (see above).
  explicit Authorizer(std::unique_ptr<TokenStore> tokens);

  bool open() const { return tokens_ == nullptr; }

  // Checks `authorization` (the Authorization header or metadata value, ""
  // when absent) for `method`. Returns the caller when allowed.
  // Errors: UNAUTHENTICATED when the value is missing, not "Bearer <token>",
  // or the token does not verify; PERMISSION_DENIED when the caller's role
  // may not call `method`, or `method` is not in the table (closed by
  // default). Thread-safe.
  absl::StatusOr<Caller> Authorize(absl::string_view method, absl::string_view authorization) const;

  // True when `role` may call `method` (the table alone).
  static bool RoleAllows(Role role, absl::string_view method);

  // The authority check for team callers: OK for any other role, and for a
  // team whose authority is `authority` (the rules' authority id of the queue
  // acted on; "" for queues no authority owns, like manual-triage).
  // Errors: PERMISSION_DENIED (logged with the caller id and method).
  static absl::Status CheckAuthority(const Caller& caller, absl::string_view method,
                                     absl::string_view authority);

 private:
  std::unique_ptr<TokenStore> tokens_;
};

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_AUTHORIZER_H_
