// The operations routes every service's HTTP listener serves: /healthz and
// /metrics.
//
// - GET /healthz: 200 {"status":"SERVING"} while `healthy()` is true (the
//   Redis health monitor's view), else 503 {"status":"NOT_SERVING"}.
// - GET /metrics: `before_scrape()` (when set; it may read Redis and update
//   scrape-time gauges), then the registry in the Prometheus text format.
//
// `registry`, `healthy` and `before_scrape` must outlive the server; both
// functions are called on httplib's worker threads, possibly concurrently.
#ifndef COMMON_SERVICE_OPS_HTTP_H_
#define COMMON_SERVICE_OPS_HTTP_H_

#include <functional>
#include <httplib.h>

#include "common/service/metrics.h"

namespace referrals {

void RegisterOpsRoutes(httplib::Server& server, const MetricsRegistry* registry,
                       std::function<bool()> healthy, std::function<void()> before_scrape);

}  // namespace referrals

#endif  // COMMON_SERVICE_OPS_HTTP_H_
