// Browser test of the password vault tab: entries added through the page,
// the password never in the page until revealed, hidden again after the
// time the server gives, copied to the clipboard without entering the
// page, login URLs opening in a new tab without the opener, hostile names
// as text. run.sh starts a server of its own for it; it logs in as its
// admin (enrolling two-factor).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';
import { visitAll } from './layout.mjs';

const BASE = process.env.STEWARD_URL;
const USER = 'admin';
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const SECRET = 'Br0wser-S3cret-pw!';
const NOTES = 'browser-notes-recovery-4711';
const HOSTILE = '<img src=x onerror=alert(1)> =cmd|\' /C calc\'!A0';

const guards = newGuards();
const auth = new Authenticator();
let browser;
let ctx;
let page;

describe('password vault tab', { timeout: 180000 }, () => {
  before(async () => {
    assert.ok(BASE && USER && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards, { permissions: ['clipboard-read', 'clipboard-write'] });
    page = watch(await ctx.newPage(), guards);
    const r = await login(page, BASE, USER, PASSWORD, auth);
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('#main');
  });
  after(async () => {
    await browser?.close();
  });

  it('adds an entry; the list shows no password', async () => {
    await page.goto(`${BASE}/clients/Local/passwords`);
    await page.waitForSelector('#vault-list .empty, #vault-table');
    // A javascript: login URL is refused by the server, with its message.
    await page.click('#vault-new');
    await page.fill('#vault-f-name', 'bad url');
    await page.fill('#vault-f-url', 'javascript:alert(1)');
    await page.fill('#vault-f-password', 'x');
    await page.click('dialog .dialog-buttons button[type=submit]');
    await page.waitForSelector('dialog p.error:not([hidden])');
    await page.click('dialog .dialog-buttons button[value=cancel]');
    await page.click('#vault-new');
    await page.fill('#vault-f-name', HOSTILE);
    await page.fill('#vault-f-url', 'https://example.com/login');
    await page.fill('#vault-f-username', 'admin@example.com');
    await page.fill('#vault-f-password', SECRET);
    await page.fill('#vault-f-notes', NOTES);
    await page.click('dialog .dialog-buttons button[type=submit]');
    await page.waitForSelector('#vault-table tbody tr');
    const html = await page.content();
    assert.ok(!html.includes(SECRET) && !html.includes(NOTES), 'the password or notes are in the page before a reveal');
    assert.equal(await page.$('#vault-table img'), null, 'the hostile name became markup');
    assert.equal(await page.textContent('#vault-table .vault-name'), HOSTILE);
    const link = await page.$eval('#vault-table a.vault-url', (a) => ({ href: a.href, target: a.target, rel: a.rel }));
    assert.deepEqual(link, { href: 'https://example.com/login', target: '_blank', rel: 'noopener noreferrer' });
  });

  it('reveals on request and hides again', async () => {
    await page.click('#vault-table .vault-reveal');
    await page.waitForSelector('#vault-table .vault-password');
    assert.equal(await page.textContent('#vault-table .vault-password'), SECRET);
    assert.equal(await page.textContent('#vault-table .vault-notes'), NOTES);
    await shot(page, 'vault-revealed');
    // The server says how long (20 s); then it leaves the page.
    await page.waitForSelector('#vault-table .vault-password', { state: 'detached', timeout: 30000 });
    const html = await page.content();
    assert.ok(!html.includes(SECRET) && !html.includes(NOTES), 'the password stayed in the page after hiding');
  });

  it('copies to the clipboard without putting the password in the page', async () => {
    await page.click('#vault-table .vault-copy');
    await waitUntil(async () => (await page.evaluate(() => navigator.clipboard.readText())) === SECRET, 'the password on the clipboard');
    assert.ok(!(await page.content()).includes(SECRET), 'the copied password is in the page');
  });

  it('shows the tab at wide and narrow widths', async () => {
    const { problems } = await visitAll(page, BASE, [['client-passwords', '/clients/Local/passwords', '#vault-table tbody tr']]);
    assert.deepEqual(problems, []);
  });

  it('raised no alert, CSP violation or page error', () => {
    assert.deepEqual(guards.dialogs, []);
    assert.deepEqual(guards.csp, []);
    assert.deepEqual(guards.pageErrors, []);
  });
});
