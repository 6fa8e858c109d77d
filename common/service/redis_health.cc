#include "common/service/redis_health.h"

#include <memory>
#include <utility>

#include "common/service/log.h"

namespace referrals {

RedisHealthMonitor::RedisHealthMonitor(RedisOptions options,
                                       grpc::HealthCheckServiceInterface* health,
                                       absl::Duration interval)
    : options_(std::move(options)), health_(health), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

RedisHealthMonitor::~RedisHealthMonitor() {
  stop_.Notify();
  thread_.join();
}

void RedisHealthMonitor::Loop() {
  std::unique_ptr<RedisConnection> connection;
  do {
    bool ok = false;
    if (connection == nullptr) {
      auto connected = RedisConnection::Connect(options_);
      if (connected.ok()) connection = *std::move(connected);
    }
    if (connection != nullptr) ok = connection->Command({"PING"}).ok();
    if (ok != reachable_.exchange(ok)) {
      Log(ok ? LogLevel::kInfo : LogLevel::kWarning, ok ? "redis_reachable" : "redis_unreachable");
      if (health_ != nullptr) health_->SetServingStatus(ok);
    }
  } while (!stop_.WaitForNotificationWithTimeout(interval_));
}

}  // namespace referrals
