#include "services/intake/referral_submitter.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pipeline/events.h"
#include "common/service/log.h"

namespace referrals {
namespace {

// A field path without the transport's prefix, for metric labels.
std::string UnprefixedField(const std::string& field, const std::string& prefix) {
  if (!prefix.empty() && absl::StartsWith(field, prefix + ".")) {
    return field.substr(prefix.size() + 1);
  }
  return field;
}

std::string KindLabel(referrals::v1::ReferralKind kind) {
  return referrals::v1::ReferralKind_IsValid(kind) ? referrals::v1::ReferralKind_Name(kind)
                                                   : "UNKNOWN";
}

}  // namespace

ReferralSubmitter::ReferralSubmitter(const ReferralStore* store, RedisWorkerPool* pool,
                                     std::function<absl::Time()> clock, ReferralLimits limits,
                                     std::shared_ptr<const TriageRules> triage,
                                     const IntakeMetrics* metrics)
    : store_(store),
      pool_(pool),
      clock_(std::move(clock)),
      limits_(limits),
      triage_(std::move(triage)),
      metrics_(metrics) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) london_ = absl::UTCTimeZone();
}

void ReferralSubmitter::Submit(SubmitRequest request, SubmitDone done) const {
  const absl::Time started = absl::Now();
  // Whole microseconds, as the record stores it: the events and the record
  // must carry the same receipt time, or decisions cannot be reproduced.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_()));
  FieldViolations violations = std::move(request.transport_violations);
  for (FieldViolation& violation : ValidateReferral(
           request.referral, absl::ToCivilDay(now, london_), request.field_prefix, limits_)) {
    violations.push_back(std::move(violation));
  }
  if (!violations.empty()) {
    const std::string first = UnprefixedField(violations[0].field, request.field_prefix);
    Log(LogLevel::kInfo, "referral_rejected",
        {{"correlation_id", request.correlation_id},
         {"transport", request.transport},
         {"violations", absl::StrCat(violations.size())},
         {"first_field", first}});
    if (metrics_ != nullptr) {
      metrics_->rejected->WithLabels({first}).Increment();
      metrics_->submit_latency->WithLabels({request.transport})
          .Observe(absl::ToDoubleSeconds(absl::Now() - started));
    }
    SubmitResult result;
    result.status = absl::InvalidArgumentError("the referral is not valid");
    result.violations = std::move(violations);
    std::move(done)(std::move(result));
    return;
  }

  NewReferral referral;
  referral.referral_id = NewReferralId(now);
  referral.client_id = std::move(request.client_id);
  referral.correlation_id = std::move(request.correlation_id);
  referral.received_time = now;
  referral.referral = std::move(request.referral);

  pool_->Submit([this, started, transport = std::move(request.transport),
                 referral = std::move(referral),
                 done = std::move(done)](absl::StatusOr<RedisConnection*> connection) mutable {
    absl::StatusOr<SubmitOutcome> outcome =
        connection.ok() ? store_->Submit(**connection, referral)
                        : absl::StatusOr<SubmitOutcome>(connection.status());
    SubmitResult result;
    const std::string kind = KindLabel(referral.referral.kind());
    if (!outcome.ok()) {
      Log(LogLevel::kWarning, "referral_store_failed",
          {{"correlation_id", referral.correlation_id},
           {"transport", transport},
           {"code", absl::StatusCodeToString(outcome.status().code())},
           {"error", std::string(outcome.status().message())}});
      if (metrics_ != nullptr) {
        metrics_->store_failures->WithLabels({absl::StatusCodeToString(outcome.status().code())})
            .Increment();
      }
      result.status = outcome.status();
    } else {
      result.outcome = *std::move(outcome);
      if (triage_ != nullptr) {
        // Pure and fast; the same rules version triage will use (receipt
        // time).
        referrals::v1::TriageResult triaged =
            triage_->Classify(referral.referral, result.outcome.received_time);
        result.signposts = triaged.signposts();
      }
      Log(LogLevel::kInfo, result.outcome.duplicate ? "referral_duplicate" : "referral_accepted",
          {{"referral_id", result.outcome.referral_id},
           {"correlation_id", result.outcome.correlation_id},
           {"transport", transport},
           {"kind", kind}});
      if (metrics_ != nullptr) {
        (result.outcome.duplicate ? metrics_->duplicates : metrics_->accepted)
            ->WithLabels({kind})
            .Increment();
      }
    }
    if (metrics_ != nullptr) {
      metrics_->submit_latency->WithLabels({transport})
          .Observe(absl::ToDoubleSeconds(absl::Now() - started));
    }
    std::move(done)(std::move(result));
  });
}

void ReferralSubmitter::Get(std::string referral_id, GetDone done) const {
  if (!IsWellFormedReferralId(referral_id)) {
    std::move(done)(absl::InvalidArgumentError(
        referral_id.empty()
            ? "referral_id is required"
            : "referral_id is not a referral id (expected R-YYYYMMDD-xxxxxxxxxxxx)"));
    return;
  }
  pool_->Submit([this, id = std::move(referral_id),
                 done = std::move(done)](absl::StatusOr<RedisConnection*> connection) mutable {
    std::move(done)(connection.ok()
                        ? store_->Get(**connection, id)
                        : absl::StatusOr<referrals::v1::ReferralRecord>(connection.status()));
  });
}

void ReferralSubmitter::GetSubmittedBy(std::string referral_id, std::string client_id,
                                       GetDone done) const {
  if (!IsWellFormedReferralId(referral_id)) {
    Get(std::move(referral_id), std::move(done));  // the same INVALID_ARGUMENT
    return;
  }
  pool_->Submit([this, id = std::move(referral_id), client_id = std::move(client_id),
                 done = std::move(done)](absl::StatusOr<RedisConnection*> connection) mutable {
    if (!connection.ok()) {
      std::move(done)(connection.status());
      return;
    }
    absl::StatusOr<referrals::v1::ReferralRecord> record = store_->Get(**connection, id);
    if (!record.ok()) {
      std::move(done)(std::move(record));
      return;
    }
    absl::StatusOr<RedisReply> claimed =
        (*connection)
            ->Command({"HGET",
                       store_->keys().Idempotency(client_id, record->referral().request_id()),
                       "referral_id"});
    if (!claimed.ok()) {
      std::move(done)(claimed.status());
      return;
    }
    if (!claimed->is_string() || claimed->str != id) {
      std::move(done)(absl::NotFoundError("no referral has this id"));
      return;
    }
    std::move(done)(std::move(record));
  });
}

}  // namespace referrals
