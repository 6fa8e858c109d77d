// Intake's metrics, shared by the gRPC and HTTP adapters. Labels carry only
// kinds, field paths, status codes, routes and transports: never personal
// data.
#ifndef SERVICES_INTAKE_INTAKE_METRICS_H_
#define SERVICES_INTAKE_INTAKE_METRICS_H_

#include "absl/status/statusor.h"
#include "common/service/metrics.h"

namespace referrals {

struct IntakeMetrics {
  // {kind}: referrals newly stored.
  CounterFamily* accepted = nullptr;
  // {kind}: retries answered with the referral their request id created.
  CounterFamily* duplicates = nullptr;
  // {first_field}: rejected by validation, by the first bad field's path
  // (without the transport's "referral." prefix, so both transports agree).
  CounterFamily* rejected = nullptr;
  // {code}: submissions the store refused or could not reach (canonical
  // status code name, e.g. "UNAVAILABLE", "ALREADY_EXISTS").
  CounterFamily* store_failures = nullptr;
  // {transport}: seconds from receipt to the answer, every outcome.
  HistogramFamily* submit_latency = nullptr;
  // {method, route, code}: HTTP responses by route template (never a path
  // with an id in it).
  CounterFamily* http_responses = nullptr;

  // Adds the families to `registry`. Errors: ALREADY_EXISTS if called twice
  // on one registry.
  static absl::StatusOr<IntakeMetrics> Create(MetricsRegistry& registry);
};

}  // namespace referrals

#endif  // SERVICES_INTAKE_INTAKE_METRICS_H_
