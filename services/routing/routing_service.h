// The gRPC face of routing: postcode checks and dry runs (pure, answered on
// the gRPC thread), queue summaries and dead-letter listing and replay (on
// the Redis worker pool) and live queue watches (one thread and Redis
// connection per watch: watchers are a few operations staff, not the public).
#ifndef SERVICES_ROUTING_ROUTING_SERVICE_H_
#define SERVICES_ROUTING_ROUTING_SERVICE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/domain/field_violation.h"
#include "common/pipeline/dead_letter_store.h"
#include "common/service/auth/authorizer.h"
#include "common/service/redis_worker_pool.h"
#include "referrals/v1/routing_service.grpc.pb.h"
#include "services/routing/lifecycle_store.h"
#include "services/routing/queue_store.h"
#include "services/routing/retention_sweeper.h"
#include "services/routing/routing_engine.h"
#include "services/routing/worklist_store.h"
#include "services/triage/triage_rules.h"

namespace referrals {

// The receiving teams' stores (not owned; must outlive the service). Without
// them the lifecycle RPCs answer UNIMPLEMENTED.
struct LifecycleStores {
  const LifecycleStore* lifecycle = nullptr;
  const WorklistStore* worklists = nullptr;
  // PurgePersonalData (issue 8 retention); null: UNIMPLEMENTED.
  const RetentionSweeper* retention = nullptr;
};

class RoutingServiceImpl final : public referrals::v1::RoutingService::CallbackService {
 public:
  // `queues`, `dead_letters` and `pool` are not owned and must outlive the
  // service.
  //
  // Authentication (issue 8): `authorizer` (not owned; null: open) checks
  // every call's bearer token against its table (UNAUTHENTICATED,
  // PERMISSION_DENIED: see authorizer.h). A team caller may act only on its
  // own authority's queues (the rules' team -> authority): WatchQueue,
  // ListWorklist and ClaimNext by the queue named, the referral RPCs by the
  // queue the referral is on now; anything else is PERMISSION_DENIED.
  // ListOverdue gives a team its own authority's referrals only. A submitter
  // gets GetReferralOutcome only for referrals it submitted (request ids are
  // looked up in its own scope); others' are PERMISSION_DENIED.
  RoutingServiceImpl(std::shared_ptr<const TriageRules> triage,
                     std::shared_ptr<const RoutingEngine> engine, const QueueStore* queues,
                     const DeadLetterStore* dead_letters, RedisWorkerPool* pool, RedisOptions redis,
                     LifecycleStores lifecycle = {}, const Authorizer* authorizer = nullptr);
  ~RoutingServiceImpl() override;

  grpc::ServerUnaryReactor* ResolveLocation(
      grpc::CallbackServerContext* context,
      const referrals::v1::ResolveLocationRequest* request,
      referrals::v1::ResolveLocationResponse* response) override;

  grpc::ServerUnaryReactor* Route(grpc::CallbackServerContext* context,
                                  const referrals::v1::RouteRequest* request,
                                  referrals::v1::RouteResponse* response) override;

  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* context,
                                       const referrals::v1::ListQueuesRequest* request,
                                       referrals::v1::ListQueuesResponse* response) override;

  grpc::ServerWriteReactor<referrals::v1::WatchQueueResponse>* WatchQueue(
      grpc::CallbackServerContext* context,
      const referrals::v1::WatchQueueRequest* request) override;

  // page_size 0 means kDefaultDeadLetterPageSize; above kMaxDeadLetterPageSize
  // or negative is INVALID_ARGUMENT, as is a page_token that is not a stream
  // id. Redis errors are UNAVAILABLE.
  grpc::ServerUnaryReactor* ListDeadLetters(
      grpc::CallbackServerContext* context, const referrals::v1::ListDeadLettersRequest* request,
      referrals::v1::ListDeadLettersResponse* response) override;

  // A dead_letter_id that is not a stream id is INVALID_ARGUMENT; the
  // store's NOT_FOUND, FAILED_PRECONDITION and ABORTED pass through; Redis
  // errors are UNAVAILABLE.
  grpc::ServerUnaryReactor* ReplayDeadLetter(
      grpc::CallbackServerContext* context, const referrals::v1::ReplayDeadLetterRequest* request,
      referrals::v1::ReplayDeadLetterResponse* response) override;

  // The receiving teams' RPCs: see routing_service.proto for each one's
  // contract. Required fields missing are INVALID_ARGUMENT naming them; the
  // stores' NOT_FOUND, ABORTED, FAILED_PRECONDITION pass through; other
  // Redis errors are UNAVAILABLE. Actors, claimers and comments are never
  // logged.
  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* context,
                                        const referrals::v1::GetReferralRequest* request,
                                        referrals::v1::GetReferralResponse* response) override;
  grpc::ServerUnaryReactor* GetReferralOutcome(
      grpc::CallbackServerContext* context, const referrals::v1::GetReferralOutcomeRequest* request,
      referrals::v1::GetReferralOutcomeResponse* response) override;
  grpc::ServerUnaryReactor* AcceptReferral(grpc::CallbackServerContext* context,
                                           const referrals::v1::AcceptReferralRequest* request,
                                           referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* RedirectReferral(grpc::CallbackServerContext* context,
                                             const referrals::v1::RedirectReferralRequest* request,
                                             referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* RejectReferral(grpc::CallbackServerContext* context,
                                           const referrals::v1::RejectReferralRequest* request,
                                           referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* CompleteReferral(grpc::CallbackServerContext* context,
                                             const referrals::v1::CompleteReferralRequest* request,
                                             referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* CancelReferral(grpc::CallbackServerContext* context,
                                           const referrals::v1::CancelReferralRequest* request,
                                           referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* ListWorklist(grpc::CallbackServerContext* context,
                                         const referrals::v1::ListWorklistRequest* request,
                                         referrals::v1::ListWorklistResponse* response) override;
  grpc::ServerUnaryReactor* ClaimNext(grpc::CallbackServerContext* context,
                                      const referrals::v1::ClaimNextRequest* request,
                                      referrals::v1::ClaimNextResponse* response) override;
  grpc::ServerUnaryReactor* RenewLease(grpc::CallbackServerContext* context,
                                       const referrals::v1::RenewLeaseRequest* request,
                                       referrals::v1::ClaimNextResponse* response) override;
  grpc::ServerUnaryReactor* ReleaseLease(grpc::CallbackServerContext* context,
                                         const referrals::v1::ReleaseLeaseRequest* request,
                                         referrals::v1::TransitionResponse* response) override;
  grpc::ServerUnaryReactor* ListOverdue(grpc::CallbackServerContext* context,
                                        const referrals::v1::ListOverdueRequest* request,
                                        referrals::v1::ListOverdueResponse* response) override;

  grpc::ServerUnaryReactor* PurgePersonalData(
      grpc::CallbackServerContext* context, const referrals::v1::PurgePersonalDataRequest* request,
      referrals::v1::PurgePersonalDataResponse* response) override;

  static constexpr int kDefaultWorklistPageSize = 50;
  static constexpr int kMaxWorklistPageSize = 500;
  static constexpr int kDefaultLeaseSeconds = 900;
  static constexpr int kMaxLeaseSeconds = 86400;
  static constexpr int kDefaultOverduePageSize = 100;
  static constexpr int kMaxOverduePageSize = 1000;

  static constexpr int kDefaultDeadLetterPageSize = 100;
  static constexpr int kMaxDeadLetterPageSize = 1000;

  // Ends every live watch (they finish with OK) and waits for them to go.
  // Call before shutting the server down.
  void StopWatches();

  // Watch bookkeeping, used by the watch reactors.
  struct WatchRegistry {
    absl::Mutex mu;
    int live ABSL_GUARDED_BY(mu) = 0;
    std::atomic<bool> stopping{false};
  };

 private:
  std::shared_ptr<const TriageRules> triage_;
  std::shared_ptr<const RoutingEngine> engine_;
  const QueueStore* queues_;
  const DeadLetterStore* dead_letters_;
  RedisWorkerPool* pool_;
  RedisOptions redis_;
  LifecycleStores lifecycle_;
  absl::TimeZone london_;

  // Runs a lifecycle transition on the pool and answers `response`.
  grpc::ServerUnaryReactor* Transition(grpc::CallbackServerContext* context, const char* method,
                                       FieldViolations violations, TransitionRequest request,
                                       referrals::v1::TransitionResponse* response);

  // The caller of `context` allowed to call `method`; nullopt after
  // finishing `reactor` with the refusal.
  std::optional<Caller> Authorize(grpc::CallbackServerContext* context, const char* method,
                                  grpc::ServerUnaryReactor* reactor) const;
  // The rules' authority id of `queue` ("" for none, or without lifecycle
  // stores).
  std::string QueueAuthority(absl::string_view queue) const;
  // OK unless `caller` is a team and referral `referral_id` is not on a
  // queue of its authority (PERMISSION_DENIED); the record's read errors.
  absl::Status CheckTeamReferral(RedisConnection& connection, const Caller& caller,
                                 const char* method, const std::string& referral_id) const;
  const Authorizer* authorizer_;
  WatchRegistry watches_;
};

}  // namespace referrals

#endif  // SERVICES_ROUTING_ROUTING_SERVICE_H_
