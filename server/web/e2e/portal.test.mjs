// Browser tests of the customer portal (issue 17), against the server
// run.sh starts: the operator (the first-start API token) gives a contact
// of "Hostile Corp", whose name is hostile, a portal account; the contact
// opens the set-password link, sets a password, must enrol TOTP, signs in
// and sees Hostile Corp's devices, alerts and the MSP's activity, never
// the "Local" client's device; every portal section is looked at at 1440
// and 390 px. Screenshots: portal-*.png in the artifacts directory.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const ADMIN_PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const SHARED = process.env.STEWARD_SHARED;
const HOSTILE_NAME = `<img src=x onerror=alert(1)> "Portal" =cmd|' /C calc'!A0`;
const EMAIL = `portal-${Date.now()}@hostile.example`;
const PASSWORD = 'portal-browser-password-1';

const guards = newGuards();
let browser;
let ctx;
let page;
let adm; // the admin's own request context (cookie session)
let admCSRF = '';

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-portal-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function op(method, path, data, want = [200, 201]) {
  const r = await adm.fetch(`${BASE}${path}`, { method, data, headers: admCSRF ? { 'X-CSRF-Token': admCSRF } : {} });
  const body = await r.json().catch(() => null);
  assert.ok(want.includes(r.status()), `${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
  return body;
}

describe('customer portal', { timeout: 300000 }, () => {
  let hostile;
  let local;
  let link;
  before(async () => {
    assert.ok(BASE && ADMIN_PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    // The operator: the admin, signed in with its two-factor (enrolled by
    // an earlier file, whose secret is shared, or here).
    adm = await request.newContext({ ignoreHTTPSErrors: true });
    const auth = new Authenticator();
    const step = async (path, data) => {
      const r = await op('POST', path, data, [200, 401, 409]);
      if (r?.csrf) admCSRF = r.csrf;
      return r;
    };
    await step('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const secretFile = SHARED && join(SHARED, 'admin-totp');
    if (secretFile && existsSync(secretFile)) {
      auth.secret = readFileSync(secretFile, 'utf8').trim();
      // A code counts once per time step: the last file's may be this step's.
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) ok = (await step('/api/v1/auth/totp', { code: await auth.code() }))?.stage === 'done';
      assert.ok(ok, 'admin two-factor code');
    } else {
      const setup = await step('/api/v1/auth/totp/setup', {});
      auth.secret = setup.secret;
      assert.equal((await step('/api/v1/auth/totp/confirm', { code: await auth.code() }))?.stage, 'done', 'admin enrolment');
    }
    admCSRF = (await op('GET', '/api/v1/me')).csrf || admCSRF;
  });
  after(async () => {
    await adm?.dispose();
    await browser?.close();
  });

  it('an operator gives a hostile-named contact a portal account; the link is shown once', async () => {
    const cs = await op('GET', '/api/v1/clients');
    hostile = cs.find((c) => c.name === 'Hostile Corp');
    local = cs.find((c) => c.name === 'Local');
    assert.ok(hostile && local, 'run.sh made Hostile Corp and Local');
    const contact = await op('POST', `/api/v1/clients/${hostile.id}/contacts`, { name: HOSTILE_NAME, email: EMAIL });
    const inv = await op('POST', `/api/v1/clients/${hostile.id}/portal-users`, { contact: contact.id, admin: true, send_email: true });
    // No SMTP server here: the link comes back instead of a mail.
    assert.equal(inv.emailed, false);
    assert.match(inv.set_password_url, /\/portal\/set-password#token=/);
    link = inv.set_password_url;
    const view = await op('POST', `/api/v1/clients/${hostile.id}/portal-view`, undefined, [403]);
    assert.match(view.error, /has not granted the read-only help-desk view/);
  });

  it('the contact sets a password, must enrol two-factor, and signs in', async () => {
    const u = new URL(link);
    await page.goto(`${BASE}${u.pathname}${u.hash}`);
    await page.waitForSelector('#set-password-form');
    assert.ok(!page.url().includes('token='), 'the secret leaves the address bar');
    await page.fill('#new-password', PASSWORD);
    await page.fill('#new-password-again', PASSWORD);
    await page.click('#set-password-form button[type=submit]');
    await page.waitForSelector('#portal-login-form');
    await page.fill('#email', EMAIL.toUpperCase());
    await page.fill('#password', PASSWORD);
    await page.click('#portal-login-form button[type=submit]');
    await page.waitForSelector('#portal-totp-setup-form');
    const auth = new Authenticator();
    auth.secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#totp-setup-code', await auth.code());
    await page.click('#portal-totp-setup-form button[type=submit]');
    await page.waitForSelector('#portal-nav');
    const who = await page.textContent('#portal-who');
    assert.ok(who.includes(HOSTILE_NAME), `the hostile name is text: ${who}`);
    assert.equal(await page.textContent('#portal-client'), 'Hostile Corp');
    await shot(page, 'portal-01-signed-in');
  });

  it('shows its own devices and activity, never another client\'s', async () => {
    await page.waitForSelector('#portal-devices table tbody tr');
    const shown = await page.$$eval('#portal-devices tr[data-device]', (rows) => rows.map((r) => r.dataset.device));
    const own = (await op('GET', `/api/v1/devices?client=${hostile.id}&limit=100`)).devices.map((d) => d.id);
    const localIDs = (await op('GET', `/api/v1/devices?client=${local.id}&limit=100`)).devices.map((d) => d.id);
    assert.deepEqual([...shown].sort(), [...own].sort(), 'the portal lists exactly Hostile Corp\'s devices');
    assert.ok(localIDs.length > 0 && localIDs.every((id) => !shown.includes(id)), 'no device of Local');
    const text = await page.textContent('#portal-devices');
    assert.ok(text.includes(process.env.STEWARD_HOSTILE_HOSTNAME || '<img'), 'the hostile device name shows as text');
    // Naming Local's device directly is not found.
    const r = await ctx.request.get(`${BASE}/api/v1/portal/devices/${localIDs[0]}`);
    assert.equal(r.status(), 404);
    await page.click('#portal-nav a[data-section=activity]');
    await page.waitForSelector('#portal-activity tr[data-action="portal.user_create"]');
    await page.click('#portal-nav a[data-section=alerts]');
    await page.waitForSelector('#portal-alerts table, #portal-alerts .empty');
    await shot(page, 'portal-02-alerts');
  });

  it('every portal section, looked at: inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [
      ['portal-devices', '/portal/devices', '#portal-devices table'],
      ['portal-alerts', '/portal/alerts', '#portal-alerts table, #portal-alerts .empty'],
      ['portal-activity', '/portal/activity', '#portal-activity table'],
      ['portal-account', '/portal/account', '#portal-password-form'],
    ]);
    assert.deepEqual(problems, [], 'portal pages wider than the window or text outside its card');
  });

  it('changes its password and signs out', async () => {
    await page.goto(`${BASE}/portal/account`);
    await page.waitForSelector('#portal-password-form');
    await page.fill('#current-password', PASSWORD);
    await page.fill('#portal-new-password', `${PASSWORD}-new`);
    await page.click('#portal-password-form button[type=submit]');
    await waitUntil(async () => (await page.textContent('#portal-password-form')).includes('Your password is changed'), 'the change');
    await page.click('#portal-logout');
    await page.waitForSelector('#portal-login-form');
    const r = await ctx.request.get(`${BASE}/api/v1/portal/me`);
    assert.equal(r.status(), 401, 'signed out');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
