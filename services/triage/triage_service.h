// The gRPC face of triage: a dry run that classifies without storing.
#ifndef SERVICES_TRIAGE_TRIAGE_SERVICE_H_
#define SERVICES_TRIAGE_TRIAGE_SERVICE_H_

#include <memory>

#include "common/service/auth/authorizer.h"
#include "referrals/v1/triage_service.grpc.pb.h"
#include "services/triage/triage_rules.h"

namespace referrals {

class TriageServiceImpl final : public referrals::v1::TriageService::CallbackService {
 public:
  // `authorizer` (not owned; null: open) checks every call's bearer token
  // (UNAUTHENTICATED, PERMISSION_DENIED: see authorizer.h).
  explicit TriageServiceImpl(std::shared_ptr<const TriageRules> rules,
                             const Authorizer* authorizer = nullptr);

  grpc::ServerUnaryReactor* Triage(grpc::CallbackServerContext* context,
                                   const referrals::v1::TriageRequest* request,
                                   referrals::v1::TriageResponse* response) override;

 private:
  std::shared_ptr<const TriageRules> rules_;
  absl::TimeZone london_;
  const Authorizer* authorizer_;
};

}  // namespace referrals

#endif  // SERVICES_TRIAGE_TRIAGE_SERVICE_H_
