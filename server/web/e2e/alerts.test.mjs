// Browser tests of monitoring: a default profile whose disk check fails
// on every device raises alerts; the Alerts page lists them (a hostile
// hostname stays text), searches and filters them; the devices table
// counts them; the device's Alerts tab shows the checks in force and
// resolves one; the overview lists what needs attention. Runs as a
// helpdesk user made through the API (the admin's first login, with its
// two-factor enrolment, belongs to dashboard.test.mjs), and removes its
// profile at the end, which resolves what it raised.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const TOKEN = process.env.STEWARD_ADMIN_TOKEN;
const USER = 'alerts-tech';
const PASSWORD = 'alerts-tech-password-1';

const guards = newGuards();
let browser;
let ctx;
let page;
let admin; // an API context with the admin's first-start token
let profile;
let local;
let hostile;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-alerts-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function api(method, path, data) {
  const r = await admin.fetch(`${BASE}${path}`, { method, data });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

const rows = () => page.$$eval('#alerts-table tbody tr', (trs) => trs.map((tr) => tr.dataset.id));

describe('alerts', { timeout: 180000 }, () => {
  before(async () => {
    assert.ok(BASE && TOKEN, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_TOKEN)');
    admin = await request.newContext({ ignoreHTTPSErrors: true, extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` } });
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
  });
  after(async () => {
    if (profile) await api('DELETE', `/api/v1/profiles/${profile.id}`).catch(() => {});
    await browser?.close();
    await admin?.dispose();
  });

  it('raises an alert on every device from a failing default profile', async () => {
    const list = await api('GET', '/api/v1/devices?limit=10');
    hostile = list.devices.find((d) => d.hostname.startsWith('<img'));
    local = list.devices.find((d) => d !== hostile);
    assert.ok(hostile && local, 'the local and the hostile device');
    profile = await api('POST', '/api/v1/profiles', { name: 'E2E disks', description: 'every volume below 100% free',
      checks: [{ kind: 'disk', warning: 100, fail_after: 1, pass_after: 1 }] });
    await api('POST', '/api/v1/profile-assignments', { level: 'default', profile: profile.id });
    await api('POST', '/api/v1/users', { name: USER, password: PASSWORD, role: 'helpdesk', all_clients: true });
    await waitUntil(async () => (await api('GET', '/api/v1/alerts?status=open')).alerts.length >= 2, 'two open alerts', 30000);
  });

  it('lists alerts, a hostile hostname as text, with search and filters', async () => {
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    assert.equal(r.stage, 'done');
    await page.click('a[data-nav=alerts]');
    await page.waitForSelector('#alerts-table tbody tr');
    await waitUntil(async () => (await rows()).length >= 2, 'two rows');
    assert.equal(await page.locator('#alerts-table img').count(), 0, 'markup in a hostname became an element');
    const text = await page.textContent('#alerts-table');
    assert.ok(text.includes(hostile.hostname), 'the hostile hostname shows as text');
    assert.ok(text.includes('warning') && text.includes('disk'), 'severity and category');
    assert.ok(await page.getAttribute('#alerts-table time', 'title'), 'created time has the full time on hover');
    await shot(page, '60-alerts');
    await page.fill('#alert-search', 'onerror');
    await waitUntil(async () => (await rows()).length === 1, 'search to leave the hostile device only');
    await page.fill('#alert-search', '');
    await page.selectOption('#alert-severity', 'critical');
    await waitUntil(async () => page.$('main .empty'), 'no critical alerts');
    await page.selectOption('#alert-severity', '');
    await page.selectOption('#alert-type', 'linux');
    await waitUntil(async () => (await rows()).length >= 1, 'linux devices only');
    await page.selectOption('#alert-type', '');
  });

  it('counts alerts in the devices table', async () => {
    await page.click('a[data-nav=devices]');
    const cell = `#devices-table tbody tr[data-id="${local.id}"] td[data-col=alerts] .badge[data-severity=warning]`;
    await page.waitForSelector(cell);
    assert.equal((await page.textContent(cell)).trim(), '1');
  });

  it('shows the checks in force on the device and resolves its alert', async () => {
    await page.goto(`${BASE}/devices/${local.id}/alerts`);
    await page.waitForSelector('#panel-alerts:not([hidden]) #alerts-table tbody tr');
    const panel = await page.textContent('#panel-alerts');
    assert.ok(panel.includes('E2E disks') && panel.includes('everything') && panel.includes('every volume'), panel);
    await shot(page, '61-device-alerts');
    await page.click('#panel-alerts #alerts-table tbody tr button:has-text("Resolve")');
    await page.fill('#resolve-reason', 'checked by the browser test');
    await page.click('dialog.modal button[type=submit]');
    await waitUntil(async () => (await page.textContent('#panel-alerts #alerts-table')).includes('resolved'), 'the alert resolved');
    const hist = await api('GET', `/api/v1/devices/${local.id}/alerts?status=resolved`);
    assert.equal(hist.alerts[0].resolved_by, USER);
    assert.equal(hist.alerts[0].reason, 'checked by the browser test');
  });

  it('lists what needs attention on the overview', async () => {
    await page.click('a[data-nav=overview]');
    await page.waitForSelector('#needs-attention');
    await waitUntil(async () => (await page.textContent('#needs-attention')).includes(hostile.hostname), 'the hostile device needs attention');
    await shot(page, '62-overview-attention');
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
