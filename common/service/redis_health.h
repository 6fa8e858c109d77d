// Keeps the gRPC health status in step with Redis: NOT_SERVING while Redis
// cannot be reached, SERVING when it answers again.
#ifndef COMMON_SERVICE_REDIS_HEALTH_H_
#define COMMON_SERVICE_REDIS_HEALTH_H_

#include <atomic>
#include <thread>

#include <grpcpp/health_check_service_interface.h>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/redis/redis_connection.h"

namespace referrals {

class RedisHealthMonitor {
 public:
  // Starts a thread that PINGs Redis every `interval` and sets the overall
  // ("") serving status of `health` (not owned; must outlive this).
  RedisHealthMonitor(RedisOptions options, grpc::HealthCheckServiceInterface* health,
                     absl::Duration interval = absl::Seconds(1));
  ~RedisHealthMonitor();  // stops the thread

  bool redis_reachable() const { return reachable_.load(); }

 private:
  void Loop();

  const RedisOptions options_;
  grpc::HealthCheckServiceInterface* const health_;
  const absl::Duration interval_;
  std::atomic<bool> reachable_{true};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace referrals

#endif  // COMMON_SERVICE_REDIS_HEALTH_H_
