// Browser tests of seats and the devices tab extras: the Seats & devices
// page (counts linking to the holders on the users page), retiring and
// restoring a device, and the favourites filter. Run by run.sh after the
// other files, against the same server; it signs in as the first admin
// when that admin has no second factor yet (this file alone), else as the
// admin-e2e account the dashboard file leaves without one.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator, freshAdmin, releaseTwoFactor } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;

const guards = newGuards();
let browser;
let ctx;
let page;
let dev; // the device starred, retired and restored

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-seats-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

const rowSel = (id) => `#devices-table tbody tr[data-id="${id}"]`;
const rowIDs = () => page.$$eval('#devices-table tbody tr', (rows) => rows.map((r) => r.dataset.id)).catch(() => []);

async function apiGet(path) {
  const r = await ctx.request.get(`${BASE}${path}`);
  assert.equal(r.status(), 200, `GET ${path}: ${r.status()}`);
  return r.json();
}

let enrolled = false;

describe('seats and devices extras', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const [user, pw] = await freshAdmin(BASE, PASSWORD);
    enrolled = (await login(page, BASE, user, pw, new Authenticator())).stage === 'setup';
    if (await page.$('#recovery-done')) await page.click('#recovery-done');
    await page.waitForSelector('nav a[data-nav=seats]');
  });

  after(async () => {
    if (enrolled) await releaseTwoFactor(ctx, BASE).catch(() => {});
    await browser?.close();
  });

  it('shows seats and devices in use, each count linking to its holders', async () => {
    await page.click('nav a[data-nav=seats]');
    await page.waitForSelector('#seats-table tbody tr[data-module=devices]');
    const seats = await apiGet('/api/v1/seats');
    const rs = seats.modules.find((m) => m.module === 'remote_support');
    assert.ok(rs.used >= 1, 'the admin holds a remote support seat');
    assert.equal((await page.textContent('#seats-table tr[data-module=remote_support] .seat-used')).trim(), String(rs.used));
    assert.equal((await page.textContent('#seats-table tr[data-module=remote_support] .seat-limit')).trim(), 'unlimited');
    assert.equal((await page.textContent('#seats-table tr[data-module=devices] .seat-used')).trim(), String(seats.devices.used));
    assert.ok(await page.$('#plan-form #plan-device_limit'), 'an admin gets the limits form');
    await shot(page, '60-seats');
    await page.click('#seats-table tr[data-module=remote_support] .seat-used a');
    await page.waitForSelector('#seat-filter');
    await page.waitForSelector('#users-table tbody tr');
    const rows = await page.$$eval('#users-table tbody tr', (trs) => trs.map((tr) => tr.querySelector('.seat-toggle[data-module=remote_support]').checked));
    assert.equal(rows.length, rs.used, 'the users page lists exactly the holders');
    assert.ok(rows.every(Boolean));
    await shot(page, '61-users-with-seats');
  });

  it('stars a device and filters on favourites', async () => {
    const list = await apiGet('/api/v1/devices?limit=10');
    assert.ok(list.devices.length >= 1, 'a device to work with');
    dev = list.devices[0];
    await page.goto(`${BASE}/devices`);
    await page.waitForSelector(rowSel(dev.id));
    if (!(await page.$(`${rowSel(dev.id)} td[data-col=fav]`))) {
      // Saved column preferences from before the star: turn it on.
      await page.click('#column-chooser summary');
      await page.check('#column-chooser input[data-col=fav]');
      await page.click('#column-chooser summary');
    }
    await page.click(`${rowSel(dev.id)} td[data-col=fav] button`);
    await waitUntil(async () => (await apiGet(`/api/v1/devices/${dev.id}`)).device.favorite, 'the star stored');
    await page.selectOption('#filter-favorite', 'true');
    await waitUntil(async () => { const ids = await rowIDs(); return ids.length === 1 && ids[0] === dev.id; }, 'only the favourite listed');
    await shot(page, '62-favourites');
    await page.selectOption('#filter-favorite', '');
  });

  it('retires a device from its page and restores it in bulk', async () => {
    await page.goto(`${BASE}/devices/${dev.id}`);
    await page.click('#device-retire');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('#device-retired');
    await page.waitForSelector('#retired-notice');
    await shot(page, '63-device-retired');
    assert.equal((await apiGet(`/api/v1/devices/${dev.id}`)).device.retired, true);
    await page.goto(`${BASE}/devices`);
    await page.waitForSelector('#devices-table tbody tr, #no-devices');
    assert.ok(!(await rowIDs()).includes(dev.id), 'a retired device is not in the default list');
    await page.selectOption('#filter-retired', 'true');
    await page.waitForSelector(rowSel(dev.id));
    assert.ok(await page.$(`${rowSel(dev.id)} .badge.retired`), 'the row says retired');
    await page.check(`${rowSel(dev.id)} td.sel input`);
    await page.click('#bulk-restore');
    await waitUntil(async () => !(await apiGet(`/api/v1/devices/${dev.id}`)).device.retired, 'the device restored');
    await page.selectOption('#filter-retired', '');
    await page.waitForSelector(rowSel(dev.id));
    const audit = await apiGet('/api/v1/audit?action=device.restore');
    assert.ok(audit.some((e) => e.target === dev.id), 'the restore is audited');
    // Leave it as found: unstarred.
    await ctx.request.fetch(`${BASE}/api/v1/devices/${dev.id}/favorite`, { method: 'DELETE',
      headers: { 'X-CSRF-Token': (await apiGet('/api/v1/me')).csrf } });
  });

  it('keeps the seats page inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [['seats', '/seats', '#seats-table tbody tr'],
      ['users-seat', '/users?seat=remote_support', '#users-table tbody tr']]);
    assert.deepEqual(problems, [], 'pages wider than the window or text outside its card');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
