// Browser tests of the device page's Files and Processes tabs, run by
// run.sh after dashboard.test.mjs against the same server. The real agent
// is gone by then (that file kills it); the simulated agent runs the real
// agent code, so its toolbox works on this machine's files. A technician
// made here by the admin (whose two-factor secret dashboard.test.mjs left
// in STEWARD_SHARED; alone, this file enrols the admin itself) logs in and
// enrols two-factor.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { request } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const ADMIN_PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const SHARED = process.env.STEWARD_SHARED;
const USER = 'files-tech';
const PASSWORD = 'files-tech-password-1';
// A long name that looks like markup: shown as text, cut with an ellipsis.
const LONG = `<img src=x onerror=alert(1)>${'L'.repeat(160)}.txt`;

const guards = newGuards();
const auth = new Authenticator();
let browser;
let ctx;
let page;
let dir;
let device;

const row = (name) => `#files-list tr[data-name="${name.replace(/["\\]/g, '\\$&')}"]`;

async function openFolder(path) {
  await page.fill('#files-path', path);
  await page.press('#files-path', 'Enter');
  await waitUntil(async () => (await page.inputValue('#files-path')) === path && !(await page.textContent('#files-state')).startsWith('Loading'),
    `the folder ${path}`);
}

async function submitModal() {
  await page.click('dialog.modal[open] button.primary');
  await page.waitForSelector('dialog.modal[open]', { state: 'detached' });
}

describe('files and processes', { timeout: 180000 }, () => {
  before(async () => {
    assert.ok(BASE && ADMIN_PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    dir = mkdtempSync(join(tmpdir(), 'steward-files-e2e-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, LONG), 'long name\n');
    writeFileSync(join(dir, 'sub', 'inner.txt'), 'inner\n');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    // The admin, in a request context of its own (cookie session).
    const adm = await request.newContext({ ignoreHTTPSErrors: true });
    const adminAuth = new Authenticator();
    const secretFile = SHARED && join(SHARED, 'admin-totp');
    let csrf = '';
    const step = async (path, data) => {
      const r = await adm.post(`${BASE}${path}`, { data, headers: csrf ? { 'X-CSRF-Token': csrf } : {} });
      const b = await r.json().catch(() => ({}));
      if (b.csrf) csrf = b.csrf;
      return { status: r.status(), body: b };
    };
    const first = await step('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    assert.equal(first.status, 200, 'admin password login');
    if (secretFile && existsSync(secretFile)) {
      adminAuth.secret = readFileSync(secretFile, 'utf8').trim();
      // A code is accepted once per time step: the dashboard's last one may
      // be this step's, so the next step is tried too.
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) ok = (await step('/api/v1/auth/totp', { code: await adminAuth.code() })).status === 200;
      assert.ok(ok, 'admin two-factor code');
    } else {
      const setup = await step('/api/v1/auth/totp/setup', {});
      adminAuth.secret = setup.body.secret;
      assert.equal((await step('/api/v1/auth/totp/confirm', { code: await adminAuth.code() })).status, 200, 'admin enrolment');
    }
    const me = await (await adm.get(`${BASE}/api/v1/me`)).json();
    if (me.csrf) csrf = me.csrf;
    const r = await adm.post(`${BASE}/api/v1/users`, { headers: { 'X-CSRF-Token': csrf },
      data: { name: USER, password: PASSWORD, role: 'technician', all_clients: true, clients: [] } });
    assert.equal(r.status(), 201, `create ${USER}: ${await r.text()}`);
    const list = await (await adm.get(`${BASE}/api/v1/devices?online=true&limit=10`)).json();
    await adm.dispose();
    device = list.devices.find((d) => d.online);
    assert.ok(device, 'an online device (the simulated agent)');
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as a technician with two-factor', async () => {
    const r = await login(page, BASE, USER, PASSWORD, auth);
    if (r.stage === 'done') {
      // Not required for technicians: enrol it, since writing files needs it.
      const me = await (await ctx.request.get(`${BASE}/api/v1/me`)).json();
      const headers = { 'X-CSRF-Token': me.csrf };
      const setup = await (await ctx.request.post(`${BASE}/api/v1/auth/totp/setup`, { headers })).json();
      auth.secret = setup.secret;
      const c = await ctx.request.post(`${BASE}/api/v1/auth/totp/confirm`, { headers, data: { code: await auth.code() } });
      assert.equal(c.status(), 200, `confirm: ${await c.text()}`);
    } else if (r.stage === 'setup') {
      await page.click('#recovery-done');
    }
    await page.waitForSelector('#main');
  });

  it('browses a folder: long hostile names stay text, cut with the full name on hover', async () => {
    await page.goto(`${BASE}/devices/${device.id}/files`);
    await page.waitForSelector('#panel-files:not([hidden])');
    await openFolder(dir);
    await page.waitForSelector(row(LONG));
    const cell = page.locator(`${row(LONG)} .file-name`);
    assert.equal(await cell.textContent(), LONG);
    assert.equal(await cell.getAttribute('title'), LONG);
    assert.ok(await cell.evaluate((e) => e.scrollWidth > e.clientWidth), 'the long name is cut');
    await shot(page, '70-files');
    // Into the subfolder and back by the breadcrumbs.
    await page.click(`${row('sub')} .file-name`);
    await page.waitForSelector(row('inner.txt'));
    await page.click(`#files-crumbs button[title="${dir}"]`);
    await page.waitForSelector(row(LONG));
  });

  it('creates a folder, uploads, downloads, renames and deletes', async () => {
    await page.click('#files-mkdir');
    await page.fill('#files-mkdir-input', 'made-here');
    await submitModal();
    await page.waitForSelector(row('made-here'));
    assert.ok(existsSync(join(dir, 'made-here')));

    const body = Buffer.from('uploaded from the browser\n'.repeat(1000));
    await page.setInputFiles('#files-upload-input', { name: 'up.txt', mimeType: 'text/plain', buffer: body });
    await page.waitForSelector(row('up.txt'));
    assert.deepEqual(readFileSync(join(dir, 'up.txt')), body);

    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`${row('up.txt')} a.button`)]);
    assert.equal(dl.suggestedFilename(), 'up.txt');
    assert.deepEqual(readFileSync(await dl.path()), body);

    await page.click(`${row('up.txt')} button:text("Rename")`);
    await page.fill('#files-rename-input', 'renamed.txt');
    await submitModal();
    await page.waitForSelector(row('renamed.txt'));
    assert.ok(existsSync(join(dir, 'renamed.txt')) && !existsSync(join(dir, 'up.txt')));

    await page.click(`${row('sub')} button:text("Delete")`);
    await page.waitForSelector('dialog.modal[open] .confirm-text');
    assert.match(await page.textContent('dialog.modal[open] .confirm-text'), /everything in it/);
    await submitModal();
    await waitUntil(async () => !(await page.$(row('sub'))), 'the folder gone from the list');
    assert.ok(!existsSync(join(dir, 'sub')));
  });

  it('shows processes while the tab is open, and asks nothing while it is closed', async () => {
    let calls = 0;
    page.on('request', (r) => { if (r.url().includes(`/devices/${device.id}/processes`)) calls++; });
    await page.click('#tab-processes');
    await page.waitForSelector('#processes-list tr[data-pid]');
    await waitUntil(async () => calls >= 2, 'a live refresh', 15000);
    await page.fill('#processes-filter', String(process.pid));
    await waitUntil(async () => (await page.$$('#processes-list tr[data-pid]')).length === 1, 'the filter to one process');
    await shot(page, '71-processes');
    await page.click('#tab-files');
    await new Promise((r) => setTimeout(r, 500));
    const before = calls;
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal(calls, before, 'no process requests while the tab is closed');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
