#include "services/triage/triage_service.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/domain/referral_validator.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/grpc_status.h"

namespace referrals {

TriageServiceImpl::TriageServiceImpl(std::shared_ptr<const TriageRules> rules,
                                     const Authorizer* authorizer)
    : rules_(std::move(rules)), authorizer_(authorizer) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

grpc::ServerUnaryReactor* TriageServiceImpl::Triage(grpc::CallbackServerContext* context,
                                                    const referrals::v1::TriageRequest* request,
                                                    referrals::v1::TriageResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<Caller> caller = AuthorizeCall(authorizer_, *context, "TriageService/Triage");
      !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  FieldViolations violations =
      request->has_referral()
          ? ValidateReferral(request->referral(), absl::ToCivilDay(absl::Now(), london_))
          : FieldViolations{{"referral", "is required"}};
  if (!violations.empty()) {
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }
  // Pure and fast: answered on the gRPC thread.
  *response->mutable_result() = rules_->Classify(request->referral(), absl::Now());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace referrals
