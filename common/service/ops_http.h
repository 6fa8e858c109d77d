// The operations routes every service's HTTP listener serves: /healthz and
// /metrics.
//
// - GET /healthz: 200 {"status":"SERVING"} while `healthy()` is true (the
//   Redis health monitor's view), else 503 {"status":"NOT_SERVING"}.
// - GET /metrics: `before_scrape()` (when set; it may read Redis and update
//   scrape-time gauges), then the registry in the Prometheus text format.
//   Behind a bearer token (issue 8): `authorizer` checks "Http/Metrics"
//   (operations and admin; authorizer.h) and answers 401/403 before
//   anything is read (http_auth.h). /healthz stays open for probes: it
//   carries no data.
//
// `registry`, `authorizer` (null: open), `healthy` and `before_scrape` must
// outlive the server; both
// functions are called on httplib's worker threads, possibly concurrently.
#ifndef COMMON_SERVICE_OPS_HTTP_H_
#define COMMON_SERVICE_OPS_HTTP_H_

#include <functional>
#include <httplib.h>

#include "common/service/auth/authorizer.h"
#include "common/service/metrics.h"

namespace referrals {

void RegisterOpsRoutes(httplib::Server& server, const MetricsRegistry* registry,
                       const Authorizer* authorizer, std::function<bool()> healthy,
                       std::function<void()> before_scrape);

}  // namespace referrals

#endif  // COMMON_SERVICE_OPS_HTTP_H_
