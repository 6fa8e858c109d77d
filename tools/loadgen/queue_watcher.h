// Sees each routed referral land, and checks at the end that every one is on
// exactly one destination queue.
//
//  - While load runs: XREAD on `stream:routed` (from its start: the key
//    prefix is fresh per run). Routing writes that entry and the destination
//    queue's entry in one Lua script, so it appears at the same instant as
//    the queue entry; following one stream instead of every queue keeps this
//    watcher's own cost on Redis small. The first sighting of a request's
//    referral stamps the RequestLog record (arrived_ns: the e2e end).
//  - At the end: ScanQueues reads every queue stream (XRANGE, in pages) and
//    counts, per request, the entries on destination queues: the
//    exactly-once check is made on the queues themselves.
// Reading Redis directly, not WatchQueue, adds no load to the router.
#ifndef TOOLS_LOADGEN_QUEUE_WATCHER_H_
#define TOOLS_LOADGEN_QUEUE_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/redis/redis_connection.h"
#include "tools/loadgen/request_log.h"

namespace referrals::loadgen {

class QueueWatcher {
 public:
  // `queues` are the queue names (ListQueues), at `prefix` + "queue:" +
  // name. Events whose correlation id is `tag` + "-" + N belong to request N
  // in `log`; any other counts as unexpected.
  QueueWatcher(RedisOptions redis, std::string prefix, std::vector<std::string> queues,
               std::string tag, RequestLog* log);
  ~QueueWatcher();  // Stop()

  // Connects and starts following stream:routed. Errors: the connection's.
  absl::Status Start();
  // Reads what is already there, then stops. Idempotent.
  void Stop();

  // After Stop(): reads every queue stream and sets each request's
  // queue_entries and queue_index. Errors: Redis's.
  absl::Status ScanQueues();

  const std::vector<std::string>& queues() const { return queues_; }
  // Routed events seen, and those not from this run's requests.
  int64_t routed_events() const { return routed_events_.load(); }
  int64_t unexpected() const { return unexpected_.load(); }
  int64_t read_errors() const { return read_errors_.load(); }
  // After ScanQueues(): entries per queue (queues() order), and entries that
  // are not from this run's requests.
  const std::vector<int64_t>& per_queue() const { return per_queue_; }
  int64_t unexpected_on_queues() const { return unexpected_on_queues_; }

 private:
  void Run();
  // One XREAD (blocking up to `block_ms`, 0: not at all): the entries read,
  // or -1 when it failed.
  int ReadOnce(int block_ms);
  // The request an event belongs to, or nullptr.
  RequestRecord* RecordFor(const std::string& payload, std::string* referral_id,
                           std::string* queue, int64_t* received_us) const;

  RedisOptions redis_;
  const std::string prefix_;
  const std::vector<std::string> queues_;
  const std::string tag_;
  RequestLog* const log_;
  std::unique_ptr<RedisConnection> connection_;
  const std::string routed_key_;
  std::string last_id_ = "0-0";
  absl::flat_hash_map<std::string, int> index_of_;  // queue name -> index
  std::vector<int64_t> per_queue_;
  int64_t unexpected_on_queues_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> routed_events_{0};
  std::atomic<int64_t> unexpected_{0};
  std::atomic<int64_t> read_errors_{0};
  std::thread thread_;
};

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_QUEUE_WATCHER_H_
