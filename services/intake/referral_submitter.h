// Intake's submit and read paths apart from any transport: validation, the
// atomic store, the signposts returned at once, and the metrics and log lines
// of each outcome. The gRPC adapter (intake_service) and the HTTP adapter
// (http_intake) both call this; neither validates or stores on its own.
#ifndef SERVICES_INTAKE_REFERRAL_SUBMITTER_H_
#define SERVICES_INTAKE_REFERRAL_SUBMITTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/domain/field_violation.h"
#include "common/domain/referral_validator.h"
#include "common/service/redis_worker_pool.h"
#include "referrals/v1/decision.pb.h"
#include "referrals/v1/record.pb.h"
#include "referrals/v1/referral.pb.h"
#include "services/intake/intake_metrics.h"
#include "services/intake/referral_store.h"
#include "services/triage/triage_rules.h"

namespace referrals {

struct SubmitRequest {
  referrals::v1::Referral referral;
  std::string client_id = "anonymous";  // valid (caller_identity.h)
  std::string correlation_id;           // valid, or minted by the adapter
  // Where the referral sits in the transport's request, for field paths:
  // "referral" for gRPC (SubmitReferralRequest.referral), "" for HTTP (the
  // body is the referral).
  std::string field_prefix = "referral";
  // Problems the adapter found outside the referral (headers, metadata),
  // reported first, together with the referral's own.
  FieldViolations transport_violations;
  std::string transport = "grpc";  // metric label: "grpc" or "http"
};

struct SubmitResult {
  // OK; INVALID_ARGUMENT (then `violations` lists every problem, in order);
  // ALREADY_EXISTS (request id reused by this client with other content);
  // RESOURCE_EXHAUSTED (Redis out of memory); UNAVAILABLE or
  // DEADLINE_EXCEEDED (outcome unknown: retry with the same request id);
  // DATA_LOSS / INTERNAL (a corrupt store).
  absl::Status status;
  FieldViolations violations;
  SubmitOutcome outcome;  // when OK
  // When OK and triage rules were given: the signposts for the referrer now
  // (default contacts; routing fills in the authority's own later).
  google::protobuf::RepeatedPtrField<referrals::v1::Signpost> signposts;
};

class ReferralSubmitter {
 public:
  using SubmitDone = absl::AnyInvocable<void(SubmitResult) &&>;
  using GetDone = absl::AnyInvocable<void(absl::StatusOr<referrals::v1::ReferralRecord>) &&>;

  // `store`, `pool` and `metrics` are not owned and must outlive this;
  // `metrics` may be null (no metrics). `clock` gives the current time.
  // `triage`, when set, gives the signposts returned on acceptance.
  ReferralSubmitter(const ReferralStore* store, RedisWorkerPool* pool,
                    std::function<absl::Time()> clock = absl::Now,
                    ReferralLimits limits = ReferralLimits(),
                    std::shared_ptr<const TriageRules> triage = nullptr,
                    const IntakeMetrics* metrics = nullptr);

  // Validates the referral; if it is invalid (or the adapter reported
  // violations) calls `done` at once, on this thread, with INVALID_ARGUMENT.
  // Otherwise stores it on a pool thread and calls `done` there with the
  // outcome. `done` is called exactly once. Thread-safe.
  void Submit(SubmitRequest request, SubmitDone done) const;

  // Reads a referral's record. `done` gets INVALID_ARGUMENT at once for a
  // malformed id, else (on a pool thread) the record, NOT_FOUND, DATA_LOSS
  // or a Redis error. Thread-safe.
  void Get(std::string referral_id, GetDone done) const;

  // Get for a referrer: the record only when `client_id` submitted it (its
  // request id, in `client_id`'s scope, names this referral: the ownership
  // check routing's GetReferralOutcome makes). Someone else's referral is
  // NOT_FOUND, exactly as a missing one, so ids cannot be probed. Errors:
  // those of Get. Thread-safe.
  void GetSubmittedBy(std::string referral_id, std::string client_id, GetDone done) const;

 private:
  const ReferralStore* store_;
  RedisWorkerPool* pool_;
  std::function<absl::Time()> clock_;
  ReferralLimits limits_;
  std::shared_ptr<const TriageRules> triage_;
  const IntakeMetrics* metrics_;
  absl::TimeZone london_;
};

}  // namespace referrals

#endif  // SERVICES_INTAKE_REFERRAL_SUBMITTER_H_
