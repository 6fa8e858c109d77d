#include "services/intake/http_intake_json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/pipeline/events.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "services/intake/caller_identity.h"

namespace referrals {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

google::protobuf::util::JsonPrintOptions PrintOptions() {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  return options;
}

Value StringValue(absl::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  return value;
}

Value NumberValue(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

Value BoolValue(bool flag) {
  Value value;
  value.set_bool_value(flag);
  return value;
}

// A message as a JSON value (through its canonical JSON mapping).
Value MessageValue(const google::protobuf::Message& message) {
  std::string json;
  Value value;
  if (google::protobuf::util::MessageToJsonString(message, &json, PrintOptions()).ok()) {
    // Printed by the same library from a valid message: cannot fail.
    (void)google::protobuf::util::JsonStringToMessage(json, &value);
  }
  return value;
}

std::string ToJson(const Struct& object) {
  std::string json;
  // A Struct always prints.
  (void)google::protobuf::util::MessageToJsonString(object, &json, PrintOptions());
  return json;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

Value SignpostList(const google::protobuf::RepeatedPtrField<referrals::v1::Signpost>& signposts) {
  Value list;
  list.mutable_list_value();
  for (const referrals::v1::Signpost& signpost : signposts) {
    *list.mutable_list_value()->add_values() = MessageValue(signpost);
  }
  return list;
}

bool IsValidIdempotencyKey(absl::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

bool IsJsonContentType(absl::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  absl::string_view media = content_type.substr(0, semicolon);
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(media)) == "application/json";
}

SubmitHeaders CheckSubmitHeaders(const std::string* client_id, const std::string* idempotency_key) {
  SubmitHeaders headers;
  headers.client_id = kAnonymousClient;
  if (client_id != nullptr) {
    if (IsValidClientId(*client_id)) {
      headers.client_id = *client_id;
    } else {
      headers.violations.push_back(
          {kClientIdHeader, "must be 1-64 characters from A-Z, a-z, 0-9, '.', '_' and '-'"});
    }
  }
  if (idempotency_key == nullptr || idempotency_key->empty()) {
    headers.violations.push_back(
        {kIdempotencyKeyHeader,
         "is required: the portal's id for this submission, the same on every retry"});
  } else if (!IsValidIdempotencyKey(*idempotency_key)) {
    headers.violations.push_back(
        {kIdempotencyKeyHeader, "must be 1-128 printable ASCII characters without spaces"});
  } else {
    headers.idempotency_key = *idempotency_key;
  }
  return headers;
}

std::string ErrorJson(int http_code, absl::string_view status, absl::string_view message) {
  Struct error;
  (*error.mutable_fields())["code"] = NumberValue(http_code);
  (*error.mutable_fields())["status"] = StringValue(status);
  (*error.mutable_fields())["message"] = StringValue(message);
  Struct body;
  *(*body.mutable_fields())["error"].mutable_struct_value() = std::move(error);
  return ToJson(body);
}

std::string LibraryErrorJson(int http_code) {
  switch (http_code) {
    case 404:
      return ErrorJson(404, "NOT_FOUND", "no such resource");
    case 405:
      return ErrorJson(405, "METHOD_NOT_ALLOWED", "method not allowed on this resource");
    case 413:
      return ErrorJson(413, "PAYLOAD_TOO_LARGE", "the body is larger than this service accepts");
    case 414:
      return ErrorJson(414, "URI_TOO_LONG", "the request line is too long");
    case 400:
      return ErrorJson(400, "BAD_REQUEST", "the request could not be read");
    default:
      return ErrorJson(http_code, http_code >= 500 ? "INTERNAL" : "FAILED_PRECONDITION",
                       "the request could not be served");
  }
}

std::string BadRequestJson(const FieldViolations& violations) {
  google::rpc::BadRequest bad_request;
  std::string message = "the referral is not valid:";
  for (size_t i = 0; i < violations.size(); ++i) {
    google::rpc::BadRequest::FieldViolation* out = bad_request.add_field_violations();
    out->set_field(violations[i].field);
    out->set_description(violations[i].description);
    absl::StrAppend(&message, i == 0 ? " " : "; ", violations[i].field, " ",
                    violations[i].description);
  }
  google::protobuf::Any any;
  any.PackFrom(bad_request);
  Struct error;
  (*error.mutable_fields())["code"] = NumberValue(400);
  (*error.mutable_fields())["status"] = StringValue("INVALID_ARGUMENT");
  (*error.mutable_fields())["message"] = StringValue(message);
  *(*error.mutable_fields())["details"].mutable_list_value()->add_values() = MessageValue(any);
  Struct body;
  *(*body.mutable_fields())["error"].mutable_struct_value() = std::move(error);
  return ToJson(body);
}

std::string ReferralLocation(absl::string_view referral_id) {
  return absl::StrCat("/v1/referrals/", referral_id);
}

std::string SubmitResultJson(const SubmitResult& result) {
  Struct body;
  auto& fields = *body.mutable_fields();
  fields["referral_id"] = StringValue(result.outcome.referral_id);
  fields["duplicate"] = BoolValue(result.outcome.duplicate);
  fields["status"] = StringValue(referrals::v1::ReferralStatus_Name(result.outcome.status));
  fields["received_time"] = StringValue(Rfc3339(result.outcome.received_time));
  fields["correlation_id"] = StringValue(result.outcome.correlation_id);
  fields["signposts"] = SignpostList(result.signposts);
  Struct links;
  (*links.mutable_fields())["status"] = StringValue(ReferralLocation(result.outcome.referral_id));
  *fields["links"].mutable_struct_value() = std::move(links);
  return ToJson(body);
}

std::string ReferralStatusJson(const referrals::v1::ReferralRecord& record) {
  Struct body;
  auto& fields = *body.mutable_fields();
  fields["referral_id"] = StringValue(record.referral_id());
  fields["status"] = StringValue(referrals::v1::ReferralStatus_Name(record.status()));
  fields["received_time"] = StringValue(Rfc3339(FromTimestamp(record.received_time())));
  fields["correlation_id"] = StringValue(record.correlation_id());
  if (record.has_decision()) {
    const referrals::v1::RoutingDecision& decision = record.decision();
    Struct routed;
    auto& to = *routed.mutable_fields();
    to["outcome"] = StringValue(referrals::v1::RoutingOutcome_Name(decision.outcome()));
    to["authority_id"] = StringValue(decision.authority_id());
    to["authority_name"] = StringValue(decision.authority_name());
    to["team_name"] = StringValue(decision.team_name());
    *fields["routed_to"].mutable_struct_value() = std::move(routed);
    fields["signposts"] = SignpostList(decision.signposts());
  } else {
    fields["signposts"] = SignpostList(record.triage().signposts());
  }
  // What the receiving team did (accepted, redirected, rejected with its
  // coded reason, completed, cancelled), in order: never who did it or the
  // comment, which may name people.
  Value steps;
  for (const referrals::v1::StageEntry& entry : record.history()) {
    if (entry.stage() != referrals::v1::STAGE_LIFECYCLE) continue;
    Struct step;
    auto& step_fields = *step.mutable_fields();
    step_fields["action"] = StringValue(referrals::v1::LifecycleAction_Name(entry.action()));
    step_fields["time"] = StringValue(Rfc3339(FromTimestamp(entry.time())));
    step_fields["status"] = StringValue(referrals::v1::ReferralStatus_Name(entry.status()));
    if (entry.action() == referrals::v1::LIFECYCLE_ACTION_REJECT) {
      step_fields["reject_reason"] =
          StringValue(referrals::v1::RejectReason_Name(entry.reject_reason()));
    }
    *steps.mutable_list_value()->add_values()->mutable_struct_value() = std::move(step);
  }
  if (steps.has_list_value()) fields["team_actions"] = std::move(steps);
  Struct links;
  (*links.mutable_fields())["self"] = StringValue(ReferralLocation(record.referral_id()));
  *fields["links"].mutable_struct_value() = std::move(links);
  return ToJson(body);
}

}  // namespace referrals
