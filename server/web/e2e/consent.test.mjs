// Browser tests of consent, the operator's side: a client's Consent tab
// turns "require consent" on, requests access (roles, duration, a
// message) and shows the link to give the customer and the pending
// request; the client's devices tab then shows the refusal naming the
// missing grant; the customers view lists no client until one grants
// access; both pages stay inside the window. The customer's side (the
// portal, granting and revoking) needs portal sign-in, tested at merge.
// Runs before dashboard.test.mjs, whose first step is the admin's first
// login with two-factor enrolment: like clients.test.mjs, it signs in as
// the admin (enrolling two-factor), and ends by turning consent off and
// removing that two-factor (reset-2fa on the admin itself), which leaves
// the admin as run.sh made it.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const USER = 'admin';
// run.sh's client with the hostile device (dashboard.test.mjs counts the
// clients, so this file makes none).
const CLIENT = 'Hostile Corp';
const MESSAGE = '<script>alert("msg")</script> patch night';

const guards = newGuards();
let browser;
let ctx;
let page;
let csrf = '';
let resetDone = false;
let client;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-consent-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function api(method, path, data) {
  const r = await ctx.request.fetch(`${BASE}${path}`, { method, data, headers: method === 'GET' ? {} : { 'X-CSRF-Token': csrf } });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

describe('consent (operator side)', { timeout: 180000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    assert.equal(r.stage, 'setup', 'this file runs before dashboard.test.mjs: the admin enrols two-factor here');
    await page.click('#recovery-done');
    await page.waitForSelector('nav a[data-nav=customers]');
    csrf = (await (await ctx.request.get(`${BASE}/api/v1/me`)).json()).csrf;
    client = (await api('GET', '/api/v1/clients')).find((c) => c.name === CLIENT);
    assert.ok(client, 'run.sh made the Hostile Corp client');
  });
  after(async () => {
    // Whatever failed, leave the admin without the two-factor enrolled
    // here (dashboard.test.mjs enrols it on its first login).
    // Whatever failed, the shared server's client must not keep requiring
    // consent (later files act on its device).
    if (!resetDone && csrf && client) {
      await api('PUT', `/api/v1/clients/${client.id}/consent`, { required: false }).catch(() => {});
    }
    if (!resetDone && csrf) {
      const me = await api('GET', '/api/v1/me').catch(() => null);
      if (me) await api('POST', `/api/v1/users/${me.id}/reset-2fa`, {}).catch(() => {});
    }
    await browser?.close();
  });

  it('requires consent and requests access with a link for the customer', async () => {
    await page.goto(`${BASE}/clients/${client.id}/consent`);
    await page.waitForSelector('#consent-status');
    assert.ok((await page.textContent('#consent-status')).includes('Consent not required'));
    await page.click('#consent-toggle');
    await waitUntil(async () => (await page.textContent('#consent-status')).includes('Requires consent'), 'the setting shown');
    assert.ok((await page.textContent('#consent-covered')).includes('No active grant'));
    await page.click('#consent-request');
    await page.fill('#consent-days', '30');
    await page.fill('#consent-message', MESSAGE);
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('#consent-link');
    const link = (await page.textContent('#consent-link')).trim();
    assert.match(link, /\/portal\/grants\/cr_[0-9a-z]+$/);
    await shot(page, '70-consent-link');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('.consent-requests tbody tr');
    const row = await page.textContent('.consent-requests tbody tr');
    assert.ok(row.includes('pending') && row.includes('Manage devices') && row.includes('30 days'), row);
    const c = await api('GET', `/api/v1/clients/${client.id}/consent`);
    assert.equal(c.required, true);
    assert.equal(c.requests[0].message, MESSAGE, 'the message kept as typed');
    assert.ok(c.history.some((e) => e.action === 'consent.request' && e.actor === USER), 'the request audited');
    await waitUntil(async () => (await page.textContent('.consent-history')).includes('Access requested'), 'the history row');
    assert.ok((await page.textContent('.consent-history')).includes('helpdesk_view'), 'the request\'s roles in the history');
    await shot(page, '71-consent-tab');
  });

  it('refuses the client\'s devices naming the missing grant', async () => {
    await page.goto(`${BASE}/clients/${client.id}/devices`);
    await waitUntil(async () => (await page.textContent('main')).includes('requires consent'), 'the refusal shown');
    const text = await page.textContent('main');
    assert.ok(text.includes(`client "${CLIENT}" requires consent: no active grant covering 'read-only help-desk view'`), text);
    assert.equal(await page.locator('#client-devices-table tbody tr').count(), 0, 'no device of the client listed');
    await shot(page, '72-consent-refused');
  });

  it('lists no customer until one grants access', async () => {
    await page.click('nav a[data-nav=customers]');
    await page.waitForSelector('#customers-list .empty, #customers-table tbody tr');
    assert.equal(await page.locator(`#customers-table tr[data-client="${client.id}"]`).count(), 0, 'a client without a grant is not a customer');
    await shot(page, '73-customers');
  });

  it('keeps the consent pages inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [['customers', '/customers', '#customers-table tbody tr, #customers-list .empty'],
      ['client-consent', `/clients/${client.id}/consent`, '.consent-requests tbody tr']]);
    assert.deepEqual(problems, [], 'pages wider than the window or text outside its card');
    // Leave the shared server's clients as found: consent not required.
    await page.goto(`${BASE}/clients/${client.id}/consent`);
    await page.waitForSelector('#consent-toggle');
    await page.click('#consent-toggle');
    await waitUntil(async () => !(await api('GET', `/api/v1/clients/${client.id}/consent`)).required, 'consent off');
    const me = await api('GET', '/api/v1/me');
    await api('POST', `/api/v1/users/${me.id}/reset-2fa`, {});
    resetDone = true;
    assert.equal((await ctx.request.get(`${BASE}/api/v1/me`)).status(), 401, 'the reset ends the admin sessions');
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
