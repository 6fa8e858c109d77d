// Readable accounts of triage and routing decisions, for operators. Ids and
// routing facts only: the referral's personal fields are never printed.
#ifndef TOOLS_REFERRALCTL_DECISION_PRINTER_H_
#define TOOLS_REFERRALCTL_DECISION_PRINTER_H_

#include <string>

#include "referrals/v1/decision.pb.h"
#include "referrals/v1/record.pb.h"

namespace referrals {

// Several lines: outcome, priority, location, signposts, the numbered rules
// that fired, and the versions used.
std::string FormatDecision(const referrals::v1::RoutingDecision& decision);

// Status, times, then each history step and the decision.
std::string FormatRecord(const referrals::v1::ReferralRecord& record);

// One line per resolution: "SS9 1AA  UNIT  SOUTHEND  Southend-on-Sea (E06000033)",
// ending "  (terminated postcode)" when the unit data marks it terminated.
std::string FormatResolution(const referrals::v1::LocationResolution& resolution);

// One JSON object (no newline) with the fields scripts rely on: postcode,
// level (UNIT|SECTOR|NOT_FOUND), authority (authority id, OUT_OF_AREA or
// MANUAL_TRIAGE), district_code, district_name, locality, candidates,
// out_of_area_councils, data_version, terminated (a boolean; true only for a
// unit the unit data marks terminated).
std::string ResolutionJson(const referrals::v1::LocationResolution& resolution);

// {"postcode": <as typed is NOT echoed>, "error": message}
std::string ResolutionErrorJson(const std::string& message);

}  // namespace referrals

#endif  // TOOLS_REFERRALCTL_DECISION_PRINTER_H_
