// The JSON the operations dashboard reads (GET /api/queues, GET
// /api/referrals/{id}), built from Redis reads already made. Pure: no Redis,
// no HTTP.
//
// What goes in is ids, statuses, kinds, priorities, times, queue, team and
// authority names, rule ids, signpost ids and the history's summaries (which
// never carry personal data). What never goes in: anything from the
// referral's content (names, addresses, postcodes, dates of birth, free
// text), actors, claimers and comments, and rule details (a location rule's
// detail names the postcode).
#ifndef SERVICES_ROUTING_DASHBOARD_JSON_H_
#define SERVICES_ROUTING_DASHBOARD_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "referrals/v1/record.pb.h"
#include "services/routing/operations_reader.h"

namespace referrals {

// {"taken", "dead_letters", "overdue", "consumer_lag", "consumer_pending",
//  "outcomes": {"TEAM": n, "MANUAL_TRIAGE": n, "OUT_OF_AREA": n},
//  "authorities": [{"id", "name", "waiting", "overdue", "queues": [{"queue",
//  "team_id", "team_name", "has_worklist", "manual_triage", "waiting",
//  "overdue", "routed", "oldest_age_seconds"}]}]}
// Authorities in the order their first queue appears; the queues of no
// authority (manual triage, out of area) under id "" last.
std::string QueuesJson(const OperationsSnapshot& snapshot);

// {"referral_id", "status", "kind", "priority", "received", "outcome",
//  "queue", "team_id", "team_name", "authority_id", "authority_name",
//  "rules_version", "location_basis", "respond_by", "overdue_since",
//  "etag", "signposts": [ids], "out_of_area_councils": [...],
//  "reasons": [rule ids, in order], "allowed_actions": [...],
//  "history": [{"time", "stage", "status", "summary", "action",
//  "from_queue", "to_queue", "caller_id", "reasons": [rule ids]}]}
//  ("caller_id": the authenticated system that made a lifecycle step; not
//  personal data, unlike the actor, which stays out).
// Times are RFC 3339 UTC, empty when unset.
std::string ReferralJson(const referrals::v1::ReferralRecord& record);

// Whether `id` looks like a referral id (letters, digits and '-', 1 to 64
// characters): anything else is refused before Redis is asked.
bool IsPlausibleReferralId(absl::string_view id);

// `text` as a JSON string literal, quotes included. Exposed for tests.
std::string JsonString(absl::string_view text);

}  // namespace referrals

#endif  // SERVICES_ROUTING_DASHBOARD_JSON_H_
