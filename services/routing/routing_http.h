// Routing's HTTP listener: the operations routes and the dashboard.
//
//   GET /healthz              200/503 from the Redis health monitor
//   GET /metrics              Prometheus text; the scrape-time gauges are
//                             refreshed from one OperationsReader snapshot
//   GET /, /dashboard         the dashboard page (dashboard_page.h)
//   GET /api/queues           QueuesJson of a snapshot
//   GET /api/referrals/{id}   ReferralJson of one record; 400 for an id that
//                             cannot be one, 404 for an unknown one
//
// Bearer tokens (issue 8), with Options::authorizer set and not open:
// /metrics and /api/queues are for operations and admin (they span every
// authority); /api/referrals/{id} also for a team, for a referral on its own
// authority's queue (else 403, as RoutingService/GetReferral). Missing or
// unknown token: 401 with WWW-Authenticate; another role: 403
// (common/service/auth/http_auth.h). The page and /healthz stay open: the
// page is a shell with no data that asks for a token (dashboard_page.h).
//
// Snapshots are shared: one read at most every `snapshot_max_age` however
// many pages and scrapers poll. Errors reading Redis answer 503 with a JSON
// error naming only the status code (never the message: it could echo
// input). Nothing personal is served (see dashboard_json.h).
//
// Thread safety: handlers run on httplib's worker threads; Redis reads go
// through one connection of its own, one at a time. The objects passed in
// must outlive the HTTP server.
#ifndef SERVICES_ROUTING_ROUTING_HTTP_H_
#define SERVICES_ROUTING_ROUTING_HTTP_H_

#include <functional>
#include <httplib.h>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pipeline/consumer_metrics.h"
#include "common/redis/redis_connection.h"
#include "common/service/auth/authorizer.h"
#include "common/service/metrics.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/lifecycle_store.h"
#include "services/routing/operations_reader.h"
#include "services/routing/routing_metrics.h"

namespace referrals {

class RoutingHttp {
 public:
  struct Options {
    RedisOptions redis;
    absl::Duration snapshot_max_age = absl::Seconds(1);
    std::function<absl::Time()> clock = absl::Now;
    // Not owned; must outlive the server. Null: open.
    const Authorizer* authorizer = nullptr;
  };
  // Every pointer must be non-null except `consumer_metrics`.
  RoutingHttp(const OperationsReader* reader, const LifecycleStore* lifecycle,
              const RoutingMetrics* metrics, const MetricsRegistry* registry,
              ConsumerMetrics* consumer_metrics, std::function<bool()> healthy, Options options);

  RoutingHttp(const RoutingHttp&) = delete;
  RoutingHttp& operator=(const RoutingHttp&) = delete;

  // Adds the routes above to `server` (before it starts).
  void Register(httplib::Server& server);

 private:
  // The newest snapshot, read now unless one younger than snapshot_max_age
  // is at hand. Errors: Redis errors.
  absl::StatusOr<OperationsSnapshot> Snapshot();
  absl::StatusOr<referrals::v1::ReferralRecord> Referral(const std::string& id);
  // The connection, (re)connected when needed.
  absl::StatusOr<RedisConnection*> Connection() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RefreshMetrics();
  void ServeQueues(const httplib::Request& request, httplib::Response& response);
  void ServeReferral(const httplib::Request& request, httplib::Response& response);

  const OperationsReader* reader_;
  const LifecycleStore* lifecycle_;
  const RoutingMetrics* metrics_;
  const MetricsRegistry* registry_;
  ConsumerMetrics* consumer_metrics_;
  std::function<bool()> healthy_;
  const Options options_;

  absl::Mutex mu_;
  std::unique_ptr<RedisConnection> connection_ ABSL_GUARDED_BY(mu_);
  std::optional<OperationsSnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_HTTP_H_
