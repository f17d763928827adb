// Browser test of consent from both sides (issue 17), on a server of its
// own (run.sh's part 1b): the technician (the admin) makes "Local"
// require consent and requests access; the customer's admin, given a
// portal account, signs in to the portal, opens the request's link and
// grants access; the technician's action (a ticket for Local, and the
// client's devices) now works; the customer revokes the grant in the
// portal; the technician's next action is refused naming the missing
// grant, and the customer's activity shows what was done under the grant.
// Screenshots: consentflow-*.png in the artifacts directory.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const EMAIL = 'it-boss@local.example';
const PORTAL_PASSWORD = 'customer-flow-password-1';
const REASON = '<b>audit</b> week';

const guards = newGuards();
let browser;
let tech; // the technician's page (the admin)
let techCtx;
let cust; // the customer's page, another browser context
let custCtx;
let csrf = '';
let client;
let requestID = '';

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
      await shot(tech, `FAILED-consentflow-tech-${slug}`).catch(() => {});
      await shot(cust, `FAILED-consentflow-customer-${slug}`).catch(() => {});
      throw e;
    }
  });
}

/** api calls the API as the technician; it answers { status, body }. */
async function api(method, path, data) {
  const r = await techCtx.request.fetch(`${BASE}${path}`, { method, data, headers: method === 'GET' ? {} : { 'X-CSRF-Token': csrf } });
  return { status: r.status(), body: await r.json().catch(() => null) };
}

/** act is the technician's action under test: a ticket for the client. */
const act = (title) => api('POST', `/api/v1/clients/${client.id}/tickets`, { title });

describe('consent, both sides', { timeout: 240000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    techCtx = await newContext(browser, guards);
    tech = watch(await techCtx.newPage(), guards);
    custCtx = await newContext(browser, guards);
    cust = watch(await custCtx.newPage(), guards);
    const r = await login(tech, BASE, 'admin', PASSWORD, new Authenticator());
    if (r.stage === 'setup') await tech.click('#recovery-done');
    await tech.waitForSelector('#main');
    csrf = (await (await techCtx.request.get(`${BASE}/api/v1/me`)).json()).csrf;
    client = (await api('GET', '/api/v1/clients')).body.find((c) => c.name === 'Local');
    assert.ok(client, 'run.sh made the Local client');
  });
  after(async () => {
    await browser?.close();
  });

  it('the technician requires consent, requests access and is refused meanwhile', async () => {
    await tech.goto(`${BASE}/clients/${client.id}/consent`);
    await tech.waitForSelector('#consent-toggle');
    await tech.click('#consent-toggle');
    await waitUntil(async () => (await tech.textContent('#consent-status')).includes('Requires consent'), 'consent required');
    await tech.click('#consent-request');
    await tech.fill('#consent-days', '30');
    await tech.fill('#consent-message', 'Patch night for <i>Local</i>');
    await tech.click('dialog.modal[open] button.primary');
    await tech.waitForSelector('#consent-link');
    const link = (await tech.textContent('#consent-link')).trim();
    requestID = link.split('/').pop();
    assert.match(requestID, /^cr_/);
    await tech.click('dialog.modal[open] button.primary');
    const refused = await act('before any grant');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'consent_required');
    assert.ok(refused.body.error.includes("no active grant covering 'manage devices'"), refused.body.error);
    await shot(tech, 'consentflow-01-requested');
  });

  it('the customer\'s admin signs in to the portal and grants access from the link', async () => {
    const contact = (await api('POST', `/api/v1/clients/${client.id}/contacts`, { name: 'Iris Boss', email: EMAIL })).body;
    const inv = (await api('POST', `/api/v1/clients/${client.id}/portal-users`, { contact: contact.id, admin: true })).body;
    const u = new URL(inv.set_password_url);
    await cust.goto(`${BASE}${u.pathname}${u.hash}`);
    await cust.waitForSelector('#set-password-form');
    await cust.fill('#new-password', PORTAL_PASSWORD);
    await cust.fill('#new-password-again', PORTAL_PASSWORD);
    await cust.click('#set-password-form button[type=submit]');
    await cust.waitForSelector('#portal-login-form');
    await cust.fill('#email', EMAIL);
    await cust.fill('#password', PORTAL_PASSWORD);
    await cust.click('#portal-login-form button[type=submit]');
    await cust.waitForSelector('#portal-totp-setup-form');
    const auth = new Authenticator();
    auth.secret = (await cust.textContent('#totp-secret')).trim();
    await cust.fill('#totp-setup-code', await auth.code());
    await cust.click('#portal-totp-setup-form button[type=submit]');
    await cust.waitForSelector('#portal-nav');
    // The link the technician gave opens the request in front.
    await cust.goto(`${BASE}/portal/grants/${requestID}`);
    await cust.waitForSelector(`.grant-request[data-request="${requestID}"] .grant-accept`);
    assert.ok((await cust.textContent(`.grant-request[data-request="${requestID}"]`)).includes('Patch night for <i>Local</i>'),
      'the request\'s message shows as text');
    await cust.click(`.grant-request[data-request="${requestID}"] .grant-accept`);
    await cust.click('dialog.modal[open] button.primary');
    await cust.waitForSelector('.grant-revoke');
    await shot(cust, 'consentflow-02-granted');
  });

  it('the technician acts under the grant', async () => {
    const ok = await act('printer on floor 2');
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const devices = await api('GET', `/api/v1/devices?client=${client.id}`);
    assert.equal(devices.status, 200, `the client's devices under the grant: ${JSON.stringify(devices.body)}`);
  });

  it('the customer revokes the grant; the technician\'s next action is refused', async () => {
    await cust.click('.grant-revoke');
    await cust.fill('#grant-reason', REASON);
    await cust.click('dialog.modal[open] button.primary');
    await waitUntil(async () => (await cust.locator('.grant-revoke').count()) === 0, 'no grant left to revoke');
    await shot(cust, 'consentflow-03-revoked');
    const refused = await act('after the revocation');
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.ok(refused.body.error.includes("no active grant covering 'manage devices'"), refused.body.error);
    await tech.goto(`${BASE}/clients/${client.id}/devices`);
    await waitUntil(async () => (await tech.textContent('main')).includes('requires consent'), 'the refusal shown on the devices tab');
    await shot(tech, 'consentflow-04-refused');
    // The technician's side shows the revocation and its reason as text.
    const c = (await api('GET', `/api/v1/clients/${client.id}/consent`)).body;
    assert.ok(c.grants.some((g) => g.status === 'revoked' && g.revoked_reason === REASON), JSON.stringify(c.grants));
  });

  it('the customer sees what was done under the grant', async () => {
    await cust.goto(`${BASE}/portal/activity`);
    await cust.waitForSelector('#portal-activity table');
    const actions = await cust.$$eval('#portal-activity tr[data-action]', (rows) => rows.map((r) => r.dataset.action));
    assert.ok(actions.includes('ticket.create'), `the ticket made under the grant: ${actions}`);
    assert.ok(actions.some((a) => a.startsWith('consent.')), `the grant and its revocation: ${actions}`);
    await shot(cust, 'consentflow-05-activity');
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
