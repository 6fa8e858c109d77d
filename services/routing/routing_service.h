// The gRPC face of routing: postcode checks and dry runs (pure, answered on
// the gRPC thread), queue summaries (on the Redis worker pool) and live queue
// watches (one thread and Redis connection per watch: watchers are a few
// operations staff, not the public).
#ifndef SERVICES_ROUTING_ROUTING_SERVICE_H_
#define SERVICES_ROUTING_ROUTING_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/service/redis_worker_pool.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/queue_store.h"
#include "services/routing/routing_engine.h"
#include "services/triage/triage_rules.h"

namespace referrals {

class RoutingServiceImpl final : public referrals::v1::RoutingService::CallbackService {
 public:
  // `queues` and `pool` are not owned and must outlive the service.
  RoutingServiceImpl(std::shared_ptr<const TriageRules> triage,
                     std::shared_ptr<const RoutingEngine> engine, const QueueStore* queues,
                     RedisWorkerPool* pool, RedisOptions redis);
  ~RoutingServiceImpl() override;

  grpc::ServerUnaryReactor* ResolveLocation(
      grpc::CallbackServerContext* context,
      const referrals::v1::ResolveLocationRequest* request,
      referrals::v1::ResolveLocationResponse* response) override;

  grpc::ServerUnaryReactor* Route(grpc::CallbackServerContext* context,
                                  const referrals::v1::RouteRequest* request,
                                  referrals::v1::RouteResponse* response) override;

  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* context,
                                       const referrals::v1::ListQueuesRequest* request,
                                       referrals::v1::ListQueuesResponse* response) override;

  grpc::ServerWriteReactor<referrals::v1::WatchQueueResponse>* WatchQueue(
      grpc::CallbackServerContext* context,
      const referrals::v1::WatchQueueRequest* request) override;

  // Ends every live watch (they finish with OK) and waits for them to go.
  // Call before shutting the server down.
  void StopWatches();

  // Watch bookkeeping, used by the watch reactors.
  struct WatchRegistry {
    absl::Mutex mu;
    int live ABSL_GUARDED_BY(mu) = 0;
    std::atomic<bool> stopping{false};
  };

 private:
  std::shared_ptr<const TriageRules> triage_;
  std::shared_ptr<const RoutingEngine> engine_;
  const QueueStore* queues_;
  RedisWorkerPool* pool_;
  RedisOptions redis_;
  absl::TimeZone london_;
  WatchRegistry watches_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_SERVICE_H_
