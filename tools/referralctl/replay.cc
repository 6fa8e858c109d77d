#include "tools/referralctl/replay.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/domain/referral_validator.h"
#include "google/protobuf/util/json_util.h"
#include "services/intake/referral_store.h"
#include "services/routing/stored_decision.h"

namespace referrals {
namespace {

using referrals::v1::RoutingDecision;

std::string Trim(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

// SCAN MATCH treats *?[]\ specially; a prefix is matched literally.
std::string GlobEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string DescribeDifference(const RuleDifference& difference) {
  switch (difference.kind) {
    case RuleDifference::Kind::kOtherRule:
      return absl::StrCat(
          "by [", difference.rule_id, "]",
          difference.was.empty() ? " (new)" : absl::StrCat(" (was [", difference.was, "])"));
    case RuleDifference::Kind::kOtherDetail:
      return absl::StrCat("by [", difference.rule_id, "] (same rule, other result)");
    case RuleDifference::Kind::kDropped:
      return absl::StrCat("by [", difference.was, "] (no longer fires)");
    case RuleDifference::Kind::kNone:
      break;
  }
  return "by - (same rules)";
}

// One referral in protobuf JSON. The parser's message is not passed on: it
// can quote the file's text.
absl::StatusOr<referrals::v1::Referral> ReadReferralFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  referrals::v1::Referral referral;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &referral).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a referral in protobuf JSON"));
  }
  return referral;
}

std::string DescribeData(const RoutingData& data) {
  return absl::StrCat("rules ", data.rules->Describe(), "; postcode data ",
                      data.engine->resolver().directory().data_version());
}

}  // namespace

RuleDifference RuleThatDiffers(const RoutingDecision& before, const RoutingDecision& after) {
  RuleDifference difference;
  const int common = std::min(before.rules_size(), after.rules_size());
  for (int i = 0; i < after.rules_size(); ++i) {
    if (i < before.rules_size() && before.rules(i).rule_id() == after.rules(i).rule_id()) continue;
    difference.kind = RuleDifference::Kind::kOtherRule;
    difference.rule_id = after.rules(i).rule_id();
    if (i < before.rules_size()) difference.was = before.rules(i).rule_id();
    return difference;
  }
  for (int i = 0; i < common; ++i) {
    if (before.rules(i).detail() == after.rules(i).detail()) continue;
    difference.kind = RuleDifference::Kind::kOtherDetail;
    difference.rule_id = after.rules(i).rule_id();
    return difference;
  }
  if (before.rules_size() > after.rules_size()) {
    difference.kind = RuleDifference::Kind::kDropped;
    difference.was = before.rules(after.rules_size()).rule_id();
  }
  return difference;
}

bool RouteChanged(const RoutingDecision& before, const RoutingDecision& after) {
  return before.outcome() != after.outcome() || before.queue() != after.queue() ||
         before.authority_id() != after.authority_id();
}

std::string RouteSummary(const RoutingDecision& decision) {
  return absl::StrCat(
      Trim(referrals::v1::RoutingOutcome_Name(decision.outcome()), "ROUTING_OUTCOME_"), " ",
      OrDash(decision.queue()), " ", OrDash(decision.authority_id()), " rules ",
      OrDash(decision.rules_version()));
}

void ReplayReport::Add(const std::string& id, const RoutingDecision& before,
                       const RoutingDecision& after) {
  ++referrals_;
  ++counts_[{OrDash(before.queue()), OrDash(after.queue())}];
  if (!RouteChanged(before, after)) return;
  changed_.push_back(absl::StrCat(id, "  ", RouteSummary(before), "  ->  ", RouteSummary(after),
                                  "  ", DescribeDifference(RuleThatDiffers(before, after))));
}

std::string ReplayReport::Format() const {
  size_t width = 9;  // "OLD QUEUE"
  for (const auto& [queues, count] : counts_) {
    width = std::max({width, queues.first.size(), queues.second.size()});
  }
  std::string out = absl::StrFormat("%-*s -> %-*s %6s\n", width, "OLD QUEUE", width, "NEW QUEUE",
                                    "COUNT");
  for (const auto& [queues, count] : counts_) {
    absl::StrAppend(&out, absl::StrFormat("%-*s -> %-*s %6d%s\n", width, queues.first, width,
                                          queues.second, count,
                                          queues.first == queues.second ? "  unchanged" : ""));
  }
  absl::StrAppend(&out, "\nCHANGED: ", changed_.size(), " of ", referrals_, "\n");
  for (const std::string& line : changed_) absl::StrAppend(&out, line, "\n");
  return out;
}

absl::StatusOr<std::vector<std::string>> StoredReferralIds(RedisConnection& connection,
                                                           const Keys& keys) {
  const std::string record_prefix = keys.Referral("");
  const std::string pattern = GlobEscape(record_prefix) + "*";
  std::vector<std::string> ids;
  std::string cursor = "0";
  do {
    absl::StatusOr<RedisReply> reply =
        connection.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply.ok()) return reply.status();
    if (!reply->is_array() || reply->elements.size() != 2) {
      return absl::InternalError("SCAN returned an unexpected reply");
    }
    cursor = reply->elements[0].str;
    for (const RedisReply& key : reply->elements[1].elements) {
      if (!absl::StartsWith(key.str, record_prefix)) continue;
      std::string id = key.str.substr(record_prefix.size());
      // "<id>:history" and anything else below a record is not a record.
      if (id.empty() || absl::StrContains(id, ':')) continue;
      ids.push_back(std::move(id));
    }
  } while (cursor != "0");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());  // SCAN may repeat a key
  return ids;
}

RoutingDecision DecideOffline(const RoutingData& data, const referrals::v1::Referral& referral,
                              absl::Time received, absl::Time now) {
  const referrals::v1::TriageResult triage = data.triage->Classify(referral, received);
  return data.engine->Decide(referral, triage, received, now);
}

int RunReplay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<RoutingData> after = LoadRoutingData(options.new_paths);
  if (!after.ok()) {
    err << "new data: " << after.status().message() << "\n";
    return 1;
  }
  const absl::Time now = absl::Now();
  ReplayReport report;
  int failures = 0;

  if (!options.files.empty()) {
    absl::StatusOr<RoutingData> before = LoadRoutingData(options.old_paths);
    if (!before.ok()) {
      err << "old data: " << before.status().message() << "\n";
      return 1;
    }
    absl::TimeZone london;
    if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
    const absl::Time received = options.as_at.value_or(now);
    for (const std::string& path : options.files) {
      absl::StatusOr<referrals::v1::Referral> referral = ReadReferralFile(path);
      if (!referral.ok()) {
        err << referral.status().message() << "\n";
        ++failures;
        continue;
      }
      FieldViolations violations = ValidateReferral(*referral, absl::ToCivilDay(now, london));
      if (!violations.empty()) {
        err << path << ": invalid referral\n";
        for (const auto& v : violations) err << "  " << v.field << ": " << v.description << "\n";
        ++failures;
        continue;
      }
      report.Add(path, DecideOffline(*before, *referral, received, now),
                 DecideOffline(*after, *referral, received, now));
    }
    out << "# old: " << DescribeData(*before) << "\n"
        << "# new: " << DescribeData(*after) << "\n"
        << "# received: " << absl::FormatTime(absl::RFC3339_sec, received, absl::UTCTimeZone())
        << "\n";
  } else {
    absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
        RedisConnection::Connect(options.redis);
    if (!connection.ok()) {
      err << "redis: " << connection.status().message() << "\n";
      return 1;
    }
    const Keys keys(options.redis_prefix);
    absl::StatusOr<std::vector<std::string>> ids = StoredReferralIds(**connection, keys);
    if (!ids.ok()) {
      err << "redis: " << ids.status().message() << "\n";
      return 1;
    }
    std::shared_ptr<const DataKeyring> keyring;
    if (!options.data_key_file.empty()) {
      absl::StatusOr<std::unique_ptr<DataKeyring>> loaded =
          DataKeyring::Load(options.data_key_file);
      if (!loaded.ok()) {
        err << "data keys: " << loaded.status().message() << "\n";
        return 1;
      }
      keyring = *std::move(loaded);
    }
    const ReferralStore store(keys, keyring);
    int not_routed = 0;
    for (const std::string& id : *ids) {
      absl::StatusOr<referrals::v1::ReferralRecord> record = store.Get(**connection, id);
      if (!record.ok()) {
        if (absl::IsNotFound(record.status())) continue;  // removed since the SCAN
        err << "referral " << id << ": " << record.status().message() << "\n";
        ++failures;
        if (absl::IsUnavailable(record.status())) break;
        continue;
      }
      if (!record->has_decision() || !record->has_received_time()) {
        ++not_routed;
        continue;
      }
      const absl::Time received = absl::FromUnixSeconds(record->received_time().seconds()) +
                                  absl::Nanoseconds(record->received_time().nanos());
      // Stored decisions keep the postcode sector only (stored_decision.h).
      report.Add(id, record->decision(),
                 StoredDecision(DecideOffline(*after, record->referral(), received, now),
                                record->referral()));
    }
    if (not_routed > 0) err << not_routed << " stored referral(s) not yet routed: skipped\n";
    out << "# old: stored decisions (prefix " << options.redis_prefix << ")\n"
        << "# new: " << DescribeData(*after) << "\n"
        << "# received: each referral's receipt time\n";
  }
  out << report.Format();
  return failures == 0 ? 0 : 1;
}

}  // namespace referrals
