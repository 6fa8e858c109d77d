#include "services/intake/intake_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/service/grpc_status.h"
#include "common/service/log.h"

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

}  // namespace

std::string CorrelationIdFor(const grpc::CallbackServerContext& context) {
  auto found = context.client_metadata().find("x-correlation-id");
  if (found != context.client_metadata().end()) {
    const std::string value(found->second.data(), found->second.size());
    bool printable = !value.empty() && value.size() <= 64;
    for (char c : value) printable &= (c > 0x20 && c < 0x7f);
    if (printable) return value;
  }
  return NewRandomId("C-");
}

IntakeServiceImpl::IntakeServiceImpl(const ReferralStore* store, RedisWorkerPool* pool,
                                     std::function<absl::Time()> clock, ReferralLimits limits,
                                     std::shared_ptr<const TriageRules> triage)
    : store_(store),
      pool_(pool),
      clock_(std::move(clock)),
      limits_(limits),
      triage_(std::move(triage)) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

grpc::ServerUnaryReactor* IntakeServiceImpl::SubmitReferral(
    grpc::CallbackServerContext* context, const referrals::v1::SubmitReferralRequest* request,
    referrals::v1::SubmitReferralResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Whole microseconds, as the record stores it: the events and the record
  // must carry the same receipt time, or decisions cannot be reproduced.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_()));
  FieldViolations violations = request->has_referral()
                                   ? ValidateReferral(request->referral(),
                                                      absl::ToCivilDay(now, london_), "referral",
                                                      limits_)
                                   : FieldViolations{{"referral", "is required"}};
  if (!violations.empty()) {
    Log(LogLevel::kInfo, "referral_rejected",
        {{"violations", absl::StrCat(violations.size())}, {"first_field", violations[0].field}});
    reactor->Finish(InvalidArgumentStatus(violations));
    return reactor;
  }

  NewReferral referral;
  referral.referral_id = NewReferralId(now);
  referral.correlation_id = CorrelationIdFor(*context);
  referral.received_time = now;
  referral.referral = request->referral();

  pool_->Submit([this, reactor, response, referral = std::move(referral)](
                    absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<SubmitOutcome> outcome =
        connection.ok() ? store_->Submit(**connection, referral)
                        : absl::StatusOr<SubmitOutcome>(connection.status());
    if (!outcome.ok()) {
      Log(LogLevel::kWarning, "referral_store_failed",
          {{"correlation_id", referral.correlation_id},
           {"error", std::string(outcome.status().message())}});
      reactor->Finish(StoreFailure(outcome.status()));
      return;
    }
    response->set_referral_id(outcome->referral_id);
    response->set_duplicate(outcome->duplicate);
    response->set_status(outcome->status);
    *response->mutable_received_time() = ToTimestamp(outcome->received_time);
    response->set_correlation_id(outcome->correlation_id);
    if (triage_ != nullptr) {
      // Pure and fast; the same rules version triage will use (receipt time).
      referrals::v1::TriageResult triaged =
          triage_->Classify(referral.referral, outcome->received_time);
      *response->mutable_signposts() = triaged.signposts();
    }
    Log(LogLevel::kInfo, outcome->duplicate ? "referral_duplicate" : "referral_accepted",
        {{"referral_id", outcome->referral_id},
         {"correlation_id", outcome->correlation_id},
         {"kind", referrals::v1::ReferralKind_Name(referral.referral.kind())}});
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* IntakeServiceImpl::GetReferral(
    grpc::CallbackServerContext* context, const referrals::v1::GetReferralRequest* request,
    referrals::v1::GetReferralResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!IsWellFormedReferralId(request->referral_id())) {
    reactor->Finish(InvalidArgumentStatus(
        {{"referral_id", request->referral_id().empty()
                             ? "is required"
                             : "is not a referral id (expected R-YYYYMMDD-xxxxxxxxxxxx)"}}));
    return reactor;
  }
  pool_->Submit([this, reactor, response, id = request->referral_id()](
                    absl::StatusOr<RedisConnection*> connection) {
    absl::StatusOr<referrals::v1::ReferralRecord> record =
        connection.ok() ? store_->Get(**connection, id)
                        : absl::StatusOr<referrals::v1::ReferralRecord>(connection.status());
    if (!record.ok()) {
      reactor->Finish(StoreFailure(record.status()));
      return;
    }
    *response->mutable_referral() = *std::move(record);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace referrals
