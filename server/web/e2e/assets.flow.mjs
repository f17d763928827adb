// Browser test of the assets tab: an asset added through the dialog, a
// CSV import previewed (every bad row with its line) and then applied,
// grouping by type, hostile names as text. run.sh starts a server of its
// own for it; it logs in as its admin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const HOSTILE = '<img src=x onerror=alert(1)> =cmd|\' /C calc\'!A0';
const guards = newGuards();
const auth = new Authenticator();
let browser;
let ctx;
let page;
const csv = join(mkdtempSync(join(tmpdir(), 'steward-assets-')), 'assets.csv');
writeFileSync(csv, `name,serial,type,status,warranty_expiry\n"${HOSTILE.replaceAll('"', '""')}",SN-1,laptop,in use,2027-01-01\nPhone,SN-2,phone,in stock,\nNo serial,,laptop,,\nBad,SN-3,laptop,stolen,\n`);

describe('assets tab', { timeout: 120000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const r = await login(page, BASE, 'admin', PASSWORD, auth);
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('#main');
  });
  after(async () => {
    await browser?.close();
  });

  it('adds an asset through the dialog', async () => {
    await page.goto(`${BASE}/clients/Local/assets`);
    await page.waitForSelector('#asset-list .empty, #asset-table');
    await page.click('#asset-new');
    await page.fill('#asset-f-name', 'Core switch');
    await page.fill('#asset-f-type', 'network');
    await page.fill('#asset-f-serial', 'SW-1');
    await page.click('dialog .dialog-buttons button[type=submit]');
    await page.waitForSelector('#asset-table tbody tr[data-asset]');
    assert.equal(await page.textContent('#asset-table .asset-name'), 'Core switch');
  });

  it('previews a CSV import with its bad rows, then applies the good ones', async () => {
    await page.setInputFiles('#asset-csv', csv);
    await page.waitForSelector('#asset-import-preview');
    assert.match(await page.textContent('#asset-import-preview'), /2 to create, 0 to update, 0 unchanged, 2 bad rows/);
    const errs = await page.$$eval('#asset-import-errors tbody tr', (rs) => rs.map((r) => r.textContent));
    assert.equal(errs.length, 2);
    assert.match(errs[0], /^4serial is required/);
    assert.match(errs[1], /^5status must be one of/);
    await shot(page, 'assets-import-preview');
    await page.click('dialog .dialog-buttons button[type=submit]');
    await waitUntil(async () => (await page.$$('#asset-table tbody tr[data-asset]')).length === 3, 'three assets');
    assert.equal(await page.$('#asset-table img'), null, 'a hostile name became markup');
    assert.ok((await page.textContent('#asset-table')).includes(HOSTILE));
  });

  it('groups by type', async () => {
    await page.selectOption('#asset-group', 'type');
    await waitUntil(async () => (await page.$$('#asset-table tr.group-row')).length === 3, 'three type groups');
    const groups = await page.$$eval('#asset-table tr.group-row', (rs) => rs.map((r) => r.textContent));
    assert.deepEqual(groups, ['laptop · 1', 'network · 1', 'phone · 1']);
  });

  it('shows the tab at wide and narrow widths', async () => {
    const { problems } = await visitAll(page, BASE, [['client-assets', '/clients/Local/assets', '#asset-table tbody tr']]);
    assert.deepEqual(problems, []);
  });

  it('raised no alert, CSP violation or page error', () => {
    assert.deepEqual(guards.dialogs, []);
    assert.deepEqual(guards.csp, []);
    assert.deepEqual(guards.pageErrors, []);
  });
});
