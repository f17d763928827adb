// Browser tests of the client page (issue 16), against the server run.sh
// starts: the admin defines custom and pinned fields and writes hostile
// text into the "Hostile Corp" client and its contacts, then walks the
// clients list and every tab of the client page. This file runs before
// dashboard.test.mjs, whose first step is the admin's first login with
// two-factor enrolment: so this file ends by removing the two-factor it
// enrolled (POST /api/v1/users/{id}/reset-2fa on the admin itself), which
// leaves the admin as run.sh made it. Screenshots: clients-NN-*.png in
// the artifacts directory.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const RLO = '\u202E';
const WORD200 = `W${'x'.repeat(198)}W`;
const HOSTILE = `<img src=x onerror=alert(1)> =cmd|' /C calc'!A0 ${WORD200}`;

const guards = newGuards();
let browser;
let page;
let ctx;
let csrf = '';
let client; // Hostile Corp
const shots = [];

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-clients-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function call(method, path, data, want = [200, 201]) {
  const r = await ctx.request.fetch(`${BASE}${path}`, { method, data, headers: { 'X-CSRF-Token': csrf } });
  const body = await r.json().catch(() => null);
  assert.ok(want.includes(r.status()), `${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
  return body;
}

async function snap(name) {
  shots.push(await shot(page, `clients-${name}`));
}

async function openTab(id) {
  await page.click(`#client-tab-${id}`);
  await page.waitForSelector(`#client-panel-${id}:not([hidden])`);
  assert.ok(new URL(page.url()).pathname.endsWith(`/${id}`), `the URL names the ${id} tab`);
  assert.ok(await page.isVisible('#pinned-strip'), `the pinned fields are above the ${id} tab`);
}

const importCSV = (n) => `First Name,Last Name,E-mail Address,Business Phone,Job Title\n${
  Array.from({ length: n }, (_, i) => `Import,Person ${i},import${i}@hostile.example,+44 20 7946 ${String(i).padStart(4, '0')},Role ${i}`).join('\n')}\n`
  + 'Bad,Row,not-an-address,,\n';

describe('client page', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
  });
  after(async () => {
    await browser?.close();
  });

  it('sets up fields, pins, a hostile overview and contacts through the API', async () => {
    const r0 = await login(page, BASE, 'admin', PASSWORD, new Authenticator());
    assert.equal(r0.stage, 'setup', 'this file runs first: the admin enrols two-factor here');
    await page.click('#recovery-done');
    await page.waitForSelector('#overview-tiles .tile');
    csrf = (await (await ctx.request.get(`${BASE}/api/v1/me`)).json()).csrf;
    const cs = await call('GET', '/api/v1/clients');
    client = cs.find((c) => c.name === 'Hostile Corp');
    assert.ok(client, 'run.sh made the Hostile Corp client');
    const plan = await call('POST', '/api/v1/client-fields', { label: 'Plan', type: 'choice', options: ['Gold', 'Silver'] });
    const managed = await call('POST', '/api/v1/client-fields', { label: 'Managed', type: 'bool' });
    const note = await call('POST', '/api/v1/client-fields', { label: 'Contract <b>note</b>', type: 'text' });
    await call('PUT', '/api/v1/client-pinned', { keys: ['ranking', 'phone'] }, [400]);
    await call('PUT', '/api/v1/client-pinned', { keys: ['ranking', plan.id, 'phone', 'website', managed.id] });
    await call('PATCH', `/api/v1/clients/${client.id}`, { phone: '+44 20 7946 0958', address: `1 ${WORD200} Street\n<b>London</b>`,
      postcode: 'SW1A 1AA', website: 'https://example.com/<script>', domains: ['hostile.example', 'a-very-long-subdomain-name-for-wrapping.hostile.example'],
      company_number: "=cmd|' /C calc'!A0", ranking: 5, notes: HOSTILE, custom: { [plan.id]: 'Gold', [managed.id]: 'yes', [note.id]: HOSTILE } });
    // A bidi override is refused with a clear message; markup and formulas are text.
    const r = await ctx.request.fetch(`${BASE}/api/v1/clients/${client.id}/contacts`, { method: 'POST', headers: { 'X-CSRF-Token': csrf },
      data: { name: `Evil ${RLO}gnp.exe`, email: 'evil@hostile.example' } });
    assert.equal(r.status(), 400);
    assert.match((await r.json()).error, /bidi/);
    for (const [name, email, title] of [['<img src=x onerror=alert(1)>', 'img@hostile.example', HOSTILE.slice(0, 200)],
      ["=cmd|' /C calc'!A0", 'formula@hostile.example', '<script>alert(1)</script>'], [WORD200, 'long@hostile.example', WORD200],
      ['Zzq Findme', 'findme@hostile.example', 'Findable']]) {
      await call('POST', `/api/v1/clients/${client.id}/contacts`, { name, email, job_title: title, phone: '+1 212 555 2368', sip: `sip:${email}` });
    }
  });

  it('lists clients with ranking and counts, and opens a client page from the list', async () => {
    await page.goto(`${BASE}/clients`);
    const row = `#clients-table tbody tr[data-client="${client.id}"]`;
    await page.waitForSelector(row);
    assert.equal((await page.textContent(`${row} [data-ranking]`)).trim(), 'critical');
    await page.fill('#clients-search', 'a-very-long-subdomain');
    await waitUntil(async () => (await page.$$('#clients-table tbody tr')).length === 1, 'the search by domain');
    await page.selectOption('#clients-ranking', '1');
    await page.waitForSelector('#clients-table', { state: 'detached' });
    await page.selectOption('#clients-ranking', '');
    await page.fill('#clients-search', '');
    await page.waitForSelector(row);
    // The admin's panel: custom fields, and pins refused below 3.
    await page.click('#client-fields-admin summary');
    await waitUntil(async () => (await page.$$('#custom-fields-table tbody tr')).length === 3, 'the three custom fields');
    for (const el of await page.$$('#pinned-fields input.pin-order')) {
      if ((await el.inputValue()) && !['ranking', 'phone'].includes(await el.getAttribute('data-key'))) await el.fill('');
    }
    await page.click('#pins-save');
    await page.waitForSelector('.toast:has-text("pin between 3 and 6 fields (got 2)")');
    await snap('01-list');
    await page.reload();
    await page.waitForSelector(row);
    await page.click(`${row} .client-link`);
    await page.waitForSelector('#pinned-strip .pin');
    assert.equal(new URL(page.url()).pathname, `/clients/${client.id}`);
  });

  it('shows the overview under the pinned fields, hostile text as text', async () => {
    await page.waitForSelector('#client-panel-overview .facts');
    const pins = await page.$$eval('#pinned-strip .pin', (els) => els.map((e) => `${e.querySelector('.pin-label').textContent}=${e.querySelector('.pin-value').textContent}`));
    assert.deepEqual(pins, ['Ranking=critical', 'Plan=Gold', 'Phone=+44 20 7946 0958', 'Website=https://example.com/<script>', 'Managed=yes']);
    const map = await page.$('#client-map-link');
    assert.match(await map.getAttribute('href'), /^https:\/\/www\.openstreetmap\.org\/search\?query=1\+Wx+/);
    assert.equal(await map.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await page.getAttribute('#client-website', 'rel'), 'noopener noreferrer');
    assert.equal(await page.$('main img[src=x]'), null, 'markup in data became an element');
    const text = await page.textContent('#client-panel-overview');
    assert.ok(text.includes("=cmd|' /C calc'!A0") && text.includes('<img src=x onerror=alert(1)>') && text.includes('Contract <b>note</b>'));
    await snap('02-overview');
  });

  it('lists, searches, adds, disables and imports contacts, with columns kept per user', async () => {
    await openTab('contacts');
    await page.waitForSelector('#contacts-table tbody tr');
    assert.equal(await page.$('main img[src=x]'), null);
    await page.fill('#contact-search', 'zzq');
    await waitUntil(async () => (await page.$$('#contacts-table tbody tr')).length === 1, 'the search for zzq');
    await page.fill('#contact-search', '');
    await waitUntil(async () => (await page.$$('#contacts-table tbody tr')).length === 4, 'the four contacts');
    await snap('03-contacts');

    // Columns: hide the job title, move the e-mail first after the name; kept after a reload.
    await page.click('#contact-columns summary');
    await page.uncheck('#contact-columns input[data-col=job_title]');
    await page.click('#contact-columns button[data-move=email-up]');
    const order = async () => page.$$eval('#contacts-table thead th[data-col]', (ths) => ths.map((t) => t.dataset.col));
    assert.deepEqual((await order()).slice(0, 2), ['email', 'name']);
    assert.ok(!(await order()).includes('job_title'));
    await waitUntil(async () => {
      const p = await page.evaluate(() => fetch('/api/v1/me/prefs').then((r) => r.json()));
      return p.contacts?.columns?.[0] === 'email';
    }, 'the columns saved in the preferences');
    await page.reload();
    await page.waitForSelector('#contacts-table tbody tr');
    assert.deepEqual((await order()).slice(0, 2), ['email', 'name']);
    assert.ok(!(await order()).includes('job_title'));

    // Add a contact; a bad e-mail is refused in the dialog.
    await page.click('#contact-add');
    await page.fill('#contact-name', 'Added In Browser');
    await page.fill('#contact-email', 'added@localhost'); // the browser's own check passes, the server's does not
    await page.click('dialog.modal[open] button[value=ok]');
    await page.waitForSelector('dialog.modal[open] .error:not([hidden])');
    await page.fill('#contact-email', 'added@hostile.example');
    // The server's default region (US) does not read a UK number without its country code.
    await page.fill('#contact-phone', '020 7946 0111');
    await page.click('dialog.modal[open] button[value=ok]');
    await waitUntil(async () => /region US/.test(await page.textContent('dialog.modal[open] .error')), 'the phone refused');
    await page.fill('#contact-phone', '+44 20 7946 0111');
    await page.click('dialog.modal[open] button[value=ok]');
    await page.waitForSelector('#contacts-table tbody tr:has-text("Added In Browser")');
    const added = '#contacts-table tbody tr:has-text("Added In Browser")';
    await page.click(`${added} button[data-action=disable]`);
    await page.waitForSelector(`${added} button[data-action=enable]`);
    assert.equal((await page.textContent(`${added} td[data-col=status]`)).trim(), 'disabled');

    // Import a CSV twice: the second changes nothing; the bad row is reported by line.
    for (const [round, want] of [[1, '60 created, 0 updated, 0 unchanged, 1 not imported.'], [2, '0 created, 0 updated, 60 unchanged, 1 not imported.']]) {
      await page.click('#contacts-import');
      await page.setInputFiles('#import-file', { name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(importCSV(60)) });
      await page.waitForSelector('#import-table');
      if (round === 1) await snap('04-import-preview');
      await page.click('dialog.modal[open] button[value=ok]');
      await page.waitForSelector('#import-result');
      assert.equal((await page.textContent('#import-counts')).trim(), want);
      assert.match(await page.textContent('#import-errors'), /62\s*e-mail "not-an-address" is not a valid address/);
      if (round === 1) await snap('05-import-result');
      await page.click('dialog.modal[open] button[value=ok]');
      await page.waitForSelector('#import-result', { state: 'detached' });
    }
    await waitUntil(async () => /65 contacts/.test(await page.textContent('#contacts-total')), 'the imported contacts counted');
    await page.click('#contacts-next');
    await waitUntil(async () => (await page.$$('#contacts-table tbody tr')).length === 15, 'the second page of contacts');
  });

  it('shows the client devices tab with the hostile device as text, and its network monitors', async () => {
    // A monitor probed by the client's (simulated) agent, named like markup.
    const devs = await call('GET', `/api/v1/devices?client=${client.id}&limit=1`);
    const mon = await call('POST', '/api/v1/monitors', { name: '<b>Shop</b> portal', client: client.id, agent: devs.devices[0].id,
      kind: 'tcp', address: '127.0.0.1:9', interval_sec: 60 });
    await openTab('devices');
    await page.waitForSelector('#client-devices-table tbody tr');
    assert.match(await page.textContent('#client-devices-table'), /<img src=x onerror=alert\(1\)>/);
    assert.equal(await page.$('main img[src=x]'), null);
    await page.waitForSelector(`#client-monitors-table tbody tr[data-id="${mon.id}"]`);
    const row = await page.textContent(`#client-monitors-table tbody tr[data-id="${mon.id}"]`);
    assert.match(row, /<b>Shop<\/b> portal/, 'the monitor name is shown as text');
    assert.match(row, /TCP \(tcp\)/);
    assert.equal(await page.$('#client-monitors-table b'), null, 'markup in a monitor name became an element');
    await snap('06-devices');
    // Straight to a tab by its URL.
    await page.goto(`${BASE}/clients/${client.id}/contacts`);
    await page.waitForSelector('#client-panel-contacts:not([hidden]) #contacts-table');
    await page.goto(`${BASE}/clients/c_nope`);
    await page.waitForSelector('main .error');
    assert.match(await page.textContent('main .error'), /does not exist or is outside your clients/);
  });

  it('removes the two-factor it enrolled, leaving the admin as run.sh made it', async () => {
    const me = await (await ctx.request.get(`${BASE}/api/v1/me`)).json();
    await call('POST', `/api/v1/users/${me.id}/reset-2fa`, {});
    const r = await ctx.request.get(`${BASE}/api/v1/me`);
    assert.equal(r.status(), 401, 'the reset ends the admin sessions');
  });

  it('had no CSP violation, no alert and no page error', () => {
    console.log(`  screenshots: ${shots.join(', ')}`);
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
