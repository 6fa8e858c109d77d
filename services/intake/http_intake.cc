#include "services/intake/http_intake.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/pipeline/events.h"
#include "common/service/auth/http_auth.h"
#include "common/service/log.h"
#include "google/protobuf/util/json_util.h"
#include "services/intake/caller_identity.h"
#include "services/intake/http_intake_json.h"

namespace referrals {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kSubmitRoute[] = "/v1/referrals";
constexpr char kStatusRoute[] = "/v1/referrals/{id}";

// The route template a path belongs to: never the path itself, which may
// hold an id (metric labels must stay few and free of data).
std::string RouteOf(const std::string& path) {
  if (path == "/v1/referrals") return kSubmitRoute;
  if (absl::StartsWith(path, "/v1/referrals/")) return kStatusRoute;
  if (path == "/metrics" || path == "/healthz") return path;
  return "other";
}

std::string MethodLabel(const std::string& method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return method;
  }
  return "OTHER";
}

const std::string* HeaderOrNull(const httplib::Request& request, const char* name,
                                std::string& storage) {
  if (!request.has_header(name)) return nullptr;
  storage = request.get_header_value(name);
  return &storage;
}

void Reply(httplib::Response& response, int code, std::string body) {
  response.status = code;
  response.set_content(std::move(body), kJson);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpIntake>> HttpIntake::Create(
    const ReferralSubmitter* submitter, MetricsRegistry* registry, const IntakeMetrics* metrics,
    std::function<bool()> redis_reachable, Options options) {
  std::unique_ptr<HttpIntake> intake(
      new HttpIntake(submitter, registry, metrics, std::move(redis_reachable), options));
  HttpIntake* raw = intake.get();
  absl::Status added = registry->AddCallbackGauge(
      "intake_http_submissions_in_flight",
      "HTTP submissions this process is storing now (their keys answer 409).",
      [raw] { return static_cast<double>(raw->in_flight()); });
  if (!added.ok()) return added;
  return intake;
}

HttpIntake::HttpIntake(const ReferralSubmitter* submitter, MetricsRegistry* registry,
                       const IntakeMetrics* metrics, std::function<bool()> redis_reachable,
                       Options options)
    : submitter_(submitter),
      registry_(registry),
      metrics_(metrics),
      redis_reachable_(std::move(redis_reachable)),
      options_(options) {}

void HttpIntake::Register(httplib::Server& server) {
  // Runs before routing and before the body is read, so every response,
  // the library's own 404/413 too, carries the correlation id.
  server.set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
    response.set_header(kCorrelationIdHeader,
                        CorrelationIdOrNew(request.get_header_value(kCorrelationIdHeader)));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Gives the library's bare error responses (404, 413, ...) a JSON body.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (response.body.empty()) {
          Reply(response, response.status, LibraryErrorJson(response.status));
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  // Counted and logged before the response is written (not in set_logger,
  // which runs after): a client that reads /metrics straight after an answer
  // must see that answer counted.
  server.set_post_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        LogResponse(request, response);
      });
  server.Post(kSubmitRoute, [this](const httplib::Request& request, httplib::Response& response) {
    HandleSubmit(request, response);
  });
  server.Get(R"(/v1/referrals/([^/]*))",
             [this](const httplib::Request& request, httplib::Response& response) {
               HandleStatus(request, response);
             });
  server.Get("/healthz", [this](const httplib::Request& request, httplib::Response& response) {
    HandleHealth(request, response);
  });
  server.Get("/metrics", [this](const httplib::Request& request, httplib::Response& response) {
    HandleMetrics(request, response);
  });
}

absl::StatusOr<Caller> HttpIntake::Authorize(const char* method, const httplib::Request& request,
                                             httplib::Response& response) {
  return AuthorizeHttpRequest(options_.authorizer, method, request, response);
}

void HttpIntake::HandleSubmit(const httplib::Request& request, httplib::Response& response) {
  absl::StatusOr<Caller> caller = Authorize(kHttpSubmitReferral, request, response);
  if (!caller.ok()) return;
  if (!IsJsonContentType(request.get_header_value("Content-Type"))) {
    Reply(response, 415,
          ErrorJson(415, "UNSUPPORTED_MEDIA_TYPE",
                    "the body must be a referrals.v1.Referral in protobuf JSON, "
                    "Content-Type: application/json"));
    return;
  }
  std::string client_storage;
  std::string key_storage;
  SubmitHeaders headers = CheckSubmitHeaders(
      caller->authenticated ? nullptr  // the token says who calls: X-Client-Id is ignored
                            : HeaderOrNull(request, kClientIdHeader, client_storage),
      HeaderOrNull(request, kIdempotencyKeyHeader, key_storage));
  if (caller->authenticated) headers.client_id = caller->id;
  if (options_.limiter != nullptr) {
    const absl::Duration wait = options_.limiter->TryAcquire(headers.client_id);
    if (wait > absl::ZeroDuration()) {
      response.set_header("Retry-After",
                          absl::StrCat(std::max<int64_t>(
                              1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))))));
      Reply(response, 429,
            ErrorJson(429, "RESOURCE_EXHAUSTED",
                      "submission rate limit reached for this caller; retry after Retry-After "
                      "seconds"));
      return;
    }
  }

  SubmitRequest submit;
  submit.transport = "http";
  submit.field_prefix = "";
  // Set by the pre-routing hook; checked again so the events never carry an
  // empty or unchecked id.
  submit.correlation_id = CorrelationIdOrNew(response.get_header_value(kCorrelationIdHeader));
  response.headers.erase(kCorrelationIdHeader);  // a multimap: replace, not add
  response.set_header(kCorrelationIdHeader, submit.correlation_id);
  submit.client_id = headers.client_id;
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(request.body, &submit.referral, parse_options)
           .ok()) {
    // The parser's message can quote the input: say only what is wrong.
    FieldViolations violations = std::move(headers.violations);
    violations.push_back({"body",
                          "is not a referrals.v1.Referral in protobuf JSON (malformed JSON, an "
                          "unknown field, or a value of the wrong type)"});
    if (metrics_ != nullptr) metrics_->rejected->WithLabels({violations[0].field}).Increment();
    Log(LogLevel::kInfo, "referral_rejected",
        {{"correlation_id", submit.correlation_id},
         {"transport", "http"},
         {"violations", absl::StrCat(violations.size())},
         {"first_field", violations[0].field}});
    Reply(response, 400, BadRequestJson(violations));
    return;
  }
  if (!headers.idempotency_key.empty()) {
    if (submit.referral.request_id().empty()) {
      submit.referral.set_request_id(headers.idempotency_key);
    } else if (submit.referral.request_id() != headers.idempotency_key) {
      headers.violations.push_back({"request_id", "must equal the Idempotency-Key header"});
    }
  } else if (submit.referral.request_id().empty()) {
    // The header's own violation says it; keep the validator from adding
    // "request_id is required" for the same fault. Nothing is stored: the
    // header violation rejects the request.
    submit.referral.set_request_id("-");
  }
  const bool rejected_already = !headers.violations.empty();
  submit.transport_violations = std::move(headers.violations);

  InFlightKeys::Claim claim;
  if (!rejected_already) {
    claim = in_flight_.TryClaim(absl::StrCat(submit.client_id, "\n", headers.idempotency_key));
    if (!claim.held()) {
      response.set_header("Retry-After", absl::StrCat(options_.in_flight_retry_after_seconds));
      Reply(response, 409,
            ErrorJson(409, "ABORTED",
                      "a request with this Idempotency-Key is still being stored; retry it "
                      "after Retry-After seconds"));
      return;
    }
  }

  absl::Notification done;
  SubmitResult result;
  submitter_->Submit(std::move(submit), [&result, &done](SubmitResult answer) {
    result = std::move(answer);
    done.Notify();
  });
  done.WaitForNotification();

  if (!result.violations.empty()) {
    Reply(response, 400, BadRequestJson(result.violations));
    return;
  }
  switch (result.status.code()) {
    case absl::StatusCode::kOk:
      response.set_header("Location", ReferralLocation(result.outcome.referral_id));
      Reply(response, result.outcome.duplicate ? 200 : 201, SubmitResultJson(result));
      return;
    case absl::StatusCode::kAlreadyExists:
      Reply(response, 422,
            ErrorJson(422, "ALREADY_EXISTS",
                      "this Idempotency-Key was already used with a different body; use a new "
                      "key for a new referral"));
      return;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnknown:
      response.set_header("Retry-After", absl::StrCat(options_.unavailable_retry_after_seconds));
      Reply(response, 503,
            ErrorJson(503, "UNAVAILABLE",
                      "the referral store is unavailable; the referral may not have been "
                      "stored: retry with the same Idempotency-Key"));
      return;
    default:
      Reply(response, 500, ErrorJson(500, "INTERNAL", "internal error"));
      return;
  }
}

void HttpIntake::HandleStatus(const httplib::Request& request, httplib::Response& response) {
  absl::StatusOr<Caller> caller = Authorize(kHttpGetReferralStatus, request, response);
  if (!caller.ok()) return;
  const std::string id = request.matches.size() > 1 ? std::string(request.matches[1]) : "";
  if (!IsWellFormedReferralId(id)) {
    Reply(response, 400,
          BadRequestJson({{"referral_id", id.empty() ? "is required"
                                                     : "is not a referral id (expected "
                                                       "R-YYYYMMDD-xxxxxxxxxxxx)"}}));
    return;
  }
  absl::Notification done;
  absl::StatusOr<referrals::v1::ReferralRecord> record = absl::UnknownError("not answered");
  auto answered = [&record, &done](absl::StatusOr<referrals::v1::ReferralRecord> answer) {
    record = std::move(answer);
    done.Notify();
  };
  // A submitter sees only its own referrals; another's is 404 like an
  // unknown id (a 403 would confirm the id exists). Staff see all.
  const bool submitter = caller->authenticated && caller->role == Role::kSubmitter;
  if (submitter) {
    submitter_->GetSubmittedBy(id, caller->id, std::move(answered));
  } else {
    submitter_->Get(id, std::move(answered));
  }
  done.WaitForNotification();
  if (submitter && absl::IsNotFound(record.status())) {
    Authorizer::LogRefusal(kHttpGetReferralStatus, caller->id,
                           "not its referral, or no such referral (answered 404)");
  }
  if (record.ok()) {
    Reply(response, 200, ReferralStatusJson(*record));
    return;
  }
  switch (record.status().code()) {
    case absl::StatusCode::kNotFound:
      Reply(response, 404, ErrorJson(404, "NOT_FOUND", "no referral has this id"));
      return;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      response.set_header("Retry-After", absl::StrCat(options_.unavailable_retry_after_seconds));
      Reply(response, 503,
            ErrorJson(503, "UNAVAILABLE", "the referral store is unavailable; retry later"));
      return;
    default:
      Reply(response, 500, ErrorJson(500, "INTERNAL", "internal error"));
      return;
  }
}

void HttpIntake::HandleHealth(const httplib::Request&, httplib::Response& response) {
  if (redis_reachable_()) {
    Reply(response, 200, R"({"status":"SERVING"})");
  } else {
    Reply(response, 503, R"({"status":"NOT_SERVING"})");
  }
}

void HttpIntake::HandleMetrics(const httplib::Request& request, httplib::Response& response) {
  if (!Authorize(kHttpMetrics, request, response).ok()) return;
  response.set_content(registry_->Render(), kPrometheusContentType);
}

void HttpIntake::LogResponse(const httplib::Request& request, const httplib::Response& response) {
  const std::string route = RouteOf(request.path);
  if (metrics_ != nullptr) {
    metrics_->http_responses
        ->WithLabels({MethodLabel(request.method), route, absl::StrCat(response.status)})
        .Increment();
  }
  if (route == "/metrics" || route == "/healthz") return;
  std::string referral_id;
  const std::string location = response.get_header_value("Location");
  if (absl::StartsWith(location, "/v1/referrals/")) {
    referral_id = location.substr(sizeof("/v1/referrals/") - 1);
  } else if (route == kStatusRoute && request.matches.size() > 1 &&
             IsWellFormedReferralId(std::string(request.matches[1]))) {
    referral_id = request.matches[1];
  }
  Log(response.status >= 500 ? LogLevel::kWarning : LogLevel::kInfo, "http_response",
      {{"method", MethodLabel(request.method)},
       {"route", route},
       {"code", absl::StrCat(response.status)},
       {"referral_id", referral_id},
       {"correlation_id", response.get_header_value(kCorrelationIdHeader)}});
}

}  // namespace referrals
