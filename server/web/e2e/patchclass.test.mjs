// Browser tests of patch classification and severity, as a technician
// made through the API: the Automation page's patch policy form sets
// classification checkboxes and a minimum severity (sent to the API,
// shown back in the profile list and in the edit dialog), the
// "Waiting for approval" list and the device's patch tab have class and
// severity columns (any patch the local agent reports pending shows
// there as text), and the page holds at 390 px.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const ADMIN_PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const SHARED = process.env.STEWARD_SHARED;
const USER = 'patchclass-tech';
const PASSWORD = 'patchclass-tech-password-1';
const NAME = `<b>Patch</b> by class ${'y'.repeat(40)}`;

const guards = newGuards();
let browser;
let ctx;
let page;
let admin;
let local;
let profile;
let csrf = '';

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-patchclass-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
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

let enrolledHere = false;
let adminID = '';

describe('patch classification', { timeout: 240000 }, () => {
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
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) ok = (await step('/api/v1/auth/totp', { code: await adminAuth.code() })).status === 200;
      assert.ok(ok, 'admin two-factor code');
    } else {
      const setup = await step('/api/v1/auth/totp/setup', {});
      adminAuth.secret = setup.body.secret;
      assert.equal((await step('/api/v1/auth/totp/confirm', { code: await adminAuth.code() })).status, 200, 'admin enrolment');
      enrolledHere = true;
    }
    const me = await (await admin.get(`${BASE}/api/v1/me`)).json();
    if (me.csrf) csrf = me.csrf;
    adminID = me.id;
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const list = await api('GET', '/api/v1/devices?limit=10');
    local = list.devices.find((d) => !d.hostname.startsWith('<img'));
    assert.ok(local, 'the local device');
    await api('POST', '/api/v1/users', { name: USER, password: PASSWORD, role: 'technician', all_clients: true });
  });
  after(async () => {
    const ps = await api('GET', '/api/v1/automation/profiles').catch(() => []);
    for (const p of ps) if (p.name === NAME) await api('DELETE', `/api/v1/automation/profiles/${p.id}`).catch(() => {});
    await browser?.close();
    // Files after this one (clients.test.mjs, dashboard.test.mjs) expect
    // the admin as run.sh made it: a two-factor enrolled here goes again.
    if (enrolledHere && adminID) {
      await admin.post(`${BASE}/api/v1/users/${adminID}/reset-2fa`, { data: {}, headers: { 'X-CSRF-Token': csrf } }).catch(() => {});
    }
    await admin?.dispose();
  });

  it('sets classifications and a minimum severity in the patch policy form', async () => {
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('a[data-nav=automation]');
    await page.click('a[data-nav=automation]');
    await page.waitForSelector('#auto-profile-new');
    await page.click('#auto-profile-new');
    await page.fill('#auto-name', NAME);
    await page.selectOption('#auto-client', { index: 0 });
    await page.fill('#auto-tasks', '[]');
    // Filters without a policy: refused in the dialog, nothing sent.
    await page.check('#auto-patch-classes input[value=critical]');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await dialogError())?.includes('refine a patch policy'), 'filters without a policy refused');
    await page.fill('#auto-patch', '{"auto":"none","weekdays":[3],"start":"02:00","minutes":120}');
    await page.check('#auto-patch-classes input[value=driver]');
    await page.selectOption('#auto-patch-severity', 'important');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    profile = (await api('GET', '/api/v1/automation/profiles')).find((p) => p.name === NAME);
    assert.ok(profile, 'the profile was created');
    assert.deepEqual([profile.patch.classifications, profile.patch.min_severity], [['critical', 'driver'], 'important']);
    const row = `#auto-profiles-table tbody tr[data-id="${profile.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.locator(`${row} b`).count(), 0, 'markup in the name became an element');
    assert.ok((await page.textContent(row)).includes('patches: none + classified critical, driver; important or worse'), 'the filters in words');
    // The edit dialog shows them checked, and the JSON box without them.
    await page.click(`${row} button:has-text("Edit")`);
    await page.waitForSelector('#auto-patch-classes');
    assert.ok(await page.isChecked('#auto-patch-classes input[value=critical]'), 'critical checked');
    assert.ok(await page.isChecked('#auto-patch-classes input[value=driver]'), 'driver checked');
    assert.ok(!(await page.isChecked('#auto-patch-classes input[value=security]')), 'security not checked');
    assert.equal(await page.inputValue('#auto-patch-severity'), 'important');
    assert.ok(!(await page.inputValue('#auto-patch')).includes('classifications'), 'the JSON box leaves the filters to the form');
    await page.uncheck('#auto-patch-classes input[value=driver]');
    await page.selectOption('#auto-patch-severity', '');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    const saved = (await api('GET', '/api/v1/automation/profiles')).find((p) => p.id === profile.id);
    assert.deepEqual([saved.patch.classifications, saved.patch.min_severity ?? ''], [['critical'], ''], 'the edit saved');
  });

  it('lists what waits for approval with class and severity, and the device patch tab has the columns', async () => {
    await api('POST', '/api/v1/automation/assignments', { level: 'device', device: local.id, profile: profile.id });
    await page.goto(`${BASE}/automation`);
    await page.waitForSelector('#auto-pending-panel');
    const h = await api('GET', `/api/v1/devices/${local.id}`);
    const avail = h.health?.patches?.available || [];
    const waiting = avail.filter((p) => p.classification !== 'critical');
    if (waiting.length) {
      await page.waitForSelector('#auto-pending-table tbody tr');
      const heads = await page.locator('#auto-pending-table thead th').allTextContents();
      assert.deepEqual(heads.slice(0, 6), ['Patch', 'Name', 'Class', 'Severity', 'Client', 'Devices']);
      const p = waiting.find((x) => x.classification) || waiting[0];
      const prow = page.locator(`#auto-pending-table tbody tr[data-patch="${p.id}"]`);
      if (p.classification) assert.ok((await prow.textContent()).includes(p.classification), 'the class shown');
    } else {
      await page.waitForSelector('#auto-pending-panel .empty, #auto-pending-panel p');
    }
    await page.goto(`${BASE}/devices/${local.id}/patches`);
    if (avail.length) {
      await page.waitForSelector('#patches-table thead th');
      const heads = await page.locator('#patches-table thead th').allTextContents();
      assert.ok(heads.includes('Class') && heads.includes('Severity'), `columns ${heads}`);
    }
    const { problems } = await visitAll(page, BASE, [['automation', '/automation', '#auto-profiles-table tbody tr']]);
    assert.deepEqual(problems, [], 'the page wider than the window or text outside its card');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
