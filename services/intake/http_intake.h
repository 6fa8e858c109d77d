// Intake's HTTP face for the portal, and the service's /metrics and /healthz.
//
//   POST /v1/referrals       body: a referrals.v1.Referral in protobuf JSON
//   GET  /v1/referrals/{id}  the referrer's view of its status
//   GET  /metrics            Prometheus text format
//   GET  /healthz            200 while Redis answers, else 503
//
// POST answers (JSON bodies, see http_intake_json.h; docs/portal.md):
//   201 stored, Location: /v1/referrals/{id};
//   200 a retry (same client, same Idempotency-Key, same body): the first
//       referral, nothing stored;
//   400 every bad header and field, as google.rpc.BadRequest;
//   409 + Retry-After: the first request with this key is still being stored
//       by this process (across replicas the Redis script decides instead:
//       the later one gets 200 with the same referral, or 422);
//   413 body over the limit (the HttpServer's); 415 not application/json;
//   422 the key was used by this client with a different body;
//   503 + Retry-After: the store cannot be reached or is full; the referral
//       may or may not be stored: retry with the same key;
//   500 anything else.
// Every response carries X-Correlation-ID: the caller's when valid
// (caller_identity.h), else a new one; the same id goes on the events.
// Idempotency keys are scoped by X-Client-Id (default "anonymous"): the
// calling system, when authentication is off.
//
// Authentication (issue 8), with Options::authorizer set and not open: the
// /v1 routes and /metrics need "Authorization: Bearer <token>": missing,
// malformed or unknown is 401 with "WWW-Authenticate: Bearer"; a role the
// table does not allow (authorizer.h) is 403 (common/service/auth/
// http_auth.h). The authenticated caller id then scopes idempotency keys
// and X-Client-Id is ignored. GET /v1/referrals/{id} shows a submitter only
// the referrals it submitted: another's is 404, like an unknown id (a 403
// would confirm the id exists); operations and admin see all. /healthz
// stays open (no data). With Options::limiter, submissions over the
// caller's rate are 429 with Retry-After (whole seconds, at least 1).
//
// Lifetime: the submitter, registry and metrics must outlive the server the
// routes are registered on. Handlers block their httplib worker thread until
// the store answers (the RedisWorkerPool runs the Redis work).
#ifndef SERVICES_INTAKE_HTTP_INTAKE_H_
#define SERVICES_INTAKE_HTTP_INTAKE_H_

#include <functional>
#include <httplib.h>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/service/auth/authorizer.h"
#include "common/service/auth/rate_limiter.h"
#include "common/service/metrics.h"
#include "services/intake/in_flight_keys.h"
#include "services/intake/intake_metrics.h"
#include "services/intake/referral_submitter.h"

namespace referrals {

class HttpIntake {
 public:
  struct Options {
    // Retry-After for 409 (in flight) and 503 (store unavailable), seconds.
    int in_flight_retry_after_seconds = 1;
    int unavailable_retry_after_seconds = 2;
    // Not owned; must outlive the server. Null: open / unlimited.
    const Authorizer* authorizer = nullptr;
    RateLimiter* limiter = nullptr;
  };

  // `redis_reachable` answers /healthz (thread-safe, quick). Adds the gauge
  // intake_http_submissions_in_flight to `registry`.
  // Errors: those of MetricsRegistry::AddCallbackGauge.
  static absl::StatusOr<std::unique_ptr<HttpIntake>> Create(const ReferralSubmitter* submitter,
                                                            MetricsRegistry* registry,
                                                            const IntakeMetrics* metrics,
                                                            std::function<bool()> redis_reachable,
                                                            Options options);

  // Registers the routes, the correlation id and error hooks and the
  // response logger on `server`, before it starts. Once per server.
  void Register(httplib::Server& server);

  // Submissions being stored by this process now.
  size_t in_flight() const { return in_flight_.size(); }

 private:
  HttpIntake(const ReferralSubmitter* submitter, MetricsRegistry* registry,
             const IntakeMetrics* metrics, std::function<bool()> redis_reachable, Options options);

  // Checks the request's bearer token for `method`; on refusal answers 401 or
  // 403 and returns an error.
  absl::StatusOr<Caller> Authorize(const char* method, const httplib::Request& request,
                                   httplib::Response& response);
  void HandleSubmit(const httplib::Request& request, httplib::Response& response);
  void HandleStatus(const httplib::Request& request, httplib::Response& response);
  void HandleHealth(const httplib::Request& request, httplib::Response& response);
  void HandleMetrics(const httplib::Request& request, httplib::Response& response);
  void LogResponse(const httplib::Request& request, const httplib::Response& response);

  const ReferralSubmitter* submitter_;
  MetricsRegistry* registry_;
  const IntakeMetrics* metrics_;
  std::function<bool()> redis_reachable_;
  Options options_;
  InFlightKeys in_flight_;
};

}  // namespace referrals

#endif  // SERVICES_INTAKE_HTTP_INTAKE_H_
