#include "services/routing/routing_http.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/service/auth/http_auth.h"
#include "common/service/log.h"
#include "common/service/ops_http.h"
#include "services/routing/dashboard_json.h"
#include "services/routing/dashboard_page.h"

namespace referrals {
namespace {

constexpr char kJson[] = "application/json";

void ReplyError(httplib::Response& response, int http_status, const absl::Status& status) {
  response.status = http_status;
  response.set_content(absl::StrCat("{\"error\":{\"code\":", http_status, ",\"status\":",
                                    JsonString(absl::StatusCodeToString(status.code())), "}}"),
                       kJson);
}

}  // namespace

RoutingHttp::RoutingHttp(const OperationsReader* reader, const LifecycleStore* lifecycle,
                         const RoutingMetrics* metrics, const MetricsRegistry* registry,
                         ConsumerMetrics* consumer_metrics, std::function<bool()> healthy,
                         Options options)
    : reader_(reader),
      lifecycle_(lifecycle),
      metrics_(metrics),
      registry_(registry),
      consumer_metrics_(consumer_metrics),
      healthy_(std::move(healthy)),
      options_(std::move(options)) {}

void RoutingHttp::Register(httplib::Server& server) {
  RegisterOpsRoutes(server, registry_, options_.authorizer, healthy_, [this] { RefreshMetrics(); });
  const auto page = [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    response.set_header("Content-Security-Policy",
                        "default-src 'none'; script-src 'unsafe-inline'; style-src "
                        "'unsafe-inline'; connect-src 'self'; img-src 'self'");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_content(std::string(DashboardPage()), "text/html; charset=utf-8");
  };
  server.Get("/", page);
  server.Get("/dashboard", page);
  server.Get("/api/queues", [this](const httplib::Request& request, httplib::Response& response) {
    ServeQueues(request, response);
  });
  server.Get(R"(/api/referrals/([^/]+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               ServeReferral(request, response);
             });
}

absl::StatusOr<RedisConnection*> RoutingHttp::Connection() {
  if (connection_ == nullptr || connection_->broken()) {
    connection_.reset();
    absl::StatusOr<std::unique_ptr<RedisConnection>> connected =
        RedisConnection::Connect(options_.redis);
    if (!connected.ok()) return connected.status();
    connection_ = *std::move(connected);
  }
  return connection_.get();
}

absl::StatusOr<OperationsSnapshot> RoutingHttp::Snapshot() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  if (snapshot_.has_value() && now - snapshot_->taken < options_.snapshot_max_age &&
      now >= snapshot_->taken) {
    return *snapshot_;
  }
  absl::StatusOr<RedisConnection*> connection = Connection();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<OperationsSnapshot> snapshot = reader_->Read(**connection, now);
  if (!snapshot.ok()) return snapshot.status();
  snapshot_ = *snapshot;
  return snapshot;
}

absl::StatusOr<referrals::v1::ReferralRecord> RoutingHttp::Referral(const std::string& id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<RedisConnection*> connection = Connection();
  if (!connection.ok()) return connection.status();
  return lifecycle_->Get(**connection, id);
}

void RoutingHttp::RefreshMetrics() {
  if (consumer_metrics_ != nullptr) consumer_metrics_->Update();
  absl::StatusOr<OperationsSnapshot> snapshot = Snapshot();
  if (!snapshot.ok()) {
    metrics_->CountScrapeError();
    Log(LogLevel::kWarning, "metrics_read_failed",
        {{"code", absl::StatusCodeToString(snapshot.status().code())}});
    return;
  }
  metrics_->SetSnapshot(*snapshot);
}

void RoutingHttp::ServeQueues(const httplib::Request& request, httplib::Response& response) {
  response.set_header("Cache-Control", "no-store");
  if (!AuthorizeHttpRequest(options_.authorizer, kHttpDashboardQueues, request, response).ok()) {
    return;
  }
  absl::StatusOr<OperationsSnapshot> snapshot = Snapshot();
  if (!snapshot.ok()) {
    Log(LogLevel::kWarning, "dashboard_read_failed",
        {{"code", absl::StatusCodeToString(snapshot.status().code())}});
    ReplyError(response, 503, snapshot.status());
    return;
  }
  response.set_content(QueuesJson(*snapshot), kJson);
}

void RoutingHttp::ServeReferral(const httplib::Request& request, httplib::Response& response) {
  response.set_header("Cache-Control", "no-store");
  absl::StatusOr<Caller> caller =
      AuthorizeHttpRequest(options_.authorizer, kHttpDashboardReferral, request, response);
  if (!caller.ok()) return;
  const std::string id = request.matches[1];
  if (!IsPlausibleReferralId(id)) {
    ReplyError(response, 400, absl::InvalidArgumentError(""));
    return;
  }
  absl::StatusOr<referrals::v1::ReferralRecord> record = Referral(id);
  if (absl::IsNotFound(record.status())) {
    ReplyError(response, 404, record.status());
    return;
  }
  if (!record.ok()) {
    Log(LogLevel::kWarning, "dashboard_read_failed",
        {{"referral_id", id}, {"code", absl::StatusCodeToString(record.status().code())}});
    ReplyError(response, 503, record.status());
    return;
  }
  // A team reads only referrals on its own authority's queue now.
  if (absl::Status scoped = Authorizer::CheckAuthority(*caller, kHttpDashboardReferral,
                                                       lifecycle_->AuthorityIdOf(record->queue()));
      !scoped.ok()) {
    ReplyAuthError(scoped, true, response);
    return;
  }
  response.set_content(ReferralJson(*record), kJson);
}

}  // namespace referrals
