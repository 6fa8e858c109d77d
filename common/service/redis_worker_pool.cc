#include "common/service/redis_worker_pool.h"

#include <utility>

#include "absl/status/status.h"

namespace referrals {

RedisWorkerPool::RedisWorkerPool(RedisOptions options, int threads) : options_(std::move(options)) {
  if (threads < 1) threads = 1;
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

RedisWorkerPool::~RedisWorkerPool() { Shutdown(); }

void RedisWorkerPool::Submit(Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      return;
    }
  }
  std::move(task)(absl::UnavailableError("service is shutting down"));
}

void RedisWorkerPool::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void RedisWorkerPool::WorkerLoop() {
  std::unique_ptr<RedisConnection> connection;
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](RedisWorkerPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    if (connection == nullptr) {
      absl::StatusOr<std::unique_ptr<RedisConnection>> connected = RedisConnection::Connect(options_);
      if (!connected.ok()) {
        std::move(task)(connected.status());
        continue;
      }
      connection = *std::move(connected);
    }
    std::move(task)(connection.get());
  }
}

}  // namespace referrals
