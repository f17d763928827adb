// Browser tests of the client page's Contracts and Activity tabs: a
// contract added through the dialog, an entitlement with a sold/used bar,
// a delivery recorded and seen in the drill-down (hostile text as text,
// the CSV link), the activity page with its filters, and both tabs inside
// the window at 1440 and 390 px (layout.mjs's visitAll). Run by run.sh
// with the other files, against the same server, signed in as an admin as
// seats.test.mjs does.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const HOSTILE = '=cmd|\' /C calc\'!A0 <img src=x onerror=alert(1)> \u202Egnp.exe';

const guards = newGuards();
let browser;
let ctx;
let page;
let clientID;
let signedInAs;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-contracts-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function apiCall(method, path, data) {
  const me = await (await ctx.request.get(`${BASE}/api/v1/me`)).json();
  const r = await ctx.request.fetch(`${BASE}${path}`, { method, headers: { 'X-CSRF-Token': me.csrf }, data });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

/** account picks an admin that can sign in without a known authenticator. */
async function account() {
  const rc = await request.newContext({ baseURL: BASE, ignoreHTTPSErrors: true });
  try {
    const r = await rc.post('/api/v1/auth/login', { data: { username: 'admin', password: PASSWORD } });
    const body = await r.json().catch(() => ({}));
    return body.stage === 'totp_setup' || body.stage === 'done' ? ['admin', PASSWORD] : ['admin-e2e', 'admin-e2e-password-1'];
  } finally {
    await rc.dispose();
  }
}

describe('contracts and customer activity', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const [user, pw] = await account();
    signedInAs = user;
    await login(page, BASE, user, pw, new Authenticator());
    if (await page.$('#recovery-done')) await page.click('#recovery-done');
    await page.waitForSelector('#main');
    // The agent's client, Local: a client of its own would change the
    // client counts the dashboard file checks after this one.
    const clients = await (await ctx.request.get(`${BASE}/api/v1/clients`)).json();
    clientID = clients.find((c) => c.name === 'Local')?.id;
    assert.ok(clientID, 'the Local client run.sh enrolls into');
  });

  after(async () => {
    await browser?.close();
  });

  it('adds a contract and an entitlement through the dialogs', async () => {
    await page.goto(`${BASE}/clients/${clientID}/contracts`);
    await page.waitForSelector('#contract-list .empty');
    await page.click('#contract-new');
    await page.fill('#contract-f-name', 'Support <b>2027</b>');
    await page.selectOption('#contract-f-type', 'block_of_hours');
    await page.fill('#contract-f-start', '2026-01-01');
    await page.fill('#contract-f-end', '2030-12-31');
    await page.fill('#contract-f-monthly_fee_cents', '450');
    await page.check('#contract-f-default');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('.contract-card');
    assert.equal((await page.textContent('.contract-card .contract-name')).trim(), 'Support <b>2027</b>');
    assert.equal((await page.textContent('.contract-card .contract-status')).trim(), 'active');
    await page.click('.contract-card .entitlement-new');
    await page.fill('#ent-f-name', 'On-site visits');
    await page.selectOption('#ent-f-unit', 'visits');
    await page.fill('#ent-f-quantity', '4');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('.entitlement-table tbody tr');
    assert.match(await page.textContent('.entitlement-table .meter-label'), /0 of 4 on-site visits used, 4 left/);
  });

  it('records a delivery and shows it in the drill-down with a CSV link', async () => {
    await page.click('.entitlement-table .entitlement-deliver');
    await page.fill('#deliver-quantity', '1');
    await page.fill('#deliver-ticket', '17');
    await page.fill('#deliver-note', HOSTILE);
    await page.click('dialog.modal[open] button.primary');
    await waitUntil(async () => /1 of 4 on-site visits used, 3 left/.test(await page.textContent('.entitlement-table .meter-label')), 'the bar updated');
    await page.click('.entitlement-table .entitlement-usage');
    await page.waitForSelector('#consumption-table tbody tr');
    const text = await page.textContent('#consumption-table');
    assert.ok(text.includes('<img src=x onerror=alert(1)>'), 'the note shown as text');
    assert.ok(!text.includes('\u202E') && text.includes('\\u202egnp.exe'), 'the override shown as \\u202e');
    assert.ok(text.includes('#17'));
    const href = await page.getAttribute('#consumption-csv', 'href');
    const csv = await (await ctx.request.get(`${BASE}${href}`)).text();
    const row = csv.split('\n')[1];
    assert.ok(row.includes(",'=cmd|' /C calc'!A0 <img src=x onerror=alert(1)> \\u202egnp.exe,"), `the CSV row: ${row}`);
    assert.ok(!csv.includes('\u202E'), 'a raw U+202E in the CSV');
    assert.ok(row.includes(',17,'), 'the ticket in the CSV');
    await shot(page, '70-contract-drilldown');
    await page.click('dialog.modal[open] button.primary');
  });

  it('shows the customer activity with filters', async () => {
    await page.goto(`${BASE}/clients/${clientID}/activity`);
    await page.waitForSelector('#activity-report .activity-contract');
    assert.match(await page.textContent('#activity-report .activity-entitlements'), /1 of 4 on-site visits used, 3 left/);
    await page.selectOption('#activity-status', 'inactive');
    await page.waitForSelector('#activity-report >> text=No contract matches.');
    await page.selectOption('#activity-status', 'active');
    await page.waitForSelector('#activity-report .activity-contract');
    await shot(page, '71-customer-activity');
  });

  it('keeps both tabs inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [['client-contracts', `/clients/${clientID}/contracts`, '.contract-card'],
      ['client-activity', `/clients/${clientID}/activity`, '#activity-report']]);
    assert.deepEqual(problems, [], 'pages wider than the window or text outside its card');
  });

  it('removes the two-factor it enrolled, leaving the admin as run.sh made it', async () => {
    if (signedInAs !== 'admin') return;
    const me = await (await ctx.request.get(`${BASE}/api/v1/me`)).json();
    await apiCall('POST', `/api/v1/users/${me.id}/reset-2fa`, {});
    assert.equal((await ctx.request.get(`${BASE}/api/v1/me`)).status(), 401, 'the reset ends the admin sessions');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
