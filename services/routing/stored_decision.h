// The routing decision as it is stored and put on the queues (issue 8,
// personal data at rest): a full unit postcode can single out a household,
// so what leaves routing's memory keeps the postcode sector only ("SS9 1"),
// which is all the routing facts need; the district, authority, team and
// every other fact stay as decided. The Route RPC (a dry run, stored
// nowhere) answers with the full decision.
#ifndef SERVICES_ROUTING_STORED_DECISION_H_
#define SERVICES_ROUTING_STORED_DECISION_H_

#include "referrals/v1/decision.pb.h"
#include "referrals/v1/referral.pb.h"

namespace referrals {

// `decision` with every postcode of `referral` (the adult's home, the place
// of harm, the service; as written, without spaces and normalised) replaced
// by its sector in the location and in the texts (rule details, reasons to
// inform). A postcode that does not parse is replaced by its outward code
// when that can be told, else by "(postcode)". Pure; thread-safe.
referrals::v1::RoutingDecision StoredDecision(referrals::v1::RoutingDecision decision,
                                              const referrals::v1::Referral& referral);

}  // namespace referrals

#endif  // SERVICES_ROUTING_STORED_DECISION_H_
