// Browser tests of configuring monitoring from the dashboard, as a
// technician made through the API (the admin's first login, with its
// two-factor enrolment, belongs to dashboard.test.mjs): a profile with a
// hostile, long name is created on the Monitoring page (the API's 400 is
// shown in the dialog first), assigned to the local device by the devices
// table's bulk action, seen in force on the device's Alerts tab where one
// check is exempted and put back, a weekly maintenance window is created
// (again after a refusal shown in the dialog), and the page holds at
// 390 px. The profile is deleted through the page at the end. The admin
// calls the API with a session of its own: two-factor with the secret
// dashboard.test.mjs left in STEWARD_SHARED (alone, this file enrols it),
// as files.test.mjs does; the first-start token stops counting then.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { measure } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const ADMIN_PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const SHARED = process.env.STEWARD_SHARED;
const USER = 'monitor-tech';
const PASSWORD = 'monitor-tech-password-1';
const NAME = `<img src=x onerror=alert(1)> W${'x'.repeat(60)}W disks`;

const guards = newGuards();
let browser;
let ctx;
let page;
let admin;
let local;
let profile;
let windowID;
let csrf = '';

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-monitoring-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function api(method, path, data) {
  const r = await admin.fetch(`${BASE}${path}`, { method, data, headers: method === 'GET' ? {} : { 'X-CSRF-Token': csrf } });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

const dialogError = () => page.textContent('dialog.modal .error:not([hidden])');

describe('monitoring', { timeout: 240000 }, () => {
  before(async () => {
    assert.ok(BASE && ADMIN_PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    admin = await request.newContext({ ignoreHTTPSErrors: true });
    const adminAuth = new Authenticator();
    const step = async (path, data) => {
      const r = await admin.post(`${BASE}${path}`, { data, headers: csrf ? { 'X-CSRF-Token': csrf } : {} });
      const b = await r.json().catch(() => ({}));
      if (b.csrf) csrf = b.csrf;
      return { status: r.status(), body: b };
    };
    assert.equal((await step('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200, 'admin password login');
    const secretFile = SHARED && join(SHARED, 'admin-totp');
    if (secretFile && existsSync(secretFile)) {
      adminAuth.secret = readFileSync(secretFile, 'utf8').trim();
      // A code is accepted once per time step: an earlier file may have
      // used this step's, so the next steps are tried too.
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) ok = (await step('/api/v1/auth/totp', { code: await adminAuth.code() })).status === 200;
      assert.ok(ok, 'admin two-factor code');
    } else {
      const setup = await step('/api/v1/auth/totp/setup', {});
      adminAuth.secret = setup.body.secret;
      assert.equal((await step('/api/v1/auth/totp/confirm', { code: await adminAuth.code() })).status, 200, 'admin enrolment');
    }
    const me = await (await admin.get(`${BASE}/api/v1/me`)).json();
    if (me.csrf) csrf = me.csrf;
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const list = await api('GET', '/api/v1/devices?limit=10');
    local = list.devices.find((d) => !d.hostname.startsWith('<img'));
    assert.ok(local, 'the local device');
    await api('POST', '/api/v1/users', { name: USER, password: PASSWORD, role: 'technician', all_clients: true });
  });
  after(async () => {
    const ps = await api('GET', '/api/v1/profiles').catch(() => []);
    for (const p of ps) if (p.name === NAME) await api('DELETE', `/api/v1/profiles/${p.id}`).catch(() => {});
    if (windowID) await api('DELETE', `/api/v1/maintenance/${windowID}`).catch(() => {});
    await browser?.close();
    await admin?.dispose();
  });

  it('creates a profile on the Monitoring page, showing the API refusal in the dialog', async () => {
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('a[data-nav=monitoring]');
    await page.click('a[data-nav=monitoring]');
    await page.waitForSelector('#profile-new');
    await page.click('#profile-new');
    await page.fill('#profile-name', NAME);
    await page.click('#profile-add-check');
    await page.selectOption('#profile-checks fieldset:nth-child(1) .check-kind', 'service');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await dialogError())?.includes('names its service'), 'the API refusal shown in the dialog');
    await shot(page, '70-monitoring-profile-error');
    // Fixed in place: what was typed is kept.
    assert.equal(await page.inputValue('#profile-name'), NAME);
    await page.fill('#profile-checks fieldset:nth-child(1) .check-target', 'steward-e2e-no-such-service');
    await page.click('#profile-add-check');
    await page.selectOption('#profile-checks fieldset:nth-child(2) .check-kind', 'cpu');
    await page.fill('#profile-checks fieldset:nth-child(2) .check-warning', '90');
    await page.fill('#profile-checks fieldset:nth-child(2) .check-critical', '99');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    profile = (await api('GET', '/api/v1/profiles')).find((p) => p.name === NAME);
    assert.ok(profile, 'the profile was created');
    assert.deepEqual(profile.checks.map((c) => [c.kind, c.target || '', c.warning || 0, c.critical || 0]),
      [['service', 'steward-e2e-no-such-service', 0, 0], ['cpu', '', 90, 99]]);
    const row = `#profiles-table tbody tr[data-id="${profile.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.locator(`${row} img`).count(), 0, 'markup in a profile name became an element');
    assert.ok((await page.textContent(row)).includes(NAME), 'the hostile name shows as text');
    assert.equal(await page.getAttribute(`${row} .profile-name`, 'title'), NAME, 'the full name on hover');
    // Edited in place: the check IDs (which exemptions name) are kept.
    await page.click(`${row} button:has-text("Edit")`);
    await page.fill('#profile-checks fieldset:nth-child(2) .check-warning', '80');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    profile = await api('GET', `/api/v1/profiles/${profile.id}`);
    assert.deepEqual(profile.checks.map((c) => [c.id, c.warning || 0]), [['service', 0], ['cpu', 80]]);
    await waitUntil(async () => (await page.textContent(row)).includes('warning 80'), 'the edited threshold in the list');
  });

  it('assigns the profile to the local device from the devices table', async () => {
    await page.click('a[data-nav=devices]');
    const cb = `#devices-table tbody tr[data-id="${local.id}"] td.sel input`;
    await page.waitForSelector(cb);
    await page.check(cb);
    await page.click('#bulk-profile');
    await page.selectOption('#assign-profile', profile.id);
    await shot(page, '71-devices-assign-profile');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    const as = await api('GET', '/api/v1/profile-assignments');
    assert.ok(as.some((a) => a.level === 'device' && a.device_id === local.id && a.profile_id === profile.id), JSON.stringify(as));
  });

  it('shows the checks in force on the device and exempts one', async () => {
    await page.goto(`${BASE}/devices/${local.id}/alerts`);
    const cpu = `#panel-alerts .checks-in-force tr[data-profile="${profile.id}"][data-check="cpu"]`;
    await page.waitForSelector(cpu);
    const text = await page.textContent('#panel-alerts .checks-in-force');
    assert.ok(text.includes(NAME) && text.includes('steward-e2e-no-such-service'), text);
    await page.click(`${cpu} button:has-text("Exempt on this device")`);
    await page.fill('#exempt-reason', 'load test box');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector(`${cpu} button:has-text("Remove exemption")`);
    assert.ok((await page.textContent(cpu)).includes('exempt'));
    await shot(page, '72-device-exempted');
    const dc = await api('GET', `/api/v1/devices/${local.id}/checks`);
    assert.deepEqual(dc.exemptions.map((e) => [e.profile_id, e.check_id, e.reason, e.by]), [[profile.id, 'cpu', 'load test box', USER]]);
    await page.click(`${cpu} button:has-text("Remove exemption")`);
    await page.waitForSelector(`${cpu} button:has-text("Exempt on this device")`);
    assert.equal((await api('GET', `/api/v1/devices/${local.id}/checks`)).exemptions.length, 0);
  });

  it('creates a weekly maintenance window, showing the refusal first', async () => {
    await page.click('a[data-nav=monitoring]');
    await page.click('#window-new');
    await page.fill('#window-name', 'Patch Tuesday <b>night</b>');
    await page.selectOption('#window-client', { label: 'Local' });
    await page.selectOption('#window-recur', 'weekly');
    await page.fill('#window-date', '2026-01-06');
    await page.fill('#window-time', '22:30');
    await page.fill('#window-minutes', '120');
    await page.fill('#window-tz', 'Europe/Paris');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await dialogError())?.includes('weekdays'), 'the weekdays refusal in the dialog');
    await page.check('#window-days input[aria-label=Tue]');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    const w = (await api('GET', '/api/v1/maintenance')).find((x) => x.name === 'Patch Tuesday <b>night</b>');
    assert.ok(w, 'the window was created');
    windowID = w.id;
    assert.equal(w.recur, 'weekly');
    assert.deepEqual(w.weekdays, [2]);
    assert.equal(w.time_zone, 'Europe/Paris');
    assert.equal(w.start, '2026-01-06T21:30:00Z', '22:30 in Paris in winter is 21:30 UTC');
    const row = `#windows-table tbody tr[data-id="${w.id}"]`;
    await page.waitForSelector(row);
    const t = await page.textContent(row);
    assert.ok(t.includes('Tue at 22:30') && t.includes('Europe/Paris') && t.includes('<b>night</b>'), t);
    assert.equal(await page.locator(`${row} b`).count(), 0);
    // The device assignment made by the bulk action names the device.
    await waitUntil(async () => (await page.textContent('#assignments-table')).includes(local.hostname), 'the assigned device by its hostname');
  });

  it('fits a 390 px window, then deletes the profile after a confirmation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/monitoring`);
    await page.waitForSelector(`#profiles-table tbody tr[data-id="${profile.id}"]`);
    const m = await page.evaluate(measure, true);
    await shot(page, '73-monitoring-narrow');
    assert.ok(m.docWidth <= m.winWidth, `the page is ${m.docWidth}px wide in a ${m.winWidth}px window`);
    assert.deepEqual(m.bad, [], 'text outside its card');
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, '74-monitoring');
    await page.click(`#profiles-table tbody tr[data-id="${profile.id}"] button:has-text("Delete")`);
    assert.ok((await page.textContent('dialog.modal')).includes(NAME));
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector(`#profiles-table tbody tr[data-id="${profile.id}"]`, { state: 'detached' });
    assert.ok(!(await api('GET', '/api/v1/profiles')).some((p) => p.id === profile.id), 'the profile is gone');
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
