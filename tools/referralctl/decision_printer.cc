#include "tools/referralctl/decision_printer.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/struct.pb.h"

namespace referrals {
namespace {

using referrals::v1::LocationResolution;

std::string Time(const google::protobuf::Timestamp& timestamp) {
  const absl::Time time =
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", time, london);
}

std::string Trim(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string Level(const LocationResolution& resolution) {
  return Trim(referrals::v1::ResolutionLevel_Name(resolution.level()), "RESOLUTION_LEVEL_");
}

std::string Authority(const LocationResolution& resolution) {
  switch (resolution.outcome()) {
    case referrals::v1::LOCATION_OUTCOME_IN_AREA:
      return resolution.authority_id();
    case referrals::v1::LOCATION_OUTCOME_OUT_OF_AREA:
      return "OUT_OF_AREA";
    default:
      return "MANUAL_TRIAGE";
  }
}

std::string Where(const LocationResolution& resolution) {
  std::string where = resolution.district_name().empty()
                          ? std::string()
                          : absl::StrCat(resolution.district_name(), " (",
                                         resolution.district_code(), ")");
  if (!resolution.locality_id().empty()) absl::StrAppend(&where, " locality ", resolution.locality_id());
  if (!resolution.out_of_area_councils().empty()) {
    absl::StrAppend(&where, " contact: ", absl::StrJoin(resolution.out_of_area_councils(), " or "));
  }
  if (!resolution.candidates().empty()) {
    std::vector<std::string> parts;
    for (const auto& c : resolution.candidates()) {
      parts.push_back(absl::StrCat(c.district_name(), " ", c.units()));
    }
    absl::StrAppend(&where, " split: ", absl::StrJoin(parts, ", "));
  }
  return where;
}

}  // namespace

std::string FormatResolution(const LocationResolution& resolution) {
  return absl::StrCat(resolution.postcode(), "  ", Level(resolution), "  ", Authority(resolution),
                      "  ", Where(resolution),
                      resolution.terminated() ? "  (terminated postcode)" : "");
}

std::string ResolutionJson(const LocationResolution& resolution) {
  google::protobuf::Struct json;
  auto& fields = *json.mutable_fields();
  fields["postcode"].set_string_value(resolution.postcode());
  fields["level"].set_string_value(Level(resolution));
  fields["authority"].set_string_value(Authority(resolution));
  fields["district_code"].set_string_value(resolution.district_code());
  fields["district_name"].set_string_value(resolution.district_name());
  fields["locality"].set_string_value(resolution.locality_id());
  fields["data_version"].set_string_value(resolution.data_version());
  fields["terminated"].set_bool_value(resolution.terminated());
  auto* candidates = fields["candidates"].mutable_list_value();
  for (const auto& c : resolution.candidates()) {
    auto& candidate = *candidates->add_values()->mutable_struct_value()->mutable_fields();
    candidate["district_code"].set_string_value(c.district_code());
    candidate["district_name"].set_string_value(c.district_name());
    candidate["authority"].set_string_value(c.authority_id().empty() ? "OUT_OF_AREA"
                                                                     : c.authority_id());
    candidate["council"].set_string_value(c.council());
    candidate["units"].set_number_value(c.units());
  }
  auto* councils = fields["out_of_area_councils"].mutable_list_value();
  for (const auto& council : resolution.out_of_area_councils()) {
    councils->add_values()->set_string_value(council);
  }
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(json, &out);
  return out;
}

std::string ResolutionErrorJson(const std::string& message) {
  google::protobuf::Struct json;
  (*json.mutable_fields())["error"].set_string_value(message);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(json, &out);
  return out;
}

std::string FormatDecision(const referrals::v1::RoutingDecision& decision) {
  std::string out;
  const std::string outcome = Trim(referrals::v1::RoutingOutcome_Name(decision.outcome()),
                                   "ROUTING_OUTCOME_");
  absl::StrAppend(&out, "  Outcome:   ", outcome, " -> ", decision.team_name(), " (queue ",
                  decision.queue(), ")",
                  decision.authority_name().empty() ? "" : ", " + decision.authority_name(), "\n");
  absl::StrAppend(&out, "  Priority:  ",
                  Trim(referrals::v1::Priority_Name(decision.priority()), "PRIORITY_"), "\n");
  if (decision.has_location()) {
    absl::StrAppend(&out, "  Location:  ",
                    Trim(referrals::v1::LocationBasis_Name(decision.location_basis()),
                         "LOCATION_BASIS_"),
                    " ", FormatResolution(decision.location()), "\n");
  }
  if (!decision.out_of_area_councils().empty()) {
    absl::StrAppend(&out, "  Refer to:  ", absl::StrJoin(decision.out_of_area_councils(), " or "),
                    "\n");
  }
  for (const auto& signpost : decision.signposts()) {
    absl::StrAppend(&out, "  Signpost:  ", signpost.name(), ": ", signpost.contact(), " (",
                    signpost.reason(), ")\n");
  }
  for (const auto& inform : decision.to_be_informed()) {
    absl::StrAppend(&out, "  Inform:    ", inform.authority_name(),
                    inform.contact().empty() ? "" : " (" + inform.contact() + ")", ": ",
                    inform.reason(), "\n");
  }
  if (decision.has_received_time()) {
    absl::StrAppend(&out, "  Received:  ", Time(decision.received_time()),
                    decision.out_of_hours() ? "  OUT OF HOURS" : "", "\n");
  }
  if (!decision.out_of_hours_contact().empty()) {
    absl::StrAppend(&out, "  Duty line: ", decision.out_of_hours_contact(),
                    " (urgent, out of hours)\n");
  }
  if (decision.has_respond_by()) {
    absl::StrAppend(&out, "  Respond by: ", Time(decision.respond_by()), "\n");
  }
  absl::StrAppend(&out, "  Why:\n");
  int n = 0;
  for (const auto& rule : decision.rules()) {
    absl::StrAppend(&out, "    ", ++n, ". [", rule.rule_id(), "] ", rule.detail(), "\n");
  }
  const std::string& postcode_data = decision.has_location()
                                        ? decision.location().data_version()
                                        : decision.postcode_data_version();
  absl::StrAppend(&out, "  Versions:  rules ", decision.rules_version(),
                  postcode_data.empty() ? "" : ", postcode data " + postcode_data, "\n");
  return out;
}

std::string FormatRecord(const referrals::v1::ReferralRecord& record) {
  std::string out;
  absl::StrAppend(&out, record.referral_id(), "  ",
                  Trim(referrals::v1::ReferralStatus_Name(record.status()), "REFERRAL_STATUS_"),
                  "  ",
                  referrals::v1::ReferralKind_Name(record.referral().kind() !=
                                                           referrals::v1::REFERRAL_KIND_UNSPECIFIED
                                                       ? record.referral().kind()
                                                       : record.triage().kind()),
                  "\n");
  absl::StrAppend(&out, "  Received:  ", Time(record.received_time()), "  correlation ",
                  record.correlation_id(), "\n");
  if (record.has_personal_data_purged_time()) {
    absl::StrAppend(&out, "  Personal data removed (retention): ",
                    Time(record.personal_data_purged_time()), "\n");
  } else if (!record.data_key_id().empty()) {
    absl::StrAppend(&out, "  Personal data sealed at rest with data key ", record.data_key_id(),
                    "\n");
  }
  absl::StrAppend(&out, "  History:\n");
  for (const auto& step : record.history()) {
    absl::StrAppend(&out, "    ", Time(step.time()), "  ",
                    Trim(referrals::v1::Stage_Name(step.stage()), "STAGE_"), "  ", step.summary(),
                    "\n");
  }
  if (record.has_decision()) {
    absl::StrAppend(&out, "  Decision:\n", FormatDecision(record.decision()));
  }
  return out;
}

}  // namespace referrals
