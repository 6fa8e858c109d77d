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
//
// The token set can be replaced while serving (ReloadTokens, on SIGHUP):
// each check uses one whole set, the old or the new, never a mix.
#ifndef COMMON_SERVICE_AUTH_AUTHORIZER_H_
#define COMMON_SERVICE_AUTH_AUTHORIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/service/auth/token_store.h"

namespace referrals {

// Method names used in the table: "<Service>/<Method>" for gRPC (e.g.
// "RoutingService/ClaimNext") and "Http/<route>" for the HTTP routes (GET
// /healthz and the dashboard page's shell carry no data and are not in the
// table: they stay open).
inline constexpr char kHttpSubmitReferral[] = "Http/SubmitReferral";  // intake POST /v1/referrals
inline constexpr char kHttpGetReferralStatus[] =
    "Http/GetReferralStatus";                           // intake GET /v1/referrals/{id}
inline constexpr char kHttpMetrics[] = "Http/Metrics";  // every service's GET /metrics
inline constexpr char kHttpDashboardQueues[] = "Http/DashboardQueues";  // routing GET /api/queues
inline constexpr char kHttpDashboardReferral[] =
    "Http/DashboardReferral";  // routing GET /api/referrals/{id}

class Authorizer {
 public:
  // `tokens` null: open (see above), for good: ReloadTokens cannot close it.
  // `tokens_file` is where ReloadTokens reads from ("" : no reloading).
  explicit Authorizer(std::unique_ptr<TokenStore> tokens, std::string tokens_file = "");

  bool open() const { return open_; }

  // Reads the tokens file again and, when it is valid, swaps the new set in
  // atomically (checks in progress finish with the old set); when it is not,
  // keeps the old set. Logs "tokens_reloaded" with the count, or
  // "tokens_reload_failed" with the error (file and line, never contents).
  // Errors: FAILED_PRECONDITION when open or built without a file; those of
  // TokenStore::Load (the old set stays). Thread-safe.
  absl::Status ReloadTokens();

  // Checks `authorization` (the Authorization header or metadata value, ""
  // when absent) for `method`. Returns the caller when allowed.
  // Errors: UNAUTHENTICATED when the value is missing, not "Bearer <token>",
  // or the token does not verify; PERMISSION_DENIED when the caller's role
  // may not call `method`, or `method` is not in the table (closed by
  // default). Thread-safe.
  absl::StatusOr<Caller> Authorize(absl::string_view method, absl::string_view authorization) const;

  // True when `role` may call `method` (the table alone).
  static bool RoleAllows(Role role, absl::string_view method);

  // Every method in the table, in table order (for tests that check each
  // route has a row).
  static std::vector<std::string> Methods();

  // The authority check for team callers: OK for any other role, and for a
  // team whose authority is `authority` (the rules' authority id of the queue
  // acted on; "" for queues no authority owns, like manual-triage).
  // Errors: PERMISSION_DENIED (logged with the caller id and method).
  static absl::Status CheckAuthority(const Caller& caller, absl::string_view method,
                                     absl::string_view authority);

  // Logs an "auth_refused" for a refusal the service decides itself (e.g. a
  // submitter asking for another's referral): method, caller id, reason.
  static void LogRefusal(absl::string_view method, absl::string_view caller_id,
                         absl::string_view reason);

 private:
  std::shared_ptr<const TokenStore> tokens() const;

  const bool open_;
  const std::string tokens_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenStore> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace referrals

#endif  // COMMON_SERVICE_AUTH_AUTHORIZER_H_
