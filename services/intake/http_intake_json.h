// The pure parts of intake's HTTP adapter: header checks and the JSON bodies
// it answers with. No I/O; tested alone.
//
// Error bodies follow the Google JSON error shape:
//   {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "...",
//              "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
//                           "field_violations": [{"field": ..., "description": ...}]}]}}
// Field names are snake_case (the proto names) throughout. No body or error
// message ever echoes a submitted value: values are personal data.
#ifndef SERVICES_INTAKE_HTTP_INTAKE_JSON_H_
#define SERVICES_INTAKE_HTTP_INTAKE_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/domain/field_violation.h"
#include "referrals/v1/record.pb.h"
#include "services/intake/referral_submitter.h"

namespace referrals {

inline constexpr char kClientIdHeader[] = "X-Client-Id";
inline constexpr char kCorrelationIdHeader[] = "X-Correlation-ID";
inline constexpr char kIdempotencyKeyHeader[] = "Idempotency-Key";

// True when the Content-Type's media type is application/json (any case,
// parameters such as charset allowed).
bool IsJsonContentType(absl::string_view content_type);

// What the submit headers say, with one violation per bad header (field =
// the header's name): X-Client-Id optional (default "anonymous"), 1-64 of
// [A-Za-z0-9._-]; Idempotency-Key required, 1-128 printable ASCII without
// spaces (the request_id rules). `client_id` is "anonymous" and
// `idempotency_key` empty when theirs is bad.
struct SubmitHeaders {
  std::string client_id;
  std::string idempotency_key;
  FieldViolations violations;
};
// `client_id`/`idempotency_key` are null when the header is absent.
SubmitHeaders CheckSubmitHeaders(const std::string* client_id, const std::string* idempotency_key);

// {"error": {"code", "status", "message"}}.
std::string ErrorJson(int http_code, absl::string_view status, absl::string_view message);

// The body for an error the HTTP library answers by itself (404 no such
// route, 413 body too large, 400 unreadable request, ...).
std::string LibraryErrorJson(int http_code);

// 400's body: every violation, in order, as a google.rpc.BadRequest detail.
std::string BadRequestJson(const FieldViolations& violations);

// The path of a referral's status: "/v1/referrals/" + id.
std::string ReferralLocation(absl::string_view referral_id);

// 201/200's body: referral_id, duplicate, status (enum name),
// received_time (RFC 3339, UTC), correlation_id, signposts, links.status.
std::string SubmitResultJson(const SubmitResult& result);

// GET's body: the referrer's view of `record` (id, status, received time,
// correlation id, routed_to {outcome, authority_id, authority_name,
// team_name} once routed, signposts, links.self). Leaves out the referral's
// content, the history and the decision's reasoning.
std::string ReferralStatusJson(const referrals::v1::ReferralRecord& record);

}  // namespace referrals

#endif  // SERVICES_INTAKE_HTTP_INTAKE_JSON_H_
