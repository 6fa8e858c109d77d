// The gRPC face of intake: turns SubmitReferral and GetReferral calls into
// ReferralSubmitter calls and their results into gRPC statuses. Validation,
// storage and signposts live in ReferralSubmitter, shared with the HTTP
// adapter.
#ifndef SERVICES_INTAKE_INTAKE_SERVICE_H_
#define SERVICES_INTAKE_INTAKE_SERVICE_H_

#include <string>

#include "common/service/auth/authorizer.h"
#include "common/service/auth/rate_limiter.h"
#include "referrals/v1/intake_service.grpc.pb.h"
#include "services/intake/referral_submitter.h"

namespace referrals {

class IntakeServiceImpl final : public referrals::v1::IntakeService::CallbackService {
 public:
  // `submitter` is not owned and must outlive the service.
  //
  // SubmitReferral reads two optional metadata entries: `x-client-id`, the
  // calling system, which scopes request ids (default "anonymous"; an
  // invalid one is INVALID_ARGUMENT on field "x-client-id"), and
  // `x-correlation-id` (see CorrelationIdFor).
  //
  // Authentication (issue 8): every call is checked by `authorizer` (not
  // owned; null means open) against its table: no or a bad bearer token is
  // UNAUTHENTICATED, a role that may not call the method PERMISSION_DENIED.
  // With an authenticated caller its id is the calling system that scopes
  // request ids, and `x-client-id` is ignored. `limiter` (not owned; null:
  // unlimited) limits submissions per calling system: over the limit is
  // RESOURCE_EXHAUSTED, with trailing metadata `retry-after-ms`.
  explicit IntakeServiceImpl(const ReferralSubmitter* submitter,
                             const Authorizer* authorizer = nullptr,
                             RateLimiter* limiter = nullptr);

  grpc::ServerUnaryReactor* SubmitReferral(
      grpc::CallbackServerContext* context, const referrals::v1::SubmitReferralRequest* request,
      referrals::v1::SubmitReferralResponse* response) override;

  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* context,
                                        const referrals::v1::GetReferralRequest* request,
                                        referrals::v1::GetReferralResponse* response) override;

 private:
  const ReferralSubmitter* submitter_;
  const Authorizer* authorizer_;
  RateLimiter* limiter_;
};

// The correlation id to use for a call: the caller's `x-correlation-id`
// metadata when it is 1..64 printable ASCII characters, otherwise a new one.
std::string CorrelationIdFor(const grpc::CallbackServerContext& context);

}  // namespace referrals

#endif  // SERVICES_INTAKE_INTAKE_SERVICE_H_
