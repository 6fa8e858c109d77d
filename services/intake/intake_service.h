// The gRPC face of intake: validates, then hands storage to the Redis worker
// pool and answers when the referral is durably stored (or not).
#ifndef SERVICES_INTAKE_INTAKE_SERVICE_H_
#define SERVICES_INTAKE_INTAKE_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "common/domain/referral_validator.h"
#include "common/service/redis_worker_pool.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "services/intake/referral_store.h"
#include "services/triage/triage_rules.h"

namespace referrals {

class IntakeServiceImpl final : public referrals::v1::IntakeService::CallbackService {
 public:
  // `store` and `pool` are not owned and must outlive the service.
  // `clock` gives the current time (tests may fix it). `triage`, when set,
  // gives the signposts returned with an accepted referral at once (the
  // referrer must be told to call 999 now, not after routing); their
  // contacts are the defaults, routing fills in the authority's own.
  IntakeServiceImpl(const ReferralStore* store, RedisWorkerPool* pool,
                    std::function<absl::Time()> clock = absl::Now,
                    ReferralLimits limits = ReferralLimits(),
                    std::shared_ptr<const TriageRules> triage = nullptr);

  grpc::ServerUnaryReactor* SubmitReferral(
      grpc::CallbackServerContext* context,
      const referrals::v1::SubmitReferralRequest* request,
      referrals::v1::SubmitReferralResponse* response) override;

  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* context,
                                        const referrals::v1::GetReferralRequest* request,
                                        referrals::v1::GetReferralResponse* response) override;

 private:
  const ReferralStore* store_;
  RedisWorkerPool* pool_;
  std::function<absl::Time()> clock_;
  ReferralLimits limits_;
  std::shared_ptr<const TriageRules> triage_;
  absl::TimeZone london_;
};

// The correlation id to use for a call: the caller's `x-correlation-id`
// metadata when it is 1..64 printable ASCII characters, otherwise a new one.
std::string CorrelationIdFor(const grpc::CallbackServerContext& context);

}  // namespace referrals

#endif  // SERVICES_INTAKE_INTAKE_SERVICE_H_
