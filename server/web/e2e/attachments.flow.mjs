// Browser test of the attachments tab: files uploaded through the page;
// an HTML file and an SVG with script never run: they have no preview,
// their link downloads, and opening their URLs in the browser downloads
// too (or answers 415 for a preview), so no alert() ever fires; a text
// file holding markup previews as text. run.sh starts a server of its
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
const guards = newGuards();
const auth = new Authenticator();
let browser;
let ctx;
let page;
const dir = mkdtempSync(join(tmpdir(), 'steward-att-'));
const files = {
  'evil.html': '<!DOCTYPE html><html><body><script>alert("html ran")</script><img src=x onerror="alert(\'img ran\')"></body></html>',
  'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'svg ran\')"><script>alert("svg script ran")</script></svg>',
  'notes.txt': 'meeting notes: <script>alert("txt ran")</script> stays text\n',
};
for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);

describe('attachments tab', { timeout: 120000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD)');
    browser = await launch();
    ctx = await newContext(browser, guards, { acceptDownloads: true });
    page = watch(await ctx.newPage(), guards);
    const r = await login(page, BASE, 'admin', PASSWORD, auth);
    if (r.stage === 'setup') await page.click('#recovery-done');
    await page.waitForSelector('#main');
  });
  after(async () => {
    await browser?.close();
  });

  const row = (name) => `#att-table tbody tr:has(a.att-name:text-is("${name}"))`;

  it('uploads files through the page', async () => {
    await page.goto(`${BASE}/clients/Local/attachments`);
    await page.waitForSelector('#att-list .empty, #att-table');
    await page.setInputFiles('#att-file', Object.keys(files).map((n) => join(dir, n)));
    await waitUntil(async () => (await page.$$('#att-table tbody tr')).length === 3, 'three files listed');
    await shot(page, 'attachments-list');
    assert.equal(await page.$(`${row('evil.html')} .att-preview`), null, 'the HTML file offers a preview');
    assert.equal(await page.$(`${row('logo.svg')} .att-preview`), null, 'the SVG offers a preview');
    assert.ok(await page.$(`${row('notes.txt')} .att-preview`), 'the text file has no preview');
  });

  it('downloads HTML and SVG instead of rendering them', async () => {
    for (const name of ['evil.html', 'logo.svg']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`${row(name)} a.att-name`)]);
      assert.equal(dl.suggestedFilename(), name);
      const href = await page.getAttribute(`${row(name)} a.att-name`, 'href');
      // Opened as a page, the URL downloads too: nothing renders.
      const p2 = watch(await ctx.newPage(), guards);
      const [dl2] = await Promise.all([p2.waitForEvent('download'), p2.goto(`${BASE}${href}`).catch(() => null)]);
      assert.equal(dl2.suggestedFilename(), name);
      // Its preview URL answers 415 and renders no markup.
      const resp = await p2.goto(`${BASE}${href.replace('/download', '/preview')}`);
      assert.equal(resp.status(), 415);
      await p2.close();
    }
  });

  it('previews a text file holding markup as text, sandboxed', async () => {
    const href = await page.getAttribute(`${row('notes.txt')} .att-preview`, 'href');
    const p2 = watch(await ctx.newPage(), guards);
    const resp = await p2.goto(`${BASE}${href}`);
    assert.equal(resp.headers()['content-type'], 'text/plain; charset=utf-8');
    assert.match(resp.headers()['content-security-policy'], /^sandbox; default-src 'none'/);
    assert.match(await p2.textContent('body'), /<script>alert\("txt ran"\)<\/script> stays text/);
    await p2.close();
  });

  it('shows the tab at wide and narrow widths', async () => {
    const { problems } = await visitAll(page, BASE, [['client-attachments', '/clients/Local/attachments', '#att-table tbody tr']]);
    assert.deepEqual(problems, []);
  });

  it('ran no script: no alert, CSP violation or page error', () => {
    assert.deepEqual(guards.dialogs, []);
    assert.deepEqual(guards.csp, []);
    assert.deepEqual(guards.pageErrors, []);
  });
});
