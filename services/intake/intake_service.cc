#include "services/intake/intake_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/service/auth/grpc_auth.h"
#include "common/service/grpc_status.h"
#include "services/intake/caller_identity.h"

namespace referrals {
namespace {

// Redis failures the caller can safely retry with the same request id.
grpc::Status StoreFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kDataLoss:
      return ToGrpcStatus(status);
    default:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the referral store is unavailable; the referral may not have been "
                          "stored: retry with the same request_id");
  }
}

// A read's failures: the record's own state passes through (NOT_FOUND, a key
// the key file lacks, data that does not open); anything else is Redis.
grpc::Status ReadFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
      return ToGrpcStatus(status);
    default:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the referral store is unavailable; retry later");
  }
}

std::string MetadataValue(const grpc::CallbackServerContext& context, const char* key,
                          bool* present) {
  auto found = context.client_metadata().find(key);
  *present = found != context.client_metadata().end();
  return *present ? std::string(found->second.data(), found->second.size()) : std::string();
}

}  // namespace

std::string CorrelationIdFor(const grpc::CallbackServerContext& context) {
  bool present = false;
  return CorrelationIdOrNew(MetadataValue(context, "x-correlation-id", &present));
}

IntakeServiceImpl::IntakeServiceImpl(const ReferralSubmitter* submitter,
                                     const Authorizer* authorizer, RateLimiter* limiter)
    : submitter_(submitter), authorizer_(authorizer), limiter_(limiter) {}

grpc::ServerUnaryReactor* IntakeServiceImpl::SubmitReferral(
    grpc::CallbackServerContext* context, const referrals::v1::SubmitReferralRequest* request,
    referrals::v1::SubmitReferralResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      AuthorizeCall(authorizer_, *context, "IntakeService/SubmitReferral");
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  SubmitRequest submit;
  submit.transport = "grpc";
  submit.field_prefix = "referral";
  submit.correlation_id = CorrelationIdFor(*context);
  bool has_client = false;
  std::string client_id = MetadataValue(*context, "x-client-id", &has_client);
  if (caller->authenticated) {
    submit.client_id = caller->id;  // the token says who calls; x-client-id is ignored
  } else if (!has_client) {
    submit.client_id = kAnonymousClient;
  } else if (IsValidClientId(client_id)) {
    submit.client_id = std::move(client_id);
  } else {
    submit.transport_violations.push_back(
        {"x-client-id", "must be 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'"});
  }
  if (limiter_ != nullptr && submit.transport_violations.empty()) {
    const absl::Duration wait = limiter_->TryAcquire(submit.client_id);
    if (wait > absl::ZeroDuration()) {
      const int64_t wait_ms = absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
      context->AddTrailingMetadata("retry-after-ms", absl::StrCat(wait_ms));
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   absl::StrCat("submission rate limit reached for this caller; "
                                                "retry after ",
                                                wait_ms, " ms")));
      return reactor;
    }
  }
  if (request->has_referral()) {
    submit.referral = request->referral();
  } else {
    submit.transport_violations.push_back({"referral", "is required"});
    // Validation of the empty referral would add one line per required
    // field; "referral is required" says it all.
    reactor->Finish(InvalidArgumentStatus(submit.transport_violations));
    return reactor;
  }

  submitter_->Submit(std::move(submit), [reactor, response](SubmitResult result) {
    if (!result.violations.empty()) {
      reactor->Finish(InvalidArgumentStatus(result.violations));
      return;
    }
    if (!result.status.ok()) {
      reactor->Finish(StoreFailure(result.status));
      return;
    }
    response->set_referral_id(result.outcome.referral_id);
    response->set_duplicate(result.outcome.duplicate);
    response->set_status(result.outcome.status);
    *response->mutable_received_time() = ToTimestamp(result.outcome.received_time);
    response->set_correlation_id(result.outcome.correlation_id);
    *response->mutable_signposts() = std::move(result.signposts);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* IntakeServiceImpl::GetReferral(
    grpc::CallbackServerContext* context, const referrals::v1::GetReferralRequest* request,
    referrals::v1::GetReferralResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<Caller> caller =
          AuthorizeCall(authorizer_, *context, "IntakeService/GetReferral");
      !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (!IsWellFormedReferralId(request->referral_id())) {
    reactor->Finish(InvalidArgumentStatus(
        {{"referral_id", request->referral_id().empty()
                             ? "is required"
                             : "is not a referral id (expected R-YYYYMMDD-xxxxxxxxxxxx)"}}));
    return reactor;
  }
  submitter_->Get(request->referral_id(),
                  [reactor, response](absl::StatusOr<referrals::v1::ReferralRecord> record) {
                    if (!record.ok()) {
                      reactor->Finish(ReadFailure(record.status()));
                      return;
                    }
                    *response->mutable_referral() = *std::move(record);
                    reactor->Finish(grpc::Status::OK);
                  });
  return reactor;
}

}  // namespace referrals
