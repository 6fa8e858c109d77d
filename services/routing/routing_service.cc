#include "services/routing/routing_service.h"

#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/domain/referral_validator.h"
#include "common/pipeline/events.h"
#include "common/pipeline/stream_id.h"
#include "common/service/grpc_status.h"
#include "common/service/log.h"
#include "google/protobuf/util/time_util.h"

namespace referrals {
namespace {

using referrals::v1::WatchQueueResponse;

// Streams a queue's entries to one watcher. A thread of its own reads the
// queue stream (XREAD BLOCK) and writes one message at a time; the reactor
// finishes exactly once, and deletes itself in OnDone once that thread is
// past its last use of the reactor.
class QueueWatchReactor final : public grpc::ServerWriteReactor<WatchQueueResponse> {
 public:
  QueueWatchReactor(const QueueStore* queues, RedisOptions redis, std::string queue,
                    bool from_start, RoutingServiceImpl::WatchRegistry* registry)
      : queues_(queues),
        redis_(std::move(redis)),
        queue_(std::move(queue)),
        from_start_(from_start),
        registry_(registry) {
    {
      absl::MutexLock lock(&registry_->mu);
      ++registry_->live;
    }
    std::thread([this] { Run(); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) cancelled_ = true;
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

  void OnDone() override {
    thread_done_.WaitForNotification();
    {
      absl::MutexLock lock(&registry_->mu);
      --registry_->live;
    }
    delete this;
  }

 private:
  bool ShouldStop() {
    absl::MutexLock lock(&mu_);
    return cancelled_ || registry_->stopping.load();
  }

  // Writes one message and waits for it to complete. False if cancelled.
  bool WriteAndWait(const WatchQueueResponse& message) {
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return false;
      write_in_flight_ = true;
    }
    StartWrite(&message);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](QueueWatchReactor* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return !self->write_in_flight_;
        },
        this));
    return !cancelled_;
  }

  void Run() {
    grpc::Status status = Follow();
    thread_done_.Notify();
    Finish(status);  // may run OnDone, which deletes this: nothing after it
  }

  grpc::Status Follow() {
    RedisOptions options = redis_;
    const absl::Duration block = absl::Seconds(1);
    options.command_timeout = block + absl::Seconds(2);
    auto connected = RedisConnection::Connect(options);
    if (!connected.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the queue store is unavailable");
    }
    std::unique_ptr<RedisConnection> connection = *std::move(connected);

    std::string last_id = "0-0";
    if (!from_start_) {
      // Start after the newest entry now, so nothing landing later is missed.
      absl::StatusOr<std::string> newest = queues_->NewestId(*connection, queue_);
      if (!newest.ok()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the queue store is unavailable");
      }
      last_id = *newest;
    }
    WatchQueueResponse message;
    while (!ShouldStop()) {
      auto entries = queues_->Read(*connection, queue_, last_id, block, 100);
      if (!entries.ok()) {
        if (entries.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "lost the queue store connection");
      }
      for (QueueStore::QueueEntry& entry : *entries) {
        last_id = entry.id;
        message.set_entry_id(entry.id);
        *message.mutable_event() = std::move(entry.event);
        if (!WriteAndWait(message)) return grpc::Status::CANCELLED;
      }
    }
    return grpc::Status::OK;
  }

  const QueueStore* queues_;
  const RedisOptions redis_;
  const std::string queue_;
  const bool from_start_;
  RoutingServiceImpl::WatchRegistry* registry_;
  absl::Mutex mu_;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification thread_done_;
};

}  // namespace

RoutingServiceImpl::RoutingServiceImpl(std::shared_ptr<const TriageRules> triage,
                                       std::shared_ptr<const RoutingEngine> engine,
                                       const QueueStore* queues,
                                       const DeadLetterStore* dead_letters,
                                       RedisWorkerPool* pool, RedisOptions redis)
    : triage_(std::move(triage)),
      engine_(std::move(engine)),
      queues_(queues),
      dead_letters_(dead_letters),
      pool_(pool),
      redis_(std::move(redis)) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

RoutingServiceImpl::~RoutingServiceImpl() { StopWatches(); }

void RoutingServiceImpl::StopWatches() {
  watches_.stopping = true;
  absl::MutexLock lock(&watches_.mu);
  watches_.mu.Await(absl::Condition(
      +[](WatchRegistry* registry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry->mu) {
        return registry->live == 0;
      },
      &watches_));
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ResolveLocation(
    grpc::CallbackServerContext* context, const referrals::v1::ResolveLocationRequest* request,
    referrals::v1::ResolveLocationResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<referrals::v1::LocationResolution> resolution =
      engine_->resolver().Resolve(request->postcode());
  if (!resolution.ok()) {
    reactor->Finish(InvalidArgumentStatus({{"postcode", std::string(resolution.status().message())}}));
    return reactor;
  }
  *response->mutable_resolution() = *std::move(resolution);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::Route(grpc::CallbackServerContext* context,
                                                    const referrals::v1::RouteRequest* request,
                                                    referrals::v1::RouteResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time now = absl::Now();
  FieldViolations violations =
      request->has_referral()
          ? ValidateReferral(request->referral(), absl::ToCivilDay(now, london_))
          : FieldViolations{{"referral", "is required"}};
  absl::Time received = now;
  if (request->has_as_at()) {
    // Years 0001 to 9999, as google.protobuf.Timestamp defines.
    const auto& as_at = request->as_at();
    if (as_at.seconds() < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
        as_at.seconds() > google::protobuf::util::TimeUtil::kTimestampMaxSeconds ||
        as_at.nanos() < 0 || as_at.nanos() > 999999999) {
      violations.push_back({"as_at", "is not a valid timestamp"});
    } else {
      received = FromTimestamp(request->as_at());
    }
  }
  std::shared_ptr<const RulesConfig> version;
  if (!request->rules_version().empty()) {
    version = engine_->rules().Find(request->rules_version());
    if (version == nullptr) {
      violations.push_back({"rules_version", absl::StrCat("is not a loaded rules version (loaded: ",
                                                          engine_->rules().Describe(), ")")});
    }
  }
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  *response->mutable_triage() = version != nullptr
                                    ? TriageRules::Classify(request->referral(), *version)
                                    : triage_->Classify(request->referral(), received);
  *response->mutable_decision() =
      engine_->Decide(request->referral(), response->triage(), received, now);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ListQueues(
    grpc::CallbackServerContext* context, const referrals::v1::ListQueuesRequest* /*request*/,
    referrals::v1::ListQueuesResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool_->Submit([this, reactor, response](absl::StatusOr<RedisConnection*> connection) {
    auto queues = connection.ok()
                      ? queues_->ListQueues(**connection, absl::Now())
                      : absl::StatusOr<std::vector<referrals::v1::QueueSummary>>(
                            connection.status());
    if (!queues.ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the queue store is unavailable"));
      return;
    }
    for (auto& queue : *queues) *response->add_queues() = std::move(queue);
    absl::StatusOr<std::map<std::string, int64_t>> counters = queues_->Counters(**connection);
    if (!counters.ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the queue store is unavailable"));
      return;
    }
    for (const auto& [name, value] : *counters) (*response->mutable_counters())[name] = value;
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ListDeadLetters(
    grpc::CallbackServerContext* context, const referrals::v1::ListDeadLettersRequest* request,
    referrals::v1::ListDeadLettersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FieldViolations violations;
  if (request->page_size() < 0 || request->page_size() > kMaxDeadLetterPageSize) {
    violations.push_back(
        {"page_size", absl::StrCat("must be between 0 and ", kMaxDeadLetterPageSize)});
  }
  std::optional<StreamId> after;
  if (!request->page_token().empty()) {
    after = StreamId::Parse(request->page_token());
    if (!after.has_value()) {
      violations.push_back({"page_token", "is not a page token this service returned"});
    }
  }
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  const int page_size =
      request->page_size() == 0 ? kDefaultDeadLetterPageSize : request->page_size();
  pool_->Submit([this, reactor, response, after,
                 page_size](absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<DeadLetterPage> page =
        connection.ok() ? dead_letters_->List(**connection, after, page_size)
                        : absl::StatusOr<DeadLetterPage>(connection.status());
    if (!page.ok()) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "the dead-letter store is unavailable"));
      return;
    }
    for (const DeadLetterInfo& info : page->dead_letters) {
      referrals::v1::DeadLetterSummary* summary = response->add_dead_letters();
      summary->set_dead_letter_id(info.id);
      summary->set_referral_id(info.referral_id);
      summary->set_stage(info.stage);
      summary->set_source_stream(info.source_stream);
      summary->set_entry_id(info.entry_id);
      summary->set_error(info.error);
      summary->set_attempts(info.attempts);
      *summary->mutable_dead_lettered_time() = ToTimestamp(info.dead_lettered_time);
    }
    if (page->next_after.has_value()) response->set_next_page_token(page->next_after->ToString());
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ReplayDeadLetter(
    grpc::CallbackServerContext* context, const referrals::v1::ReplayDeadLetterRequest* request,
    referrals::v1::ReplayDeadLetterResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->dead_letter_id().empty()) {
    reactor->Finish(InvalidArgumentStatus({{"dead_letter_id", "is required"}}));
    return reactor;
  }
  const std::optional<StreamId> id = StreamId::Parse(request->dead_letter_id());
  if (!id.has_value()) {
    reactor->Finish(InvalidArgumentStatus(
        {{"dead_letter_id", "must be a stream entry id such as 1700000000123-0"}}));
    return reactor;
  }
  pool_->Submit([this, reactor, response, id = *id](absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<ReplayResult> replayed =
        connection.ok() ? dead_letters_->Replay(**connection, id)
                        : absl::StatusOr<ReplayResult>(connection.status());
    if (!replayed.ok()) {
      switch (replayed.status().code()) {
        case absl::StatusCode::kNotFound:
        case absl::StatusCode::kFailedPrecondition:
        case absl::StatusCode::kAborted:
          reactor->Finish(ToGrpcStatus(replayed.status()));
          return;
        default:
          reactor->Finish(
              grpc::Status(grpc::StatusCode::UNAVAILABLE, "the dead-letter store is unavailable"));
          return;
      }
    }
    Log(LogLevel::kInfo, "dead_letter_replayed",
        {{"dead_letter_id", id.ToString()},
         {"referral_id", replayed->referral_id},
         {"stage", replayed->stage},
         {"entry_id", replayed->entry_id}});
    response->set_referral_id(replayed->referral_id);
    response->set_stage(replayed->stage);
    response->set_source_stream(replayed->source_stream);
    response->set_entry_id(replayed->entry_id);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerWriteReactor<WatchQueueResponse>* RoutingServiceImpl::WatchQueue(
    grpc::CallbackServerContext* /*context*/, const referrals::v1::WatchQueueRequest* request) {
  auto fail = [](grpc::Status status) {
    class Failed final : public grpc::ServerWriteReactor<WatchQueueResponse> {
     public:
      explicit Failed(grpc::Status status) { Finish(std::move(status)); }
      void OnDone() override { delete this; }
    };
    return new Failed(std::move(status));
  };
  if (request->queue().empty()) return fail(InvalidArgumentStatus({{"queue", "is required"}}));
  if (!queues_->IsKnownQueue(request->queue())) {
    return fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                             absl::StrCat("no queue named ", request->queue())));
  }
  auto* reactor = new QueueWatchReactor(queues_, redis_, request->queue(), request->from_start(),
                                        &watches_);
  return reactor;
}

}  // namespace referrals
