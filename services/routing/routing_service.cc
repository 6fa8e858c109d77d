#include "services/routing/routing_service.h"

#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/domain/field_violation.h"
#include "common/domain/referral_validator.h"
#include "common/pipeline/events.h"
#include "common/pipeline/stream_id.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/grpc_status.h"
#include "common/service/log.h"
#include "google/protobuf/util/time_util.h"
#include "services/routing/referral_lifecycle.h"
#include "services/routing/referral_outcome.h"

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

// The edge for the lifecycle stores' errors: the caller's own mistakes and
// conflicts pass through with their messages (which never carry personal
// data); anything else is Redis trouble.
grpc::Status LifecycleEdgeStatus(const absl::Status& status, absl::string_view store) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kPermissionDenied:
      return ToGrpcStatus(status);
    default:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("the ", store, " is unavailable"));
  }
}

void RequireField(FieldViolations& violations, const std::string& value, const char* field) {
  if (value.empty()) violations.push_back({field, "is required"});
}

void ValidateLease(FieldViolations& violations, int lease_seconds) {
  if (lease_seconds < 0 || lease_seconds > RoutingServiceImpl::kMaxLeaseSeconds) {
    violations.push_back({"lease_seconds", absl::StrCat("must be between 0 and ",
                                                        RoutingServiceImpl::kMaxLeaseSeconds)});
  }
}

absl::Duration LeaseOf(int lease_seconds) {
  return absl::Seconds(lease_seconds == 0 ? RoutingServiceImpl::kDefaultLeaseSeconds
                                          : lease_seconds);
}

grpc::Status Unimplemented() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this routing service runs without the lifecycle stores");
}

}  // namespace

RoutingServiceImpl::RoutingServiceImpl(std::shared_ptr<const TriageRules> triage,
                                       std::shared_ptr<const RoutingEngine> engine,
                                       const QueueStore* queues,
                                       const DeadLetterStore* dead_letters, RedisWorkerPool* pool,
                                       RedisOptions redis, LifecycleStores lifecycle,
                                       const Authorizer* authorizer)
    : triage_(std::move(triage)),
      engine_(std::move(engine)),
      queues_(queues),
      dead_letters_(dead_letters),
      pool_(pool),
      redis_(std::move(redis)),
      lifecycle_(lifecycle),
      authorizer_(authorizer) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

RoutingServiceImpl::~RoutingServiceImpl() { StopWatches(); }

std::optional<Caller> RoutingServiceImpl::Authorize(grpc::CallbackServerContext* context,
                                                    const char* method,
                                                    grpc::ServerUnaryReactor* reactor) const {
  absl::StatusOr<Caller> caller = AuthorizeCall(authorizer_, *context, method);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return std::nullopt;
  }
  return *std::move(caller);
}

std::string RoutingServiceImpl::QueueAuthority(absl::string_view queue) const {
  return lifecycle_.lifecycle != nullptr ? lifecycle_.lifecycle->AuthorityIdOf(queue) : "";
}

absl::Status RoutingServiceImpl::CheckTeamReferral(RedisConnection& connection,
                                                   const Caller& caller, const char* method,
                                                   const std::string& referral_id) const {
  if (caller.role != Role::kTeam) return absl::OkStatus();
  if (lifecycle_.lifecycle == nullptr) return Authorizer::CheckAuthority(caller, method, "");
  absl::StatusOr<referrals::v1::ReferralRecord> record =
      lifecycle_.lifecycle->Get(connection, referral_id);
  if (!record.ok()) return record.status();
  return Authorizer::CheckAuthority(caller, method, QueueAuthority(record->queue()));
}

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
  const std::optional<Caller> caller =
      Authorize(context, "RoutingService/ResolveLocation", reactor);
  if (!caller.has_value()) return reactor;
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
  const std::optional<Caller> caller = Authorize(context, "RoutingService/Route", reactor);
  if (!caller.has_value()) return reactor;
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
  const std::optional<Caller> caller = Authorize(context, "RoutingService/ListQueues", reactor);
  if (!caller.has_value()) return reactor;
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
  const std::optional<Caller> caller =
      Authorize(context, "RoutingService/ListDeadLetters", reactor);
  if (!caller.has_value()) return reactor;
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
  const std::optional<Caller> caller =
      Authorize(context, "RoutingService/ReplayDeadLetter", reactor);
  if (!caller.has_value()) return reactor;
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
    grpc::CallbackServerContext* context, const referrals::v1::WatchQueueRequest* request) {
  auto fail = [](grpc::Status status) {
    class Failed final : public grpc::ServerWriteReactor<WatchQueueResponse> {
     public:
      explicit Failed(grpc::Status status) { Finish(std::move(status)); }
      void OnDone() override { delete this; }
    };
    return new Failed(std::move(status));
  };
  constexpr char kMethod[] = "RoutingService/WatchQueue";
  absl::StatusOr<Caller> caller = AuthorizeCall(authorizer_, *context, kMethod);
  if (!caller.ok()) return fail(ToGrpcStatus(caller.status()));
  if (request->queue().empty()) return fail(InvalidArgumentStatus({{"queue", "is required"}}));
  if (!queues_->IsKnownQueue(request->queue())) {
    return fail(grpc::Status(grpc::StatusCode::NOT_FOUND,
                             absl::StrCat("no queue named ", request->queue())));
  }
  if (absl::Status scoped =
          Authorizer::CheckAuthority(*caller, kMethod, QueueAuthority(request->queue()));
      !scoped.ok()) {
    return fail(ToGrpcStatus(scoped));
  }
  auto* reactor = new QueueWatchReactor(queues_, redis_, request->queue(), request->from_start(),
                                        &watches_);
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetReferral(
    grpc::CallbackServerContext* context, const referrals::v1::GetReferralRequest* request,
    referrals::v1::GetReferralResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/GetReferral", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.lifecycle == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  if (request->referral_id().empty()) {
    reactor->Finish(InvalidArgumentStatus({{"referral_id", "is required"}}));
    return reactor;
  }
  pool_->Submit([this, reactor, response, caller = *caller,
                 id = request->referral_id()](absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<referrals::v1::ReferralRecord> record =
        connection.ok() ? lifecycle_.lifecycle->GetOpened(**connection, id)
                        : absl::StatusOr<referrals::v1::ReferralRecord>(connection.status());
    if (!record.ok()) {
      reactor->Finish(LifecycleEdgeStatus(record.status(), "referral store"));
      return;
    }
    if (absl::Status scoped = Authorizer::CheckAuthority(caller, "RoutingService/GetReferral",
                                                         QueueAuthority(record->queue()));
        !scoped.ok()) {
      reactor->Finish(ToGrpcStatus(scoped));
      return;
    }
    *response->mutable_referral() = *std::move(record);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::GetReferralOutcome(
    grpc::CallbackServerContext* context, const referrals::v1::GetReferralOutcomeRequest* request,
    referrals::v1::GetReferralOutcomeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller =
      Authorize(context, "RoutingService/GetReferralOutcome", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.lifecycle == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  if (request->referral_id().empty() == request->request_id().empty()) {
    reactor->Finish(
        InvalidArgumentStatus({{"referral_id", "give exactly one of referral_id and request_id"},
                               {"request_id", "give exactly one of referral_id and request_id"}}));
    return reactor;
  }
  pool_->Submit([this, reactor, response, caller = *caller, referral_id = request->referral_id(),
                 request_id =
                     request->request_id()](absl::StatusOr<RedisConnection*> connection) mutable {
    constexpr char kMethod[] = "RoutingService/GetReferralOutcome";
    if (!connection.ok()) {
      reactor->Finish(LifecycleEdgeStatus(connection.status(), "referral store"));
      return;
    }
    // A submitter's request ids live in its own scope (the idempotency keys
    // intake wrote under its caller id).
    const bool submitter = caller.authenticated && caller.role == Role::kSubmitter;
    if (referral_id.empty()) {
      absl::StatusOr<std::string> found =
          submitter
              ? lifecycle_.lifecycle->ReferralIdForRequest(**connection, caller.id, request_id)
              : lifecycle_.lifecycle->ReferralIdForRequest(**connection, request_id);
      if (!found.ok()) {
        reactor->Finish(LifecycleEdgeStatus(found.status(), "referral store"));
        return;
      }
      referral_id = *found;
    }
    // Opened (in memory only) for the submitter check's request id; the
    // outcome itself carries no personal data.
    absl::StatusOr<referrals::v1::ReferralRecord> record =
        lifecycle_.lifecycle->GetOpened(**connection, referral_id);
    if (!record.ok()) {
      reactor->Finish(LifecycleEdgeStatus(record.status(), "referral store"));
      return;
    }
    if (absl::Status scoped =
            Authorizer::CheckAuthority(caller, kMethod, QueueAuthority(record->queue()));
        !scoped.ok()) {
      reactor->Finish(ToGrpcStatus(scoped));
      return;
    }
    if (submitter) {
      absl::StatusOr<std::string> own = lifecycle_.lifecycle->ReferralIdForRequest(
          **connection, caller.id, record->referral().request_id());
      if (!own.ok() && own.status().code() != absl::StatusCode::kNotFound) {
        reactor->Finish(LifecycleEdgeStatus(own.status(), "referral store"));
        return;
      }
      if (!own.ok() || *own != referral_id) {
        Log(LogLevel::kWarning, "auth_refused",
            {{"method", kMethod}, {"caller", caller.id}, {"reason", "not its referral"}});
        reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                     "a submitter may see only the referrals it submitted"));
        return;
      }
    }
    const LifecycleStore* store = lifecycle_.lifecycle;
    *response->mutable_outcome() = BuildReferralOutcome(*record, [store](absl::string_view queue) {
      return QueueTeamNames{store->TeamNameOf(queue), store->AuthorityNameOf(queue)};
    });
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::Transition(
    grpc::CallbackServerContext* context, const char* method, FieldViolations violations,
    TransitionRequest request, referrals::v1::TransitionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<Caller> caller = Authorize(context, method, reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.lifecycle == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  RequireField(violations, request.referral_id, "referral_id");
  RequireField(violations, request.actor, "actor");
  if (request.etag < 0) violations.push_back({"etag", "must not be negative"});
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  // The history records which system acted, whatever `actor` says.
  request.caller_id = caller->authenticated ? caller->id : "";
  pool_->Submit([this, reactor, response, method, caller = *std::move(caller),
                 request = std::move(request)](absl::StatusOr<RedisConnection*> connection) {
    if (connection.ok()) {
      if (absl::Status scoped =
              CheckTeamReferral(**connection, caller, method, request.referral_id);
          !scoped.ok()) {
        reactor->Finish(LifecycleEdgeStatus(scoped, "referral store"));
        return;
      }
    }
    absl::StatusOr<TransitionResult> result =
        connection.ok() ? lifecycle_.lifecycle->Transition(**connection, request, absl::Now())
                        : absl::StatusOr<TransitionResult>(connection.status());
    if (!result.ok()) {
      reactor->Finish(LifecycleEdgeStatus(result.status(), "referral store"));
      return;
    }
    // Ids and codes only: the actor and any comment stay out of the log.
    Log(LogLevel::kInfo, "referral_transition",
        {{"referral_id", request.referral_id},
         {"action", ActionName(request.action)},
         {"status", StatusName(result->status)},
         {"to_queue", request.to_queue},
         {"caller", request.caller_id}});
    response->set_status(result->status);
    response->set_etag(result->etag);
    for (referrals::v1::LifecycleAction action : AllowedActions(result->status)) {
      response->add_allowed_actions(action);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::AcceptReferral(
    grpc::CallbackServerContext* context, const referrals::v1::AcceptReferralRequest* request,
    referrals::v1::TransitionResponse* response) {
  TransitionRequest transition;
  transition.referral_id = request->referral_id();
  transition.action = referrals::v1::LIFECYCLE_ACTION_ACCEPT;
  transition.etag = request->etag();
  transition.actor = request->actor();
  return Transition(context, "RoutingService/AcceptReferral", {}, std::move(transition), response);
}

grpc::ServerUnaryReactor* RoutingServiceImpl::RedirectReferral(
    grpc::CallbackServerContext* context, const referrals::v1::RedirectReferralRequest* request,
    referrals::v1::TransitionResponse* response) {
  FieldViolations violations;
  RequireField(violations, request->to_queue(), "to_queue");
  RequireField(violations, request->reason(), "reason");
  TransitionRequest transition;
  transition.referral_id = request->referral_id();
  transition.action = referrals::v1::LIFECYCLE_ACTION_REDIRECT;
  transition.etag = request->etag();
  transition.actor = request->actor();
  transition.to_queue = request->to_queue();
  transition.comment = request->reason();
  return Transition(context, "RoutingService/RedirectReferral", std::move(violations),
                    std::move(transition), response);
}

grpc::ServerUnaryReactor* RoutingServiceImpl::RejectReferral(
    grpc::CallbackServerContext* context, const referrals::v1::RejectReferralRequest* request,
    referrals::v1::TransitionResponse* response) {
  FieldViolations violations;
  if (request->reason() == referrals::v1::REJECT_REASON_UNSPECIFIED ||
      !referrals::v1::RejectReason_IsValid(request->reason())) {
    violations.push_back({"reason", "is required: one of the REJECT_REASON_ codes"});
  } else if (request->reason() == referrals::v1::REJECT_REASON_OTHER &&
             request->comment().empty()) {
    violations.push_back({"comment", "is required when reason is REJECT_REASON_OTHER"});
  }
  TransitionRequest transition;
  transition.referral_id = request->referral_id();
  transition.action = referrals::v1::LIFECYCLE_ACTION_REJECT;
  transition.etag = request->etag();
  transition.actor = request->actor();
  transition.reject_reason = request->reason();
  transition.comment = request->comment();
  return Transition(context, "RoutingService/RejectReferral", std::move(violations),
                    std::move(transition), response);
}

grpc::ServerUnaryReactor* RoutingServiceImpl::CompleteReferral(
    grpc::CallbackServerContext* context, const referrals::v1::CompleteReferralRequest* request,
    referrals::v1::TransitionResponse* response) {
  TransitionRequest transition;
  transition.referral_id = request->referral_id();
  transition.action = referrals::v1::LIFECYCLE_ACTION_COMPLETE;
  transition.etag = request->etag();
  transition.actor = request->actor();
  return Transition(context, "RoutingService/CompleteReferral", {}, std::move(transition),
                    response);
}

grpc::ServerUnaryReactor* RoutingServiceImpl::CancelReferral(
    grpc::CallbackServerContext* context, const referrals::v1::CancelReferralRequest* request,
    referrals::v1::TransitionResponse* response) {
  TransitionRequest transition;
  transition.referral_id = request->referral_id();
  transition.action = referrals::v1::LIFECYCLE_ACTION_CANCEL;
  transition.etag = request->etag();
  transition.actor = request->actor();
  transition.comment = request->reason();
  return Transition(context, "RoutingService/CancelReferral", {}, std::move(transition), response);
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ListWorklist(
    grpc::CallbackServerContext* context, const referrals::v1::ListWorklistRequest* request,
    referrals::v1::ListWorklistResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/ListWorklist", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.worklists == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  FieldViolations violations;
  RequireField(violations, request->queue(), "queue");
  if (request->page_size() < 0 || request->page_size() > kMaxWorklistPageSize) {
    violations.push_back(
        {"page_size", absl::StrCat("must be between 0 and ", kMaxWorklistPageSize)});
  }
  if (!referrals::v1::Priority_IsValid(request->priority())) {
    violations.push_back({"priority", "is not a known priority"});
  }
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  if (!queues_->IsKnownQueue(request->queue())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("no queue named ", request->queue())));
    return reactor;
  }
  if (absl::Status scoped = Authorizer::CheckAuthority(*caller, "RoutingService/ListWorklist",
                                                       QueueAuthority(request->queue()));
      !scoped.ok()) {
    reactor->Finish(ToGrpcStatus(scoped));
    return reactor;
  }
  WorklistFilter filter;
  filter.priority = request->priority();
  filter.overdue_only = request->overdue_only();
  filter.unclaimed_only = request->unclaimed_only();
  const int page_size = request->page_size() == 0 ? kDefaultWorklistPageSize : request->page_size();
  pool_->Submit([this, reactor, response, filter, page_size, queue = request->queue(),
                 token = request->page_token()](absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<WorklistPage> page =
        connection.ok()
            ? lifecycle_.worklists->List(**connection, queue, token, page_size, filter, absl::Now())
            : absl::StatusOr<WorklistPage>(connection.status());
    if (!page.ok()) {
      if (page.status().code() == absl::StatusCode::kInvalidArgument) {
        reactor->Finish(
            InvalidArgumentStatus({{"page_token", std::string(page.status().message())}}));
      } else {
        reactor->Finish(LifecycleEdgeStatus(page.status(), "worklist store"));
      }
      return;
    }
    for (referrals::v1::WorklistItem& item : page->items) *response->add_items() = std::move(item);
    response->set_next_page_token(page->next_page_token);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ClaimNext(
    grpc::CallbackServerContext* context, const referrals::v1::ClaimNextRequest* request,
    referrals::v1::ClaimNextResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/ClaimNext", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.worklists == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  FieldViolations violations;
  RequireField(violations, request->queue(), "queue");
  RequireField(violations, request->claimer(), "claimer");
  ValidateLease(violations, request->lease_seconds());
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  if (!queues_->IsKnownQueue(request->queue())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 absl::StrCat("no queue named ", request->queue())));
    return reactor;
  }
  if (absl::Status scoped = Authorizer::CheckAuthority(*caller, "RoutingService/ClaimNext",
                                                       QueueAuthority(request->queue()));
      !scoped.ok()) {
    reactor->Finish(ToGrpcStatus(scoped));
    return reactor;
  }
  pool_->Submit(
      [this, reactor, response, queue = request->queue(), claimer = request->claimer(),
       lease = LeaseOf(request->lease_seconds())](absl::StatusOr<RedisConnection*> connection) {
        absl::StatusOr<referrals::v1::WorklistItem> item =
            connection.ok()
                ? lifecycle_.worklists->ClaimNext(**connection, queue, claimer, lease, absl::Now())
                : absl::StatusOr<referrals::v1::WorklistItem>(connection.status());
        if (!item.ok()) {
          reactor->Finish(LifecycleEdgeStatus(item.status(), "worklist store"));
          return;
        }
        Log(LogLevel::kInfo, "referral_claimed",
            {{"referral_id", item->referral_id()}, {"queue", queue}});
        *response->mutable_item() = *std::move(item);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::RenewLease(
    grpc::CallbackServerContext* context, const referrals::v1::RenewLeaseRequest* request,
    referrals::v1::ClaimNextResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/RenewLease", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.worklists == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  FieldViolations violations;
  RequireField(violations, request->referral_id(), "referral_id");
  RequireField(violations, request->claimer(), "claimer");
  ValidateLease(violations, request->lease_seconds());
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  pool_->Submit([this, reactor, response, caller = *caller, id = request->referral_id(),
                 claimer = request->claimer(), lease = LeaseOf(request->lease_seconds())](
                    absl::StatusOr<RedisConnection*> connection) {
    if (connection.ok()) {
      if (absl::Status scoped =
              CheckTeamReferral(**connection, caller, "RoutingService/RenewLease", id);
          !scoped.ok()) {
        reactor->Finish(LifecycleEdgeStatus(scoped, "referral store"));
        return;
      }
    }
    absl::StatusOr<referrals::v1::WorklistItem> item =
        connection.ok() ? lifecycle_.worklists->Renew(**connection, id, claimer, lease, absl::Now())
                        : absl::StatusOr<referrals::v1::WorklistItem>(connection.status());
    if (!item.ok()) {
      reactor->Finish(LifecycleEdgeStatus(item.status(), "worklist store"));
      return;
    }
    *response->mutable_item() = *std::move(item);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ReleaseLease(
    grpc::CallbackServerContext* context, const referrals::v1::ReleaseLeaseRequest* request,
    referrals::v1::TransitionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/ReleaseLease", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.worklists == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  FieldViolations violations;
  RequireField(violations, request->referral_id(), "referral_id");
  RequireField(violations, request->claimer(), "claimer");
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  pool_->Submit([this, reactor, response, caller = *caller, id = request->referral_id(),
                 claimer = request->claimer()](absl::StatusOr<RedisConnection*> connection) {
    if (connection.ok()) {
      if (absl::Status scoped =
              CheckTeamReferral(**connection, caller, "RoutingService/ReleaseLease", id);
          !scoped.ok()) {
        reactor->Finish(LifecycleEdgeStatus(scoped, "referral store"));
        return;
      }
    }
    absl::StatusOr<int64_t> etag = connection.ok()
                                       ? lifecycle_.worklists->Release(**connection, id, claimer)
                                       : absl::StatusOr<int64_t>(connection.status());
    if (!etag.ok()) {
      reactor->Finish(LifecycleEdgeStatus(etag.status(), "worklist store"));
      return;
    }
    response->set_etag(*etag);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::ListOverdue(
    grpc::CallbackServerContext* context, const referrals::v1::ListOverdueRequest* request,
    referrals::v1::ListOverdueResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller = Authorize(context, "RoutingService/ListOverdue", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.worklists == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  if (request->page_size() < 0 || request->page_size() > kMaxOverduePageSize) {
    reactor->Finish(InvalidArgumentStatus(
        {{"page_size", absl::StrCat("must be between 0 and ", kMaxOverduePageSize)}}));
    return reactor;
  }
  const int limit = request->page_size() == 0 ? kDefaultOverduePageSize : request->page_size();
  pool_->Submit([this, reactor, response, limit,
                 caller = *caller](absl::StatusOr<RedisConnection*> connection) {
    auto items =
        connection.ok()
            ? lifecycle_.worklists->ListOverdue(**connection, limit)
            : absl::StatusOr<std::vector<std::pair<std::string, referrals::v1::WorklistItem>>>(
                  connection.status());
    if (!items.ok()) {
      reactor->Finish(LifecycleEdgeStatus(items.status(), "worklist store"));
      return;
    }
    for (auto& [queue, item] : *items) {
      // A team sees its own authority's overdue referrals only.
      if (caller.role == Role::kTeam && QueueAuthority(queue) != caller.authority) continue;
      response->add_queues(queue);
      *response->add_items() = std::move(item);
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* RoutingServiceImpl::PurgePersonalData(
    grpc::CallbackServerContext* context, const referrals::v1::PurgePersonalDataRequest* request,
    referrals::v1::PurgePersonalDataResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const std::optional<Caller> caller =
      Authorize(context, "RoutingService/PurgePersonalData", reactor);
  if (!caller.has_value()) return reactor;
  if (lifecycle_.retention == nullptr) {
    reactor->Finish(Unimplemented());
    return reactor;
  }
  const bool one = !request->referral_id().empty();
  if (one == (request->closed_days_ago() > 0) || request->closed_days_ago() < 0) {
    reactor->Finish(InvalidArgumentStatus(
        {{"referral_id", "give either referral_id or closed_days_ago (> 0), not both"}}));
    return reactor;
  }
  pool_->Submit([this, reactor, response, one, id = request->referral_id(),
                 days = request->closed_days_ago(),
                 caller_id = caller->id](absl::StatusOr<RedisConnection*> connection) {
    if (!connection.ok()) {
      reactor->Finish(LifecycleEdgeStatus(connection.status(), "referral store"));
      return;
    }
    const absl::Time now = absl::Now();
    if (one) {
      absl::StatusOr<bool> purged =
          lifecycle_.retention->PurgeReferral(**connection, id, now, absl::ZeroDuration());
      if (!purged.ok()) {
        reactor->Finish(LifecycleEdgeStatus(purged.status(), "referral store"));
        return;
      }
      if (*purged) response->add_purged_referral_ids(id);
      response->set_already_purged(!*purged);
    } else {
      // Repeated until a sweep finds nothing left (each takes at most 500).
      for (;;) {
        absl::StatusOr<std::vector<std::string>> purged =
            lifecycle_.retention->SweepOnce(**connection, now, absl::Hours(24) * days);
        if (!purged.ok()) {
          reactor->Finish(LifecycleEdgeStatus(purged.status(), "referral store"));
          return;
        }
        for (std::string& purged_id : *purged) response->add_purged_referral_ids(purged_id);
        if (purged->empty()) break;
      }
    }
    Log(LogLevel::kInfo, "purge_requested",
        {{"caller", caller_id},
         {"referral_id", id},
         {"closed_days_ago", absl::StrCat(days)},
         {"purged", absl::StrCat(response->purged_referral_ids_size())}});
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace referrals
