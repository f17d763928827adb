// Browser tests of the service desk: the Tickets page (a hostile title
// shown as text, filters, columns chosen per user and kept across
// reloads), the ticket page's timeline (a comment added, the status
// changed) and a client's Tickets tab, each inside the window at 1440
// and 390 px. Run by run.sh after the other files, against the same
// server, as the admin the other files sign in as.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator, freshAdmin, releaseTwoFactor } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const HOSTILE = `<img src=x onerror=alert(1)> =cmd|' /C calc'!A0 ${'W'.repeat(120)}`;

const guards = newGuards();
let browser;
let ctx;
let page;
let ticket;
let client;

function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-tickets-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => {});
      throw e;
    }
  });
}

async function call(method, path, data) {
  const me = await (await ctx.request.get(`${BASE}/api/v1/me`)).json();
  const r = await ctx.request.fetch(`${BASE}${path}`, { method, data, headers: { 'X-CSRF-Token': me.csrf } });
  assert.ok(r.status() < 300, `${method} ${path}: ${r.status()} ${await r.text()}`);
  return r.json();
}

let enrolled = false;

describe('tickets', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
    const [user, pw] = await freshAdmin(BASE, PASSWORD);
    enrolled = (await login(page, BASE, user, pw, new Authenticator())).stage === 'setup';
    if (await page.$('#recovery-done')) await page.click('#recovery-done');
    await page.waitForSelector('nav a[data-nav=tickets]');
    const clients = await call('GET', '/api/v1/clients');
    client = clients[0];
    ticket = await call('POST', `/api/v1/clients/${encodeURIComponent(client.id)}/tickets`, { title: HOSTILE, description: `${HOSTILE}\nsecond line`, priority: 'high' });
  });

  after(async () => {
    if (enrolled) await releaseTwoFactor(ctx, BASE).catch(() => {});
    await browser?.close();
  });

  it('lists the ticket with its hostile title as text', async () => {
    await page.click('nav a[data-nav=tickets]');
    await page.waitForSelector(`#ticket-table tbody tr[data-ticket="${ticket.id}"]`);
    const title = await page.textContent(`#ticket-table tr[data-ticket="${ticket.id}"] .ticket-title`);
    assert.equal(title, HOSTILE);
    assert.equal(await page.$('#ticket-table img'), null, 'markup in a title became an element');
    await page.selectOption('#ticket-priority', 'low');
    await waitUntil(async () => !(await page.$(`#ticket-table tbody tr[data-ticket="${ticket.id}"]`)), 'the high ticket filtered out');
    await page.selectOption('#ticket-priority', '');
    // The SLA filter: the ticket has no SLA, so it is neither breached
    // nor at risk.
    await page.selectOption('#ticket-sla', 'breached');
    await waitUntil(async () => !(await page.$(`#ticket-table tbody tr[data-ticket="${ticket.id}"]`)), 'the ticket without an SLA filtered out');
    await page.selectOption('#ticket-sla', '');
    await page.waitForSelector(`#ticket-table tbody tr[data-ticket="${ticket.id}"]`);
    await page.fill('#ticket-search', `#${ticket.number}`);
    await waitUntil(async () => (await page.$$('#ticket-table tbody tr')).length === 1, 'the search by number');
    await shot(page, '70-tickets');
  });

  it('keeps the columns a user chose', async () => {
    await page.click('#ticket-columns');
    await page.uncheck('#ticket-columns-form input[name=client]');
    await page.click('dialog.modal[open] button.primary');
    await waitUntil(async () => !(await page.$$eval('#ticket-table th', (ths) => ths.map((x) => x.textContent))).includes('Client'), 'the client column hidden');
    await waitUntil(async () => (await call('GET', '/api/v1/me/prefs')).ticketColumns?.includes('title'), 'the choice saved');
    await page.reload();
    await page.waitForSelector('#ticket-table tbody tr');
    const heads = await page.$$eval('#ticket-table th', (ths) => ths.map((x) => x.textContent));
    assert.ok(!heads.includes('Client') && heads.includes('Title'), `columns after a reload: ${heads}`);
  });

  it('adds a comment and changes the status on the ticket page', async () => {
    await page.goto(`${BASE}/tickets/${ticket.number}`);
    await page.waitForSelector('#ticket-title');
    assert.equal(await page.textContent('#ticket-title'), HOSTILE);
    await page.fill('#comment-body', '<b>on my way</b>');
    await page.check('#comment-public');
    await page.click('#comment-form button[type=submit]');
    await page.waitForSelector('#ticket-comments li.public');
    assert.equal(await page.textContent('#ticket-comments li.public p'), '<b>on my way</b>');
    // A half-typed reply and time entry survive the redraw of a status
    // change and the reload an event causes (another user's change).
    await page.fill('#comment-body', 'half a rep');
    await page.fill('#time-minutes', '25');
    await page.fill('#time-note', 'half a no');
    const mark = () => page.$eval('#ticket-title', (el) => { el.dataset.old = '1'; });
    const redrawn = async () => !(await page.$('#ticket-title[data-old]'));
    const kept = async (when) => {
      assert.equal(await page.inputValue('#comment-body'), 'half a rep', `the reply after ${when}`);
      assert.equal(await page.inputValue('#time-minutes'), '25', `the minutes after ${when}`);
      assert.equal(await page.inputValue('#time-note'), 'half a no', `the note after ${when}`);
    };
    await mark();
    await page.selectOption('#ticket-status', 'pending');
    await waitUntil(async () => (await call('GET', `/api/v1/tickets/${ticket.id}`)).ticket.status === 'pending', 'the status stored');
    await waitUntil(redrawn, 'the page redrawn after the status change');
    await kept('the status change');
    await page.focus('#comment-body');
    await mark();
    await call('PATCH', `/api/v1/tickets/${ticket.id}`, { priority: 'low' });
    await waitUntil(async () => (await redrawn()) && (await page.inputValue('#ticket-priority')) === 'low', 'the page reloaded by the change event');
    await kept('the event');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'comment-body', 'the reply box kept the focus');
    await page.click('#time-form button[type=submit]');
    await page.waitForSelector('#ticket-time tbody tr');
    await waitUntil(async () => (await page.inputValue('#time-minutes')) === '', 'the time form emptied once stored');
    assert.equal(await page.inputValue('#comment-body'), 'half a rep', 'recording time kept the reply');
    // A file attached to the ticket: listed on it with its name as text.
    await page.setInputFiles('#ticket-file', { name: '<img src=x onerror=alert(1)>.txt', mimeType: 'text/plain', buffer: Buffer.from('printer log') });
    await page.waitForSelector('#ticket-files-table tbody tr');
    assert.equal(await page.textContent('#ticket-files-table .att-name'), '<img src=x onerror=alert(1)>.txt');
    assert.equal(await page.$('#ticket-files-table img'), null, 'the file name became markup');
    await shot(page, '71-ticket');
    const audit = await call('GET', '/api/v1/audit?action=ticket.update');
    assert.ok(audit.some((e) => e.target === ticket.id), 'the change is audited');
  });

  it('keeps the ticket pages inside the window at 1440 and 390 px', async () => {
    const { problems } = await visitAll(page, BASE, [['tickets', '/tickets?status=all', '#ticket-table tbody tr'],
      ['ticket', `/tickets/${ticket.number}`, '#ticket-comments'],
      ['client-tickets', `/clients/${encodeURIComponent(client.id)}/tickets`, '#ticket-table tbody tr, #ticket-list .empty']]);
    assert.deepEqual(problems, [], 'pages wider than the window or text outside its card');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
  });
});
