// Browser tests of automation from the dashboard, as a technician made
// through the API: an automation profile with a hostile, long name is
// created on the Automation page (the API's 400 for a bad task shown in
// the dialog first), assigned to the local device by the devices table's
// bulk action "Assign automation profile…", seen in force on the device's
// Alerts tab where its task is exempted and put back, shown in the
// compliance table, and the page holds at 390 px. The profile is deleted
// through the page at the end. The admin calls the API with a session of
// its own, as monitoring.test.mjs does.
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
const USER = 'automation-tech';
const PASSWORD = 'automation-tech-password-1';
const NAME = `<img src=x onerror=alert(1)> W${'x'.repeat(60)}W nightly`;

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
      await shot(page, `FAILED-automation-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
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

describe('automation', { timeout: 240000 }, () => {
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
    if (local) await api('PATCH', `/api/v1/clients/${local.client}`, { time_zone: '' }).catch(() => {});
    await browser?.close();
    // Files after this one (clients.test.mjs, dashboard.test.mjs) expect
    // the admin as run.sh made it: a two-factor enrolled here goes again.
    if (enrolledHere && adminID) {
      await admin.post(`${BASE}/api/v1/users/${adminID}/reset-2fa`, { data: {}, headers: { 'X-CSRF-Token': csrf } }).catch(() => {});
    }
    await admin?.dispose();
  });

  it('creates an automation profile, showing the API refusal in the dialog', async () => {
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('a[data-nav=automation]');
    await page.click('a[data-nav=automation]');
    await page.waitForSelector('#auto-profile-new');
    await page.click('#auto-profile-new');
    await page.fill('#auto-name', NAME);
    await page.selectOption('#auto-client', { index: 0 });
    await page.fill('#auto-tasks', '[{"id":"nightly","name":"nightly scan","action":"patch-scan","schedule":{"kind":"daily","at":"25:00"}}]');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await dialogError())?.includes('HH:MM'), 'the API refusal shown in the dialog');
    assert.equal(await page.inputValue('#auto-name'), NAME, 'what was typed is kept');
    await page.fill('#auto-tasks', '[{"id":"nightly","name":"nightly scan","action":"patch-scan","schedule":{"kind":"daily","at":"03:00","time_zone":"Europe/Paris"},"spread_seconds":1800},'
      + '{"id":"tick","name":"four-hourly scan","action":"patch-scan","schedule":{"kind":"every","every":14400}}]');
    // "starting at" anchors the every task (a future time: nothing runs during the test).
    await page.fill('#auto-start', '2031-12-07T08:00');
    // A patch policy installing nothing by itself (auto none, nothing
    // approved: the local device is this machine), its restart at 22:00
    // with two postponements from the form's fields.
    await page.fill('#auto-patch', '{"auto":"none","weekdays":[3],"start":"02:00","minutes":120,"reboot":"if-required"}');
    await page.fill('#auto-reboot-at', '22:00');
    await page.fill('#auto-max-deferrals', '2');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    profile = (await api('GET', '/api/v1/automation/profiles')).find((p) => p.name === NAME);
    assert.ok(profile, 'the profile was created');
    assert.deepEqual(profile.tasks.map((t) => [t.id, t.schedule.at, t.schedule.time_zone, t.spread_seconds]), [['nightly', '03:00', 'Europe/Paris', 1800], ['tick', undefined, undefined, undefined]]);
    assert.equal(new Date(profile.tasks[1].schedule.start).getTime(), new Date('2031-12-07T08:00').getTime(), 'the every task anchored at "starting at"');
    assert.equal(profile.tasks[0].schedule.start, undefined, 'a daily task takes no start');
    const pp = profile.patch;
    assert.deepEqual([pp.reboot, pp.reboot_at, pp.max_deferrals, pp.defer_minutes], ['at-time', '22:00', 2, 60], 'the restart fields saved');
    const row = `#auto-profiles-table tbody tr[data-id="${profile.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.locator(`${row} img`).count(), 0, 'markup in a profile name became an element');
    assert.ok((await page.textContent(row)).includes(NAME), 'the hostile name shows as text');
    assert.ok((await page.textContent(row)).includes('daily at 03:00 (Europe/Paris)'), 'the schedule in words');
    assert.ok((await page.textContent(row)).includes('reboot at-time 22:00, the user may postpone 2× by 60 min'), 'the restart in words');
  });

  it('assigns it by the devices bulk action and shows it in force on the device', async () => {
    await page.goto(`${BASE}/devices`);
    const box = `#devices-table tbody tr[data-id="${local.id}"] input[type=checkbox]`;
    await page.waitForSelector(box);
    await page.check(box);
    await page.click('#bulk-automation');
    await page.selectOption('#auto-assign-profile', profile.id);
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    const as = await api('GET', '/api/v1/automation/assignments');
    assert.ok(as.some((a) => a.level === 'device' && a.device_id === local.id && a.profile_id === profile.id), 'the device assignment');
    await page.goto(`${BASE}/devices/${local.id}/alerts`);
    const task = `#device-tasks tr[data-task="nightly"]`;
    await page.waitForSelector(task);
    assert.ok((await page.textContent(task)).includes('this device'), 'where the task comes from');
    await page.click(`${task} button:has-text("Exempt on this device")`);
    await waitUntil(async () => (await page.textContent(task)).includes('exempt'), 'the task exempted');
    const dt = await api('GET', `/api/v1/devices/${local.id}/automation`);
    assert.equal(dt.exemptions.length, 1, 'the exemption stored');
    await page.click(`${task} button:has-text("Put back")`);
    await waitUntil(async () => !(await page.textContent(task)).includes('Put back'), 'the task back');
  });

  it('sets the client time zone on its overview and runs the task in it', async () => {
    const task = `#device-tasks tr[data-task="nightly"]`;
    await page.waitForSelector(`${task} [data-zone="Europe/Paris"]`);
    assert.ok((await page.textContent(task)).includes('(Europe/Paris)'), 'the next run in the schedule\'s zone');
    await page.goto(`${BASE}/clients/${local.client}`);
    await page.click('#client-edit');
    await page.fill('#edit-time_zone', 'Mars/Olympus');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await dialogError())?.includes('unknown time zone'), 'the bad zone refused in the dialog');
    await page.fill('#edit-time_zone', 'Asia/Tokyo');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    await waitUntil(async () => (await page.textContent('#client-time-zone')) === 'Asia/Tokyo', 'the zone on the overview');
    await page.goto(`${BASE}/automation`);
    const row = `#auto-profiles-table tbody tr[data-id="${profile.id}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button:has-text("Edit")`);
    await page.selectOption('#auto-zone', 'client');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('dialog.modal', { state: 'detached' });
    const p = (await api('GET', '/api/v1/automation/profiles')).find((x) => x.id === profile.id);
    assert.equal(p.tasks[0].schedule.time_zone, 'client', 'the form set the schedule\'s zone');
    await page.goto(`${BASE}/devices/${local.id}/alerts`);
    await page.waitForSelector(`${task} [data-zone="Asia/Tokyo"]`);
    const dt = await api('GET', `/api/v1/devices/${local.id}/automation`);
    const next = new Date(dt.tasks.find((x) => x.task.id === 'nightly').next_run);
    const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(next);
    assert.ok(/^03:[0-2]\d$/.test(hm), `next run ${hm} Tokyo: within the half-hour spread after 03:00`);
  });

  it('lists compliance and holds at both widths, then deletes the profile', async () => {
    await page.goto(`${BASE}/automation`);
    await page.waitForSelector(`#auto-compliance-table tbody tr[data-device="${local.id}"]`);
    const { problems } = await visitAll(page, BASE, [['automation', '/automation', '#auto-profiles-table tbody tr']]);
    assert.deepEqual(problems, [], 'the page wider than the window or text outside its card');
    const row = `#auto-profiles-table tbody tr[data-id="${profile.id}"]`;
    await page.click(`${row} button:has-text("Delete")`);
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector(row, { state: 'detached' });
    assert.ok(!(await api('GET', '/api/v1/automation/profiles')).some((p) => p.id === profile.id), 'the profile deleted');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
