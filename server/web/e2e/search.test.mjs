// Browser test of the help-desk search: the top bar's box opens the
// results page; a phone number typed in a national form finds the contact
// stored in international form; results are grouped with their client;
// "search in this client" narrows; "View as customer" shows the server's
// reason when it is not available; "Verify caller" sends (refused here:
// the test server has no SMTP, and the page says so) and checks a code;
// hostile names stay text; the page fits 1440 and 390 px windows. Run by
// run.sh against the shared server, signed in as an admin.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator, freshAdmin, releaseTwoFactor } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const HOSTILE = '<img src=x onerror=alert(1)> Ann';

const guards = newGuards();
let browser;
let ctx;
let page;
let rc;
let client;
let contact;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-search-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

let csrf = '';
/** call uses the signed-in page's session (cookie and CSRF token). */
async function call(method, path, data) {
  if (!csrf) csrf = (await (await ctx.request.get(`${BASE}/api/v1/me`)).json()).csrf;
  const r = await ctx.request.fetch(`${BASE}${path}`, { method, data, headers: { 'X-CSRF-Token': csrf } });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

let enrolled = false;

describe('help-desk search', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    rc = await request.newContext({ baseURL: BASE, ignoreHTTPSErrors: true });
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const [user, pw] = await freshAdmin(BASE, PASSWORD);
    enrolled = (await login(page, BASE, user, pw, new Authenticator())).stage === 'setup';
    if (await page.$('#recovery-done')) await page.click('#recovery-done');
    await page.waitForSelector('#topbar-search');
    client = await call('POST', '/api/v1/clients', { name: 'Searchable <b>Widgets</b>' });
    await call('PATCH', `/api/v1/clients/${client.id}`, { domains: ['searchable-widgets.example'] });
    contact = await call('POST', `/api/v1/clients/${client.id}/contacts`, { name: HOSTILE, email: 'ann@searchable-widgets.example',
      phone: '+1-212-456-7890', sip: 'sip:ann@pbx.searchable-widgets.example' });
  });

  after(async () => {
    if (enrolled) await releaseTwoFactor(ctx, BASE).catch(() => {});
    await browser?.close();
    await rc?.dispose();
  });

  it('finds a contact by a phone number typed in national form, from the top bar', async () => {
    await page.fill('#topbar-search', '(212) 456-7890');
    await page.press('#topbar-search', 'Enter');
    await page.waitForSelector(`#results-contacts tr[data-id="${contact.id}"]`);
    assert.match(page.url(), /\/search\?q=/);
    const row = `#results-contacts tr[data-id="${contact.id}"]`;
    assert.equal(await page.textContent(`${row} td:first-child a`), HOSTILE, 'the hostile name is text');
    assert.equal(await page.textContent(`${row} td:nth-child(2) a`), 'Searchable <b>Widgets</b>');
    assert.equal(await page.getAttribute(`${row} td:nth-child(2) a`, 'href'), `/clients/${client.id}`);
    assert.match(await page.textContent(`${row} .matched`), /phone/);
    assert.match(await page.textContent('#search-scope'), /\+12124567890/);
    assert.equal(await page.$('img[src=x]'), null, 'no markup from data');
    await shot(page, '70-search-phone');
  });

  it('narrows to one client, and back', async () => {
    await page.click(`#results-contacts tr[data-id="${contact.id}"] a.narrow`);
    await page.waitForURL(/client=/);
    await page.waitForSelector(`#results-contacts tr[data-id="${contact.id}"]`);
    assert.match(await page.textContent('#search-scope'), /in Searchable <b>Widgets<\/b>/);
    assert.equal(await page.$('a.narrow'), null, 'no "search in this client" inside one client');
    await page.click('#search-all-clients');
    await page.waitForURL((u) => !u.search.includes('client='));
  });

  it('finds the client by its domain and says why "View as customer" is not available', async () => {
    await page.fill('#search-q', 'SEARCHABLE-WIDGETS.example');
    await page.press('#search-q', 'Enter');
    const row = `#results-clients tr[data-id="${client.id}"]`;
    await page.waitForSelector(row);
    const before = page.url();
    await page.click(`${row} button.view-as`);
    await waitUntil(async () => (await page.textContent(`${row} .why`)).trim() !== '', 'the reason shown');
    assert.equal(page.url(), before, 'no navigation when the view is refused');
    await shot(page, '71-search-client');
  });

  it('verifies a caller: the send is refused without SMTP, a check without a code says so', async () => {
    await page.fill('#search-q', 'sip:ann@pbx.searchable-widgets.example');
    await page.press('#search-q', 'Enter');
    const row = `#results-contacts tr[data-id="${contact.id}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button.verify-open`);
    await page.waitForSelector('.verify-row:not([hidden]) .verify-send');
    await page.click('.verify-row:not([hidden]) .verify-send');
    await waitUntil(async () => /not configured/.test(await page.textContent('.verify-row:not([hidden]) .verify-status')), 'the send refused');
    await page.fill('.verify-row:not([hidden]) .verify-code', '123456');
    await page.click('.verify-row:not([hidden]) .verify-check');
    await waitUntil(async () => /Not verified: no code is outstanding/.test(await page.textContent('.verify-row:not([hidden]) .verify-status')),
      'the check answered');
    assert.ok(await page.$('.verify-row:not([hidden]) .verify-status.failed'));
    const audit = await call('GET', '/api/v1/audit?action=contact.verify.failed');
    assert.ok(audit.some((e) => e.target === contact.id && e.detail?.outcome === 'none'), 'the failed check is audited');
    await shot(page, '72-search-verify');
  });

  it('says when nothing is found', async () => {
    await page.goto(`${BASE}/search?q=${encodeURIComponent('zz-no-such-thing-42')}`);
    await page.waitForSelector('#search-none');
  });

  it('keeps the results inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [['search', `/search?q=${encodeURIComponent('ann')}`, '#results-contacts tbody tr'],
      ['search-empty', '/search', '#search-form']]);
    assert.deepEqual(problems, [], 'pages wider than the window or text outside its card');
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
