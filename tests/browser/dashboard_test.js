// Headless browser test of routing's operations dashboard: loads the page,
// submits referrals through intake's HTTP portal, and checks the counts on
// the page change (the page polls /api/queues), then looks one referral up
// by its id and checks the page shows its route and none of the request's
// personal details. Saves a screenshot.
//
// Environment (set by run_dashboard_test.sh): ROUTING_HTTP, INTAKE_HTTP
// (http://127.0.0.1:PORT), PORTAL_EXAMPLE (a referral in protobuf JSON),
// SCREENSHOT (where to save it), CHROMIUM (the browser executable).
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
    headers: { "Content-Type": "application/json", "Idempotency-Key": key },
    body,
  });
  const text = await response.text();
  assert.equal(response.status, 201, `intake answered ${response.status}: ${text}`);
  return JSON.parse(text).referral_id;
}

const number = async (page, selector) => Number(await page.textContent(selector));

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
    page.on("request", (request) => {
      if (!request.url().startsWith(routing)) external.push(request.url());
    });
    await page.goto(`${routing}/dashboard`);
    await page.waitForFunction(() => document.getElementById("updated").textContent !== "never");
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

    const screenshot = env("SCREENSHOT");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  } finally {
    await browser.close();
  }
}

main().then(() => console.log("PASS"), (error) => {
  console.error(`FAIL: ${error.stack || error}`);
  process.exit(1);
});
