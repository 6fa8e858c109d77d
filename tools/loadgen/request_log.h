// What the load generator knows about each request it made: when it was due,
// when and how it finished, and when (and how often) its referral showed up
// on a destination queue. Three threads write a record: the one that starts
// the call, gRPC's callback thread, and the queue watcher; each writes its
// own fields and publishes them with a release store that readers acquire.
#ifndef TOOLS_LOADGEN_REQUEST_LOG_H_
#define TOOLS_LOADGEN_REQUEST_LOG_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace referrals::loadgen {

// Monotonic nanoseconds; every latency in the load generator is a difference
// of two of these.
inline int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct RequestRecord {
  // Written by the starter before the call starts.
  int phase = -1;
  // Open loop: when the call was due by the schedule (not when it was sent,
  // so a stalled sender is charged to the latency). Closed loop: when sent.
  int64_t scheduled_ns = 0;

  // Written by the completion; done_ns is stored last (release).
  std::string referral_id;         // from the response, when OK
  bool duplicate_answer = false;   // intake said the request id was seen before
  std::atomic<int> code{-1};       // grpc::StatusCode
  std::atomic<int64_t> done_ns{0}; // 0 while in flight

  // Written by the watcher following stream:routed. `arrivals` counts every
  // routed event; the first one fills the fields below and then stores
  // arrived_ns (release).
  std::atomic<int32_t> arrivals{0};
  std::string arrived_referral_id;  // the routed event's referral id
  int queue_index = -1;             // the decision's queue (QueueWatcher::queues())
  int64_t queue_ms = 0;             // the routed entry id's time (Redis clock, ms)
  int64_t received_us = 0;          // the event's received_time (intake clock)
  std::atomic<int64_t> arrived_ns{0};  // when the watcher first saw it

  // Written by QueueWatcher::ScanQueues at the end, on the analysing thread:
  // entries on destination queues for this request, and the queue of the
  // last one.
  int32_t queue_entries = 0;
  int scanned_queue_index = -1;
};

// Append-only, with stable addresses: a record is never moved, so the other
// threads can hold on to it while the log grows. Capacity 16M requests.
class RequestLog {
 public:
  static constexpr uint64_t kChunk = 1 << 14;
  static constexpr uint64_t kMaxChunks = 1024;

  RequestLog() {
    for (auto& chunk : chunks_) chunk.store(nullptr, std::memory_order_relaxed);
  }
  ~RequestLog() {
    for (auto& chunk : chunks_) delete[] chunk.load(std::memory_order_relaxed);
  }
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // A new record and its sequence number, or nullptr when the log is full.
  // Thread-safe.
  RequestRecord* Add(uint64_t* seq) {
    const uint64_t n = next_.fetch_add(1);
    if (n >= kChunk * kMaxChunks) return nullptr;
    const uint64_t c = n / kChunk;
    RequestRecord* chunk = chunks_[c].load(std::memory_order_acquire);
    if (chunk == nullptr) {
      std::lock_guard<std::mutex> lock(grow_);
      chunk = chunks_[c].load(std::memory_order_acquire);
      if (chunk == nullptr) {
        chunk = new RequestRecord[kChunk];
        chunks_[c].store(chunk, std::memory_order_release);
      }
    }
    *seq = n;
    return &chunk[n % kChunk];
  }

  // The record with sequence number `seq`, or nullptr if there is none (yet).
  RequestRecord* Find(uint64_t seq) const {
    if (seq >= next_.load() || seq >= kChunk * kMaxChunks) return nullptr;
    RequestRecord* chunk = chunks_[seq / kChunk].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : &chunk[seq % kChunk];
  }

  // Sequence numbers handed out so far.
  uint64_t size() const {
    const uint64_t n = next_.load();
    return n < kChunk * kMaxChunks ? n : kChunk * kMaxChunks;
  }

 private:
  std::atomic<uint64_t> next_{0};
  std::mutex grow_;
  std::atomic<RequestRecord*> chunks_[kMaxChunks];
};

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_REQUEST_LOG_H_
