// Headless browser test of routing's operations dashboard: loads the page,
// checks it asks for a token and shows a refusal without one, with a wrong
// one and with a team token (401/403 from /api/queues), signs in with an
// operations token (kept in sessionStorage, sent as a bearer token on every
// /api call), submits referrals through intake's HTTP portal, and checks the counts on
// the page change (the page polls /api/queues), then looks one referral up
// by its id and checks the page shows its route and none of the request's
// personal details. Saves a screenshot.
//
// Environment (set by run_dashboard_test.sh): ROUTING_HTTP, INTAKE_HTTP
// (http://127.0.0.1:PORT), PORTAL_EXAMPLE (a referral in protobuf JSON),
// SCREENSHOT (where to save it), CHROMIUM (the browser executable),
// SUBMITTER_TOKEN, OPERATIONS_TOKEN and TEAM_TOKEN (bearer tokens).
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { chromium } = require("playwright-core");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function submit(intake, body, key) {
  const response = await fetch(`${intake}/v1/referrals`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": key,
               "Authorization": `Bearer ${env("SUBMITTER_TOKEN")}` },
    body,
  });
  const text = await response.text();
  assert.equal(response.status, 201, `intake answered ${response.status}: ${text}`);
  return JSON.parse(text).referral_id;
}

const number = async (page, selector) => Number(await page.textContent(selector));

// Signs in through the page's form and waits until the auth message
// matches `expected` (a RegExp).
async function signIn(page, token, expected) {
  await page.fill("#token", token);
  await page.click("#login button:not([type=button])");
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById("auth-message").textContent),
    expected.source, { timeout: 10000 });
}

async function main() {
  const routing = env("ROUTING_HTTP");
  const intake = env("INTAKE_HTTP");
  const example = fs.readFileSync(env("PORTAL_EXAMPLE"), "utf8");
  const referral = JSON.parse(example);
  // Personal details from the request that the page must never show.
  const personal = [
    referral.adult.given_name, referral.adult.family_name, referral.adult.home_address.postcode,
    referral.harm_location.address.postcode, referral.referrer.name, referral.referrer.phone,
  ];

  const browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const external = [];
    const apiCalls = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(routing)) external.push(request.url());
      if (new URL(request.url()).pathname.startsWith("/api/")) {
        apiCalls.push({ url: request.url(), authorization: request.headers()["authorization"] });
      }
    });
    const operations = env("OPERATIONS_TOKEN");
    await page.goto(`${routing}/dashboard`);
    assert.equal(await page.getAttribute("#token", "type"), "password");

    // No token: the queues refuse (401) and the page says so.
    await page.waitForFunction(() => document.getElementById("auth-message").className === "error");
    assert.match(await page.textContent("#auth-message"), /Sign in/);
    assert.match(await page.textContent("#authorities"), /Sign in/);
    assert.equal(await page.textContent("#updated"), "never");

    // A wrong token (an operations caller id with a secret nobody has): 401.
    const wrong = operations.replace(/~.*/, "~" + "0".repeat(64));
    await signIn(page, wrong, /not accepted/);
    assert.equal(await page.textContent("#updated"), "never");
    // A team token: the queues are for operations (403).
    await signIn(page, env("TEAM_TOKEN"), /may not see/);
    assert.equal(await page.textContent("#updated"), "never");

    // The operations token: data.
    await signIn(page, operations, /Signed in/);
    await page.waitForFunction(() => document.getElementById("updated").textContent !== "never");
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("referrals.dashboard.token")),
                 operations);
    assert.equal(await page.inputValue("#token"), "", "the input is cleared after sign-in");
    const waitingBefore = await number(page, "#total-waiting");
    const routedBefore = await number(page, 'tr[data-queue="ecc-south-west"] .routed');
    console.log(`before: ${waitingBefore} waiting, ${routedBefore} routed to ecc-south-west`);

    // The example's harm happened in Basildon (SS15): Essex, south west locality.
    const stamp = Date.now();
    const ids = [];
    for (let i = 0; i < 2; ++i) ids.push(await submit(intake, example, `browser-${stamp}-${i}`));

    await page.waitForFunction(
      (expected) => Number(document.getElementById("total-waiting").textContent) >= expected,
      waitingBefore + 2, { timeout: 30000 });
    const waitingAfter = await number(page, "#total-waiting");
    const routedAfter = await number(page, 'tr[data-queue="ecc-south-west"] .routed');
    console.log(`after: ${waitingAfter} waiting, ${routedAfter} routed to ecc-south-west`);
    assert.equal(waitingAfter, waitingBefore + 2);
    assert.equal(routedAfter, routedBefore + 2);
    assert.equal(await number(page, "#dead-letters"), 0);

    // One referral's detail, by id in the fragment.
    await page.fill("#referral-id", ids[0]);
    await page.click("#lookup button");
    await page.waitForFunction((id) => document.getElementById("detail").textContent.includes(id),
                               ids[0], { timeout: 10000 });
    const detail = await page.textContent("#detail");
    assert.match(detail, /ROUTED/);
    assert.match(detail, /ecc-south-west/);
    assert.match(detail, /History/);
    assert.equal(new URL(page.url()).hash, `#${ids[0]}`);

    const text = await page.textContent("body");
    for (const value of personal) {
      assert.ok(!text.includes(value), `the page shows a personal detail from the request`);
    }
    assert.deepEqual(external, [], "the page fetched something from elsewhere");
    // Every /api call after sign-in carried the token, and no URL ever did.
    const signedIn = apiCalls.findIndex((call) => call.authorization === `Bearer ${operations}`);
    assert.ok(signedIn >= 0, "no /api call carried the operations token");
    for (const call of apiCalls.slice(signedIn)) {
      assert.equal(call.authorization, `Bearer ${operations}`, `${call.url} without the token`);
    }
    for (const call of apiCalls) assert.ok(!call.url.includes(operations.split("~")[1]));
    assert.ok(!page.url().includes(operations.split("~")[1]));
    assert.ok(!text.includes(operations.split("~")[1]), "the page shows the token");


    const screenshot = env("SCREENSHOT");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);

    // Signing out: the data goes at once and the next poll is refused again.
    await page.click("#sign-out");
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.textContent("#total-waiting"), "-");
    await page.waitForFunction(() => document.getElementById("auth-message").className === "error",
                               null, { timeout: 10000 });
    assert.equal(await page.textContent("#updated"), "never");
  } finally {
    await browser.close();
  }
}

main().then(() => console.log("PASS"), (error) => {
  console.error(`FAIL: ${error.stack || error}`);
  process.exit(1);
});
