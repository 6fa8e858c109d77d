// The two ways of offering load, over any asynchronous unary call:
//
//  - open loop: call i is due at start + i / rate whatever happened to the
//    calls before it; latency is measured from that due time, so a stall (in
//    the server, the network or this process) shows as latency instead of as
//    fewer calls sent ("coordinated omission");
//  - closed loop: N calls always in flight, each completion starting the
//    next; finds the throughput ceiling. Latency from when the call was sent.
//
// Calls are asynchronous (no thread per call, the sender never waits for a
// reply) on completion queues that each have a thread blocked in Next() at
// all times. Not gRPC's callback API: with gRPC 1.51 its client poller sleeps
// 100 ms after a second without traffic, so the first replies after a pause
// wait up to 100 ms in this process's socket buffer, which would be charged
// to the server (measured: every phase started with a 30-100 ms stall).
#ifndef TOOLS_LOADGEN_LOAD_DRIVER_H_
#define TOOLS_LOADGEN_LOAD_DRIVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "tools/loadgen/referral_generator.h"
#include "tools/loadgen/request_log.h"

namespace referrals::loadgen {

// Completion queues, each drained by its own thread; calls are spread over
// them. The destructor shuts them down after the calls on them complete.
class CompletionQueues {
 public:
  explicit CompletionQueues(int count);
  ~CompletionQueues();
  CompletionQueues(const CompletionQueues&) = delete;
  CompletionQueues& operator=(const CompletionQueues&) = delete;

  grpc::CompletionQueue* Pick(uint64_t n) { return queues_[n % queues_.size()].get(); }

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

// One kind of call. Start returns at once; when the call completes the
// caller fills the record's completion fields (done_ns last) and then runs
// `done`, on a completion queue's thread. Thread-safe.
class Caller {
 public:
  virtual ~Caller() = default;
  virtual void Start(uint64_t seq, RequestRecord* record, std::function<void()> done) = 0;
};

// `count` channels to `address`, each with its own TCP connection (as
// separate portals or council systems would have).
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& address, int count);

// IntakeService.SubmitReferral with generated referral `seq`. The request id
// and the x-correlation-id are both `tag` + "-" + seq, so the queue watcher
// can tell which call a routed event belongs to.
class SubmitCaller : public Caller {
 public:
  SubmitCaller(std::vector<std::shared_ptr<grpc::Channel>> channels, CompletionQueues* queues,
               const ReferralGenerator* generator, std::string tag, absl::Duration deadline);
  void Start(uint64_t seq, RequestRecord* record, std::function<void()> done) override;

 private:
  std::vector<std::unique_ptr<referrals::v1::IntakeService::Stub>> stubs_;
  CompletionQueues* queues_;
  const ReferralGenerator* generator_;
  const std::string tag_;
  const absl::Duration deadline_;
};

// grpc.health.v1.Health/Check with an empty request (the whole server): the
// cheapest unary call a service answers, as the baseline for Submit.
class HealthCaller : public Caller {
 public:
  HealthCaller(std::vector<std::shared_ptr<grpc::Channel>> channels, CompletionQueues* queues,
               absl::Duration deadline);
  void Start(uint64_t seq, RequestRecord* record, std::function<void()> done) override;

 private:
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  CompletionQueues* queues_;
  const absl::Duration deadline_;
};

// The sequence numbers a run used and its time span. A run starts with a
// warm-up at the same load, whose calls are checked (errors, exactly once)
// but not timed: the services' gRPC servers answer the first calls after a
// pause late (docs/performance.md), and the phases are separated by pauses.
struct DriveResult {
  uint64_t first_seq = 0;
  uint64_t end_seq = 0;       // one past the last
  int64_t start_ns = 0;       // the warm-up's start
  int64_t measure_start_ns = 0;  // calls due (sent) from here on are measured
  int64_t send_end_ns = 0;    // open: the last call's due time; closed: when sending stopped
  int64_t done_ns = 0;        // when the last call completed
};

// Offers `rate` calls a second for `warmup` + `duration`, then waits for
// every call to complete (each has its own deadline).
DriveResult RunOpenLoop(Caller& caller, RequestLog& log, int phase, double rate,
                        absl::Duration warmup, absl::Duration duration);

// Keeps `in_flight` calls going for `warmup` + `duration`, then waits for them.
DriveResult RunClosedLoop(Caller& caller, RequestLog& log, int phase, int in_flight,
                          absl::Duration warmup, absl::Duration duration);

}  // namespace referrals::loadgen

#endif  // TOOLS_LOADGEN_LOAD_DRIVER_H_
