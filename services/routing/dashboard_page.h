// The operations dashboard: one self-contained HTML page (inline CSS and
// JavaScript, no external assets) that polls GET /api/queues every 2 s and
// shows, per authority and team, the referrals waiting, the oldest one's
// age, how many are overdue, what went to manual triage and out of area,
// and the dead letters; and one referral's routing facts and history,
// fetched from GET /api/referrals/{id} with the id taken from the page's
// fragment (#R-…), so it never appears in a request line as a query.
//
// The page itself carries no data and is served without a token. It asks
// for one (#token, a password input in #login; "Sign out" is #sign-out),
// keeps it in sessionStorage only (never localStorage, a cookie or a URL),
// sends "Authorization: Bearer <token>" on every /api call, and on 401/403
// says so in #auth-message (class "error") and in the section that asked.
//
// Elements the browser test reads: #total-waiting, #total-overdue,
// #manual-triage, #out-of-area, #dead-letters, #updated, and a row per queue
// (tr[data-queue="<queue>"]) with cells .waiting, .oldest, .overdue, .routed.
#ifndef SERVICES_ROUTING_DASHBOARD_PAGE_H_
#define SERVICES_ROUTING_DASHBOARD_PAGE_H_

#include "absl/strings/string_view.h"

namespace referrals {

// The page, UTF-8 HTML. Content type: "text/html; charset=utf-8".
absl::string_view DashboardPage();

}  // namespace referrals

#endif  // SERVICES_ROUTING_DASHBOARD_PAGE_H_
