// A fixed set of threads, each with its own Redis connection, that run the
// blocking Redis work of RPC handlers so gRPC's callback threads never block.
#ifndef COMMON_SERVICE_REDIS_WORKER_POOL_H_
#define COMMON_SERVICE_REDIS_WORKER_POOL_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_connection.h"

namespace referrals {

class RedisWorkerPool {
 public:
  // The task gets the worker's connection, or UNAVAILABLE when Redis cannot
  // be reached; it must answer its RPC either way.
  using Task = absl::AnyInvocable<void(absl::StatusOr<RedisConnection*>) &&>;

  // Starts `threads` workers (at least 1). Connections are made lazily.
  RedisWorkerPool(RedisOptions options, int threads);
  // Runs every queued task, then joins the workers.
  ~RedisWorkerPool();

  RedisWorkerPool(const RedisWorkerPool&) = delete;
  RedisWorkerPool& operator=(const RedisWorkerPool&) = delete;

  // Queues a task. Thread-safe. After Shutdown, runs the task at once with
  // UNAVAILABLE.
  void Submit(Task task);

  // Stops taking tasks, runs those queued, joins the workers. Idempotent.
  void Shutdown();

 private:
  void WorkerLoop();

  const RedisOptions options_;
  absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace referrals

#endif  // COMMON_SERVICE_REDIS_WORKER_POOL_H_
