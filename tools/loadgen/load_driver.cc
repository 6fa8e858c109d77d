#include "tools/loadgen/load_driver.h"

#include <time.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace referrals::loadgen {
namespace {

std::chrono::system_clock::time_point DeadlineIn(absl::Duration deadline) {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(absl::ToInt64Microseconds(deadline));
}

void SleepUntil(int64_t when_ns) {
  timespec ts;
  ts.tv_sec = when_ns / 1000000000;
  ts.tv_nsec = when_ns % 1000000000;
  // steady_clock is CLOCK_MONOTONIC with libstdc++ on Linux.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

void Complete(RequestRecord* record, int64_t now, const grpc::Status& status) {
  record->code.store(status.error_code(), std::memory_order_relaxed);
  record->done_ns.store(now, std::memory_order_release);
}

// Counts calls in flight so a run can wait for the last one.
class InFlight {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) zero_.notify_all();
  }
  void WaitForZero() {
    std::unique_lock<std::mutex> lock(mu_);
    zero_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable zero_;
  int64_t count_ = 0;
};

int64_t LastDone(const RequestLog& log, uint64_t first, uint64_t end) {
  int64_t last = 0;
  for (uint64_t s = first; s < end; ++s) {
    if (const RequestRecord* r = log.Find(s)) {
      last = std::max(last, r->done_ns.load(std::memory_order_acquire));
    }
  }
  return last;
}

// A call in flight; its address is the completion queue tag.
class PendingCall {
 public:
  virtual ~PendingCall() = default;
  // Records the outcome, runs the driver's `done`, deletes itself.
  virtual void Finished() = 0;
};

}  // namespace

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& address, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, count); ++i) {
    grpc::ChannelArguments args;
    // Without a local subchannel pool, channels to one address share one
    // connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}


CompletionQueues::CompletionQueues(int count) {
  for (int i = 0; i < std::max(1, count); ++i) {
    queues_.push_back(std::make_unique<grpc::CompletionQueue>());
    threads_.emplace_back([queue = queues_.back().get()] {
      void* tag = nullptr;
      bool ok = false;
      // A unary Finish always delivers its tag, ok or not.
      while (queue->Next(&tag, &ok)) static_cast<PendingCall*>(tag)->Finished();
    });
  }
}

CompletionQueues::~CompletionQueues() {
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& thread : threads_) thread.join();
}

SubmitCaller::SubmitCaller(std::vector<std::shared_ptr<grpc::Channel>> channels,
                           CompletionQueues* queues, const ReferralGenerator* generator,
                           std::string tag, absl::Duration deadline)
    : queues_(queues), generator_(generator), tag_(std::move(tag)), deadline_(deadline) {
  for (auto& channel : channels) stubs_.push_back(referrals::v1::IntakeService::NewStub(channel));
}

void SubmitCaller::Start(uint64_t seq, RequestRecord* record, std::function<void()> done) {
  class Call : public PendingCall {
   public:
    Call(RequestRecord* record, std::function<void()> done)
        : record_(record), done_(std::move(done)) {}
    void Finished() override {
      const int64_t now = NowNanos();
      if (status_.ok()) {
        record_->referral_id = response_.referral_id();
        record_->duplicate_answer = response_.duplicate();
      }
      Complete(record_, now, status_);
      std::function<void()> done = std::move(done_);
      delete this;
      done();
    }
    grpc::ClientContext context_;
    referrals::v1::SubmitReferralRequest request_;
    referrals::v1::SubmitReferralResponse response_;
    grpc::Status status_;
    std::unique_ptr<grpc::ClientAsyncResponseReader<referrals::v1::SubmitReferralResponse>> reader_;

   private:
    RequestRecord* record_;
    std::function<void()> done_;
  };
  auto* call = new Call(record, std::move(done));
  const std::string id = absl::StrCat(tag_, "-", seq);
  call->context_.set_deadline(DeadlineIn(deadline_));
  call->context_.AddMetadata("x-correlation-id", id);
  *call->request_.mutable_referral() = generator_->Make(seq, id);
  call->reader_ = stubs_[seq % stubs_.size()]->PrepareAsyncSubmitReferral(
      &call->context_, call->request_, queues_->Pick(seq));
  call->reader_->StartCall();
  call->reader_->Finish(&call->response_, &call->status_, call);
}

HealthCaller::HealthCaller(std::vector<std::shared_ptr<grpc::Channel>> channels,
                           CompletionQueues* queues, absl::Duration deadline)
    : queues_(queues), deadline_(deadline) {
  for (auto& channel : channels) stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
}

void HealthCaller::Start(uint64_t seq, RequestRecord* record, std::function<void()> done) {
  class Call : public PendingCall {
   public:
    Call(RequestRecord* record, std::function<void()> done)
        : record_(record), done_(std::move(done)) {}
    void Finished() override {
      Complete(record_, NowNanos(), status_);
      std::function<void()> done = std::move(done_);
      delete this;
      done();
    }
    grpc::ClientContext context_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
    grpc::Status status_;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;

   private:
    RequestRecord* record_;
    std::function<void()> done_;
  };
  auto* call = new Call(record, std::move(done));
  call->context_.set_deadline(DeadlineIn(deadline_));
  // An empty HealthCheckRequest (the whole server); a default ByteBuffer is
  // not a message at all.
  grpc::Slice empty("", 0);
  call->request_ = grpc::ByteBuffer(&empty, 1);
  call->reader_ = stubs_[seq % stubs_.size()]->PrepareUnaryCall(
      &call->context_, "/grpc.health.v1.Health/Check", call->request_, queues_->Pick(seq));
  call->reader_->StartCall();
  call->reader_->Finish(&call->response_, &call->status_, call);
}

DriveResult RunOpenLoop(Caller& caller, RequestLog& log, int phase, double rate,
                        absl::Duration warmup, absl::Duration duration) {
  DriveResult result;
  const int64_t warm = std::llround(rate * absl::ToDoubleSeconds(warmup));
  const int64_t total = warm + std::llround(rate * absl::ToDoubleSeconds(duration));
  const double interval_ns = 1e9 / rate;
  InFlight in_flight;
  result.first_seq = log.size();
  result.end_seq = result.first_seq;
  result.start_ns = NowNanos() + 20'000'000;  // time to get going
  result.measure_start_ns =
      result.start_ns + static_cast<int64_t>(static_cast<double>(warm) * interval_ns);
  for (int64_t i = 0; i < total; ++i) {
    const int64_t due = result.start_ns + static_cast<int64_t>(static_cast<double>(i) * interval_ns);
    // Behind schedule: send at once, the lag is charged to the latency.
    if (NowNanos() < due) SleepUntil(due);
    uint64_t seq = 0;
    RequestRecord* record = log.Add(&seq);
    if (record == nullptr) break;
    record->phase = phase;
    record->scheduled_ns = due;
    result.end_seq = seq + 1;
    result.send_end_ns = due;
    in_flight.Add();
    caller.Start(seq, record, [&in_flight] { in_flight.Done(); });
  }
  in_flight.WaitForZero();
  result.done_ns = LastDone(log, result.first_seq, result.end_seq);
  return result;
}

DriveResult RunClosedLoop(Caller& caller, RequestLog& log, int phase, int in_flight_target,
                          absl::Duration warmup, absl::Duration duration) {
  struct Loop {
    Caller& caller;
    RequestLog& log;
    int phase;
    int64_t end_ns;
    InFlight in_flight;

    void Issue() {
      uint64_t seq = 0;
      RequestRecord* record = log.Add(&seq);
      if (record == nullptr) {
        in_flight.Done();
        return;
      }
      record->phase = phase;
      record->scheduled_ns = NowNanos();
      caller.Start(seq, record, [this] { OnDone(); });
    }
    // Each slot keeps one call going until the time is up.
    void OnDone() {
      if (NowNanos() < end_ns) {
        Issue();
      } else {
        in_flight.Done();
      }
    }
  };
  DriveResult result;
  result.first_seq = log.size();
  result.start_ns = NowNanos();
  result.measure_start_ns = result.start_ns + absl::ToInt64Nanoseconds(warmup);
  Loop loop{caller, log, phase, result.measure_start_ns + absl::ToInt64Nanoseconds(duration), {}};
  for (int i = 0; i < std::max(1, in_flight_target); ++i) loop.in_flight.Add();
  for (int i = 0; i < std::max(1, in_flight_target); ++i) loop.Issue();
  loop.in_flight.WaitForZero();
  result.end_seq = log.size();
  result.send_end_ns = loop.end_ns;
  result.done_ns = LastDone(log, result.first_seq, result.end_seq);
  return result;
}

}  // namespace referrals::loadgen
