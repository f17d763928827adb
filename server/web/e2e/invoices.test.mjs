// Browser tests of invoices, as an admin made through the API (only
// admins hold the invoices permission; the first admin's login belongs to
// dashboard.test.mjs): the Invoices nav entry, a manual invoice with a
// hostile line made in the dialog and shown as text, billing from work
// refused in the dialog with the API's message (nothing billable in the
// period yet), the status actions, the PDF download, the client page's
// Invoices tab, paging with "Load more" and the outstanding totals, and
// every invoice page at 1440 and 390 px.
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
const USER = 'invoice-admin';
const PASSWORD = 'invoice-admin-password-1';
const HOSTILE = `<img src=x onerror=alert(1)> =cmd|' /C calc'!A0 (x) Tj W${'x'.repeat(120)}W`;

const guards = newGuards();
let browser;
let ctx;
let page;
let admin;
let csrf = '';
let invoiceID;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-invoices-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function api(method, path, data) {
  const r = await admin.fetch(`${BASE}${path}`, { method, data, headers: method === 'GET' ? {} : { 'X-CSRF-Token': csrf } });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

describe('invoices', { timeout: 240000 }, () => {
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
    }
    const me = await (await admin.get(`${BASE}/api/v1/me`)).json();
    if (me.csrf) csrf = me.csrf;
    await api('POST', '/api/v1/users', { name: USER, password: PASSWORD, role: 'admin', all_clients: true });
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
  });
  after(async () => {
    await browser?.close();
    await admin?.dispose();
  });

  it('makes a manual invoice in the dialog; its hostile line is text', async () => {
    const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('a[data-nav=invoices]');
    await page.click('a[data-nav=invoices]');
    await page.waitForSelector('#inv-new');
    await page.click('#inv-new');
    await page.waitForSelector('#inv-f-client');
    await page.selectOption('#inv-f-client', { label: 'Local' });
    await page.uncheck('#inv-f-work');
    await page.fill('#inv-f-desc', HOSTILE);
    await page.fill('#inv-f-qty', '2');
    await page.fill('#inv-f-price', '12.50');
    await page.fill('#inv-f-batch', 'Browser batch');
    await page.click('dialog.modal button[type=submit]');
    await page.waitForSelector('#inv-view');
    invoiceID = await page.getAttribute('#inv-view', 'data-invoice');
    assert.match(page.url(), /\/invoices\/inv/);
    assert.equal(await page.textContent('#inv-lines .inv-desc'), HOSTILE);
    assert.equal(await page.$('#inv-view img'), null, 'a hostile line became markup');
    assert.equal(await page.textContent('#inv-total'), '25.00 EUR');
    assert.match(await page.textContent('#inv-title'), /^Invoice INV-\d{6}$/);
    await shot(page, 'invoices-view');
  });

  it('bills a period\'s work from the dialog: the client\'s contract fees (contracts.test.mjs), or the API\'s refusal', async () => {
    await page.goto(`${BASE}/invoices`);
    await page.click('#inv-new');
    await page.waitForSelector('#inv-f-work');
    await page.click('dialog.modal button[type=submit]');
    let outcome = '';
    await waitUntil(async () => {
      if (await page.$('#inv-view')) outcome = 'invoice';
      else {
        const err = await page.$('dialog.modal .error:not([hidden])');
        if (err && /nothing to bill/.test(await err.textContent())) outcome = 'refused';
      }
      return outcome;
    }, 'an invoice from work, or the refusal in the dialog');
    if (outcome === 'refused') {
      await page.click('dialog.modal button[value=cancel]');
      return;
    }
    // The fees of the period's contracts become lines, their names text.
    const kinds = await page.$$eval('#inv-lines tr td:first-child', (tds) => tds.map((t) => t.textContent));
    assert.ok(kinds.includes('contract fee'), `lines billed from work: ${kinds}`);
    assert.equal(await page.$('#inv-view b'), null, 'a contract name became markup');
    await page.click('#inv-delete');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('#inv-view', { state: 'detached' });
  });

  it('moves the invoice to sent and downloads its PDF', async () => {
    await page.goto(`${BASE}/invoices/${invoiceID}`);
    await page.click('#inv-view button[data-status=sent]');
    await waitUntil(async () => (await page.textContent('#inv-view .badge')) === 'sent', 'status sent');
    assert.ok(await page.$('#inv-view button[data-status=paid]'), 'paid is offered next');
    assert.equal(await page.$('#inv-delete'), null, 'a sent invoice cannot be deleted');
    const href = await page.getAttribute('#inv-pdf', 'href');
    const res = await page.request.get(`${BASE}${href}`);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'application/pdf');
    assert.ok((await res.body()).subarray(0, 5).toString() === '%PDF-');
  });

  it('pages the list: 50 at a time, "Load more" adds the rest; the totals show what is outstanding', async () => {
    for (let i = 0; i < 55; i++) {
      await api('POST', '/api/v1/clients/Local/invoices', { batch: 'Paging batch', date: '2027-01-15',
        lines: [{ description: `paging ${i}`, quantity: 1, unit_price_cents: 100 }] });
    }
    await page.goto(`${BASE}/invoices`);
    await page.waitForSelector('#inv-table tbody tr');
    await waitUntil(async () => /Outstanding [\d,]+\.\d\d EUR \(\d+\)/.test(await page.textContent('#inv-totals')), 'the sent invoice is outstanding');
    await page.fill('#inv-search', 'Paging batch');
    // The unfiltered list also shows 50 rows (of every invoice): wait for
    // the search's answer, by its count.
    await waitUntil(async () => (await page.textContent('#inv-count')) === '50 of 55', 'the search\'s first page: 50 of 55');
    assert.equal((await page.$$('#inv-table tbody tr')).length, 50, 'a first page of 50');
    await page.click('#inv-more');
    await waitUntil(async () => (await page.$$('#inv-table tbody tr')).length === 55, 'the next page appended');
    assert.ok(await page.$eval('#inv-more', (b) => b.hidden), 'no more pages');
    const numbers = await page.$$eval('#inv-table .inv-number', (as) => as.map((a) => a.textContent));
    assert.equal(new Set(numbers).size, 55, 'no invoice twice');
  });

  it('lists and searches on the client tab', async () => {
    await page.goto(`${BASE}/clients/Local/invoices`);
    await page.waitForSelector('#inv-table tbody tr');
    const number = (await page.textContent('#inv-table .inv-number')).trim();
    await page.fill('#inv-search', 'no-such-invoice');
    await page.waitForSelector('#inv-list .empty');
    await page.fill('#inv-search', number);
    await page.waitForSelector('#inv-table tbody tr');
    assert.equal((await page.$$('#inv-table tbody tr')).length, 1);
    assert.match(await page.getAttribute('#inv-csv', 'href'), /format=csv/);
  });

  it('holds every invoice page at wide and narrow widths', async () => {
    const { problems } = await visitAll(page, BASE, [['invoices', '/invoices', '#inv-table tbody tr'],
      ['invoice', `/invoices/${invoiceID}`, '#inv-lines'], ['client-invoices', '/clients/Local/invoices', '#inv-table tbody tr']]);
    assert.deepEqual(problems, []);
  });

  it('raised no alert, CSP violation or page error', () => {
    assert.deepEqual(guards.dialogs, []);
    assert.deepEqual(guards.csp, []);
    assert.deepEqual(guards.pageErrors, []);
  });
});
