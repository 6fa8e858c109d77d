#include "services/routing/dashboard_json.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/pipeline/events.h"

namespace referrals {
namespace {

std::string TimeJson(const google::protobuf::Timestamp& timestamp, bool set) {
  if (!set) return "\"\"";
  return JsonString(
      absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", FromTimestamp(timestamp), absl::UTCTimeZone()));
}

std::string TimeJson(absl::Time time) {
  return JsonString(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", time, absl::UTCTimeZone()));
}

std::string StringArray(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const std::string& value : values) quoted.push_back(JsonString(value));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

std::string RuleIds(const google::protobuf::RepeatedPtrField<referrals::v1::RuleFired>& rules) {
  std::vector<std::string> ids;
  for (const referrals::v1::RuleFired& rule : rules) ids.push_back(rule.rule_id());
  return StringArray(ids);
}

// "ROUTING_OUTCOME_TEAM" -> "TEAM".
std::string WithoutPrefix(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

std::string QueueJson(const QueueOperations& queue, absl::Time taken) {
  const double age = queue.oldest_received.has_value()
                         ? std::max(0.0, absl::ToDoubleSeconds(taken - *queue.oldest_received))
                         : 0.0;
  return absl::StrCat(
      "{\"queue\":", JsonString(queue.queue), ",\"team_id\":", JsonString(queue.team_id),
      ",\"team_name\":", JsonString(queue.team_name),
      ",\"has_worklist\":", queue.has_worklist ? "true" : "false",
      ",\"manual_triage\":", queue.manual_triage ? "true" : "false", ",\"waiting\":", queue.waiting,
      ",\"overdue\":", queue.overdue, ",\"routed\":", queue.routed,
      ",\"oldest_age_seconds\":", absl::StrFormat("%.0f", age), "}");
}

}  // namespace

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':  // never closes a <script> the JSON might be inlined into
        out += "\\u003c";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

bool IsPlausibleReferralId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

std::string QueuesJson(const OperationsSnapshot& snapshot) {
  struct Group {
    std::string id;
    std::string name;
    int64_t waiting = 0;
    int64_t overdue = 0;
    std::vector<std::string> queues;
  };
  std::vector<Group> groups;
  Group unassigned;
  unassigned.name = "Router: manual triage and out of area";
  for (const QueueOperations& queue : snapshot.queues) {
    Group* group = &unassigned;
    if (!queue.authority_id.empty()) {
      auto found = std::find_if(groups.begin(), groups.end(),
                                [&](const Group& g) { return g.id == queue.authority_id; });
      if (found == groups.end()) {
        Group added;
        added.id = queue.authority_id;
        added.name = queue.authority_name.empty() ? queue.authority_id : queue.authority_name;
        groups.push_back(std::move(added));
        found = groups.end() - 1;
      }
      group = &*found;
    }
    group->waiting += queue.waiting;
    group->overdue += queue.overdue;
    group->queues.push_back(QueueJson(queue, snapshot.taken));
  }
  if (!unassigned.queues.empty()) groups.push_back(std::move(unassigned));

  std::vector<std::string> authorities;
  for (const Group& group : groups) {
    authorities.push_back(
        absl::StrCat("{\"id\":", JsonString(group.id), ",\"name\":", JsonString(group.name),
                     ",\"waiting\":", group.waiting, ",\"overdue\":", group.overdue,
                     ",\"queues\":[", absl::StrJoin(group.queues, ","), "]}"));
  }
  std::vector<std::string> outcomes;
  for (const char* outcome : {"TEAM", "MANUAL_TRIAGE", "OUT_OF_AREA"}) {
    auto found = snapshot.counters.find(absl::StrCat("outcome:ROUTING_OUTCOME_", outcome));
    outcomes.push_back(absl::StrCat(JsonString(outcome), ":",
                                    found == snapshot.counters.end() ? 0 : found->second));
  }
  return absl::StrCat(
      "{\"taken\":", TimeJson(snapshot.taken), ",\"dead_letters\":", snapshot.dead_letters,
      ",\"overdue\":", snapshot.overdue, ",\"consumer_lag\":", snapshot.consumer_lag,
      ",\"consumer_pending\":", snapshot.consumer_pending, ",\"outcomes\":{",
      absl::StrJoin(outcomes, ","), "},\"authorities\":[", absl::StrJoin(authorities, ","), "]}");
}

std::string ReferralJson(const referrals::v1::ReferralRecord& record) {
  const referrals::v1::RoutingDecision& decision = record.decision();
  std::vector<std::string> signposts;
  for (const referrals::v1::Signpost& signpost : decision.signposts()) {
    signposts.push_back(signpost.id());
  }
  std::vector<std::string> councils(decision.out_of_area_councils().begin(),
                                    decision.out_of_area_councils().end());
  std::vector<std::string> actions;
  for (const int action : record.allowed_actions()) {
    actions.push_back(WithoutPrefix(
        referrals::v1::LifecycleAction_Name(static_cast<referrals::v1::LifecycleAction>(action)),
        "LIFECYCLE_ACTION_"));
  }
  std::vector<std::string> history;
  for (const referrals::v1::StageEntry& entry : record.history()) {
    history.push_back(absl::StrCat(
        "{\"time\":", TimeJson(entry.time(), entry.has_time()), ",\"stage\":",
        JsonString(WithoutPrefix(referrals::v1::Stage_Name(entry.stage()), "STAGE_")),
        ",\"status\":",
        JsonString(
            WithoutPrefix(referrals::v1::ReferralStatus_Name(entry.status()), "REFERRAL_STATUS_")),
        ",\"summary\":", JsonString(entry.summary()), ",\"action\":",
        JsonString(entry.action() == referrals::v1::LIFECYCLE_ACTION_UNSPECIFIED
                       ? ""
                       : WithoutPrefix(referrals::v1::LifecycleAction_Name(entry.action()),
                                       "LIFECYCLE_ACTION_")),
        ",\"from_queue\":", JsonString(entry.from_queue()), ",\"to_queue\":",
        JsonString(entry.to_queue()), ",\"caller_id\":", JsonString(entry.caller_id()),
        ",\"reasons\":", RuleIds(entry.rules()), "}"));
  }
  const bool routed = record.has_decision();
  const referrals::v1::Priority priority =
      routed ? decision.priority() : record.triage().priority();
  return absl::StrCat(
      "{\"referral_id\":", JsonString(record.referral_id()), ",\"status\":",
      JsonString(
          WithoutPrefix(referrals::v1::ReferralStatus_Name(record.status()), "REFERRAL_STATUS_")),
      ",\"kind\":",
      JsonString(referrals::v1::ReferralKind_Name(record.referral().kind() !=
                                                          referrals::v1::REFERRAL_KIND_UNSPECIFIED
                                                      ? record.referral().kind()
                                                      : record.triage().kind())),
      ",\"priority\":",
      JsonString(WithoutPrefix(referrals::v1::Priority_Name(priority), "PRIORITY_")),
      ",\"received\":", TimeJson(record.received_time(), record.has_received_time()),
      ",\"outcome\":",
      JsonString(routed ? WithoutPrefix(referrals::v1::RoutingOutcome_Name(decision.outcome()),
                                        "ROUTING_OUTCOME_")
                        : ""),
      ",\"queue\":", JsonString(record.queue().empty() ? decision.queue() : record.queue()),
      ",\"team_id\":", JsonString(decision.team_id()),
      ",\"team_name\":", JsonString(decision.team_name()),
      ",\"authority_id\":", JsonString(decision.authority_id()),
      ",\"authority_name\":", JsonString(decision.authority_name()),
      ",\"rules_version\":", JsonString(decision.rules_version()), ",\"location_basis\":",
      JsonString(routed
                     ? WithoutPrefix(referrals::v1::LocationBasis_Name(decision.location_basis()),
                                     "LOCATION_BASIS_")
                     : ""),
      ",\"respond_by\":", TimeJson(record.respond_by(), record.has_respond_by()),
      ",\"overdue_since\":", TimeJson(record.overdue_time(), record.has_overdue_time()),
      ",\"etag\":", record.etag(), ",\"signposts\":", StringArray(signposts),
      ",\"out_of_area_councils\":", StringArray(councils),
      ",\"reasons\":", RuleIds(decision.rules()), ",\"allowed_actions\":", StringArray(actions),
      ",\"history\":[", absl::StrJoin(history, ","), "]}");
}

}  // namespace referrals
