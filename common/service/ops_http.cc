#include "common/service/ops_http.h"

#include <utility>

#include "common/service/auth/http_auth.h"

namespace referrals {

void RegisterOpsRoutes(httplib::Server& server, const MetricsRegistry* registry,
                       const Authorizer* authorizer, std::function<bool()> healthy,
                       std::function<void()> before_scrape) {
  server.Get("/healthz", [healthy = std::move(healthy)](const httplib::Request&,
                                                        httplib::Response& response) {
    const bool serving = healthy();
    response.status = serving ? 200 : 503;
    response.set_header("Cache-Control", "no-store");
    response.set_content(serving ? R"({"status":"SERVING"})" : R"({"status":"NOT_SERVING"})",
                         "application/json");
  });
  server.Get("/metrics", [registry, authorizer, before_scrape = std::move(before_scrape)](
                             const httplib::Request& request, httplib::Response& response) {
    if (!AuthorizeHttpRequest(authorizer, kHttpMetrics, request, response).ok()) return;
    if (before_scrape) before_scrape();
    response.set_header("Cache-Control", "no-store");
    response.set_content(registry->Render(), kPrometheusContentType);
  });
}

}  // namespace referrals
