#include "services/routing/dashboard_page.h"

namespace referrals {
namespace {

// Data is put into the page with textContent only, never as HTML.
constexpr char kPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral router: operations</title>
<style>
  :root { --fg:#1b1f24; --muted:#5b6570; --line:#d8dde3; --bg:#f6f7f9; --warn:#b42318; --ok:#067647; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
  header { display:flex; align-items:baseline; gap:1rem; padding:.75rem 1.25rem; background:#12355b; color:#fff; }
  header h1 { font-size:1.1rem; margin:0; font-weight:600; }
  header .status { margin-left:auto; font-size:.85rem; opacity:.9; }
  main { display:grid; grid-template-columns: minmax(0,3fr) minmax(18rem,2fr); gap:1rem; padding:1rem 1.25rem; }
  @media (max-width: 1000px) { main { grid-template-columns: 1fr; } }
  .tiles { grid-column:1 / -1; display:grid; grid-template-columns:repeat(auto-fit,minmax(9rem,1fr)); gap:.75rem; }
  .tile { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.6rem .8rem; }
  .tile .n { font-size:1.6rem; font-weight:600; font-variant-numeric:tabular-nums; }
  .tile .l { color:var(--muted); font-size:.8rem; }
  .tile.alert .n { color:var(--warn); }
  section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; }
  h2 { font-size:1rem; margin:.25rem 0 .5rem; }
  h3 { font-size:.9rem; margin:.9rem 0 .3rem; color:var(--muted); font-weight:600; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:left; padding:.3rem .4rem; border-bottom:1px solid var(--line); }
  th { font-weight:600; color:var(--muted); font-size:.8rem; }
  td.num, th.num { text-align:right; }
  tr.overdue td.overdue { color:var(--warn); font-weight:600; }
  form { display:flex; gap:.5rem; margin-bottom:.5rem; }
  input { flex:1; padding:.35rem .5rem; border:1px solid var(--line); border-radius:4px; font:inherit; }
  button { padding:.35rem .8rem; border:1px solid #12355b; background:#12355b; color:#fff; border-radius:4px; font:inherit; cursor:pointer; }
  dl { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; margin:.25rem 0; }
  dt { color:var(--muted); }
  dd { margin:0; word-break:break-word; }
  ol { margin:.25rem 0; padding-left:1.2rem; }
  .muted { color:var(--muted); }
  .error { color:var(--warn); }
  #login { margin:0; align-items:center; }
  #login input { width:16rem; flex:none; }
  #auth-message { margin:.25rem 1.25rem 0; }
  code { font-size:.85em; }
</style>
</head>
<body>
<header><h1>Referral router: operations</h1><span class="status">Updated <span id="updated">never</span> <span id="conn"></span></span>
  <form id="login"><input id="token" type="password" placeholder="Bearer token" autocomplete="off" spellcheck="false" aria-label="Bearer token"><button>Sign in</button><button type="button" id="sign-out">Sign out</button></form></header>
<p id="auth-message" class="muted" role="status">Enter an operations or admin token to see the queues.</p>
<main>
  <div class="tiles">
    <div class="tile"><div class="n" id="total-waiting">-</div><div class="l">waiting for a team</div></div>
    <div class="tile" id="overdue-tile"><div class="n" id="total-overdue">-</div><div class="l">overdue</div></div>
    <div class="tile"><div class="n" id="manual-triage">-</div><div class="l">waiting in manual triage</div></div>
    <div class="tile"><div class="n" id="out-of-area">-</div><div class="l">sent out of area</div></div>
    <div class="tile" id="dead-tile"><div class="n" id="dead-letters">-</div><div class="l">dead letters</div></div>
    <div class="tile"><div class="n" id="lag">-</div><div class="l">waiting to be routed</div></div>
  </div>
  <section>
    <h2>Queues by authority and team</h2>
    <div id="authorities"><p class="muted">Loading...</p></div>
  </section>
  <section>
    <h2>Referral</h2>
    <form id="lookup"><input id="referral-id" placeholder="Referral id, e.g. R-20261123-2f6c9b81d0aa" autocomplete="off" spellcheck="false"><button>Show</button></form>
    <div id="detail"><p class="muted">Enter a referral id to see where it went and why.</p></div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
// The bearer token lives in this tab's sessionStorage only: never in
// localStorage, a cookie or a URL. Every /api call sends it.
const kTokenKey = "referrals.dashboard.token";
const token = () => sessionStorage.getItem(kTokenKey) || "";
function api(path) {
  const headers = {};
  if (token()) headers["Authorization"] = "Bearer " + token();
  return fetch(path, {cache: "no-store", headers, credentials: "omit"});
}
// What a refusal means, for people.
function refusal(status) {
  if (status === 401) return token() ? "The token was not accepted (unknown, revoked or mistyped): sign in again." : "Sign in with a token to see this.";
  if (status === 403) return "This token's role may not see this (the queues need an operations or admin token; a team token sees only its own authority's referrals).";
  return null;
}
// Forgets what the page shows (on a refusal or sign-out): nothing stays on
// screen that the current token may not see.
function clearData(message, cls) {
  for (const id of ["total-waiting", "total-overdue", "manual-triage", "out-of-area", "dead-letters", "lag"]) $(id).textContent = "-";
  $("overdue-tile").classList.remove("alert");
  $("dead-tile").classList.remove("alert");
  $("authorities").replaceChildren(el("p", message, cls));
  $("updated").textContent = "never";
}
function showAuth(text, isError) {
  $("auth-message").textContent = text;
  $("auth-message").className = isError ? "error" : "muted";
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function age(seconds) {
  if (!seconds) return "-";
  if (seconds < 60) return seconds + " s";
  if (seconds < 3600) return Math.floor(seconds / 60) + " min";
  if (seconds < 172800) return Math.floor(seconds / 3600) + " h " + Math.floor(seconds % 3600 / 60) + " min";
  return Math.floor(seconds / 86400) + " days";
}
function renderQueues(data) {
  let waiting = 0, manual = 0, outOfArea = 0;
  const root = $("authorities");
  const frag = document.createDocumentFragment();
  for (const a of data.authorities) {
    frag.appendChild(el("h3", a.name + " (" + a.waiting + " waiting, " + a.overdue + " overdue)"));
    const table = el("table");
    const head = el("tr");
    for (const [t, c] of [["Team", ""], ["Queue", ""], ["Waiting", "num"], ["Oldest", "num"], ["Overdue", "num"], ["Routed", "num"]]) head.appendChild(el("th", t, c));
    table.appendChild(head);
    for (const q of a.queues) {
      const row = el("tr");
      row.dataset.queue = q.queue;
      if (q.overdue > 0) row.className = "overdue";
      row.appendChild(el("td", q.team_name));
      row.appendChild(el("td", q.queue, "muted"));
      row.appendChild(el("td", q.has_worklist ? q.waiting : "-", "num waiting"));
      row.appendChild(el("td", q.has_worklist ? age(q.oldest_age_seconds) : "-", "num oldest"));
      row.appendChild(el("td", q.has_worklist ? q.overdue : "-", "num overdue"));
      row.appendChild(el("td", q.routed, "num routed"));
      table.appendChild(row);
      if (q.manual_triage) manual += q.waiting;
      else if (!q.has_worklist) outOfArea += q.routed;
      else waiting += q.waiting;
    }
    frag.appendChild(table);
  }
  root.replaceChildren(frag);
  $("total-waiting").textContent = waiting;
  $("total-overdue").textContent = data.overdue;
  $("manual-triage").textContent = manual;
  $("out-of-area").textContent = Math.max(outOfArea, data.outcomes.OUT_OF_AREA || 0);
  $("dead-letters").textContent = data.dead_letters;
  $("lag").textContent = data.consumer_lag < 0 ? "?" : data.consumer_lag + data.consumer_pending;
  $("overdue-tile").classList.toggle("alert", data.overdue > 0);
  $("dead-tile").classList.toggle("alert", data.dead_letters > 0);
  $("updated").textContent = new Date().toLocaleTimeString("en-GB");
}
async function poll() {
  try {
    const response = await api("/api/queues");
    const refused = refusal(response.status);
    if (refused) {
      showAuth(refused, true);
      clearData(refused, "error");
      $("conn").textContent = "(refused: HTTP " + response.status + ")";
      return;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    renderQueues(await response.json());
    showAuth(token() ? "Signed in." : "", false);
    $("conn").textContent = "";
  } catch (e) {
    $("conn").textContent = "(not updating: " + e.message + ")";
  }
}
function fact(dl, name, value) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
  dl.appendChild(el("dt", name));
  dl.appendChild(el("dd", Array.isArray(value) ? value.join(", ") : value));
}
async function showReferral(id) {
  const detail = $("detail");
  if (!id) return;
  detail.replaceChildren(el("p", "Loading...", "muted"));
  try {
    const response = await api("/api/referrals/" + encodeURIComponent(id));
    const refused = refusal(response.status);
    if (refused) { detail.replaceChildren(el("p", refused, "error")); return; }
    if (response.status === 404) { detail.replaceChildren(el("p", "No referral with that id.", "error")); return; }
    if (!response.ok) throw new Error("HTTP " + response.status);
    const r = await response.json();
    const frag = document.createDocumentFragment();
    const dl = el("dl");
    fact(dl, "Referral", r.referral_id);
    fact(dl, "Status", r.status);
    fact(dl, "Kind", r.kind);
    fact(dl, "Priority", r.priority);
    fact(dl, "Received", r.received);
    fact(dl, "Outcome", r.outcome);
    fact(dl, "Team", r.team_name);
    fact(dl, "Queue", r.queue);
    fact(dl, "Authority", r.authority_name);
    fact(dl, "Decided by", r.location_basis);
    fact(dl, "Rules", r.rules_version);
    fact(dl, "Respond by", r.respond_by);
    fact(dl, "Overdue since", r.overdue_since);
    fact(dl, "Signposts", r.signposts);
    fact(dl, "Councils to contact", r.out_of_area_councils);
    fact(dl, "Allowed actions", r.allowed_actions);
    frag.appendChild(dl);
    frag.appendChild(el("h3", "Why it went there (rules, in order)"));
    const reasons = el("ol");
    for (const rule of r.reasons) reasons.appendChild(el("li")).appendChild(el("code", rule));
    frag.appendChild(reasons);
    frag.appendChild(el("h3", "History"));
    const table = el("table");
    for (const h of r.history) {
      const row = el("tr");
      row.appendChild(el("td", h.time.replace("T", " ").replace(/\.\d+Z$/, "Z"), "muted"));
      row.appendChild(el("td", h.stage));
      row.appendChild(el("td", h.summary));
      row.appendChild(el("td", h.caller_id || "", "muted"));
      table.appendChild(row);
    }
    frag.appendChild(table);
    detail.replaceChildren(frag);
  } catch (e) {
    detail.replaceChildren(el("p", "Could not load the referral: " + e.message, "error"));
  }
}
$("lookup").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("referral-id").value.trim();
  if (id) location.hash = id;
});
window.addEventListener("hashchange", () => showReferral(decodeURIComponent(location.hash.slice(1))));
if (location.hash.length > 1) {
  $("referral-id").value = decodeURIComponent(location.hash.slice(1));
  showReferral($("referral-id").value);
}
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("token").value.trim();
  $("token").value = "";
  if (value) sessionStorage.setItem(kTokenKey, value); else sessionStorage.removeItem(kTokenKey);
  poll();
  if (location.hash.length > 1) showReferral(decodeURIComponent(location.hash.slice(1)));
});
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(kTokenKey);
  clearData("Signed out.", "muted");
  $("detail").replaceChildren();
  showAuth("Signed out. Enter a token to see the queues.", false);
});
poll();
setInterval(poll, 2000);
</script>
</body>
</html>
)html";

}  // namespace

absl::string_view DashboardPage() { return kPage; }

}  // namespace referrals
