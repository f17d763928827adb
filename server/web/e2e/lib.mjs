// Shared helpers of the dashboard's browser tests: Debian's Chromium driven
// by playwright-core, RFC 6238 codes for the two-factor steps, and guards
// that record alert() dialogs, CSP violations and page errors.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.STEWARD_CHROMIUM || '/usr/bin/chromium';

/** launch starts headless Chromium with a fresh profile and no background traffic. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function base32(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let val = 0;
  const out = [];
  for (const c of s.replace(/[=\s]/g, '').toUpperCase()) {
    const i = A.indexOf(c);
    if (i < 0) throw new Error(`bad base32 character ${c}`);
    val = ((val << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((val >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** totp is the RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) for a time step. */
export function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Authenticator hands out codes the way a person would use them: the
 * server accepts each time step once, so a second code waits for the next
 * step.
 */
export class Authenticator {
  constructor() { this.secret = ''; this.last = -1; }

  async code() {
    let step = Math.floor(Date.now() / 30000);
    if (step <= this.last) {
      const wait = (this.last + 1) * 30000 - Date.now() + 250;
      console.log(`  (waiting ${Math.ceil(wait / 1000)} s for the next two-factor time step)`);
      await new Promise((r) => setTimeout(r, wait));
      step = Math.floor(Date.now() / 30000);
    }
    this.last = step;
    return totp(this.secret, step);
  }
}

/**
 * newContext opens a browser context that trusts the test server's
 * self-signed certificate and reports every CSP violation (from any page
 * load) into guards.csp.
 */
export async function newContext(browser, guards, opts = {}) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 }, ...opts });
  await ctx.exposeBinding('__stwReportCSP', (_src, v) => guards.csp.push(v));
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__stwReportCSP({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
        source: `${e.sourceFile}:${e.lineNumber}` });
    }, true);
  });
  return ctx;
}

/** newGuards is the record of things that must not happen. */
export function newGuards() {
  return { csp: [], dialogs: [], pageErrors: [], consoleErrors: [] };
}

/** watch attaches the guards to a page. */
export function watch(page, guards) {
  page.on('dialog', async (d) => {
    guards.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => guards.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (/Content Security Policy|Refused to/i.test(t)) guards.csp.push({ console: t });
    else guards.consoleErrors.push(t);
  });
  return page;
}

/** shot saves a full-page screenshot into the artifacts directory. */
export async function shot(page, name, fullPage = true) {
  const dir = process.env.STEWARD_ARTIFACTS || 'artifacts';
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * login goes through the login page: password, then either enrolment of
 * two-factor (the admin's first login) or a code. It returns the recovery
 * codes when it enrolled.
 */
export async function login(page, base, user, password, auth) {
  await page.goto(`${base}/`);
  await page.waitForSelector('#login-form');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
  const which = await Promise.race([
    page.waitForSelector('#totp-setup-form', { timeout: 15000 }).then(() => 'setup'),
    page.waitForSelector('#totp-form', { timeout: 15000 }).then(() => 'code'),
    page.waitForSelector('#main', { timeout: 15000 }).then(() => 'done'),
  ]);
  let recovery = [];
  if (which === 'setup') {
    auth.secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#totp-setup-code', await auth.code());
    await page.click('#totp-setup-form button[type=submit]');
    await page.waitForSelector('#recovery');
    recovery = await page.$$eval('#recovery li code', (els) => els.map((e) => e.textContent));
  } else if (which === 'code') {
    await page.fill('#totp-code', await auth.code());
    await page.click('#totp-form button[type=submit]');
  }
  return { stage: which, recovery };
}

/** waitUntil polls fn until it returns a truthy value. */
export async function waitUntil(fn, what, timeout = 15000, every = 200) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * freshAdmin picks an admin of the shared server that can sign in without
 * an authenticator this file knows: the first admin while it has no second
 * factor, else admin-e2e (dashboard.test.mjs leaves it without one). A
 * file that signs in with it enrols an authenticator (login's 'setup'
 * stage) and must call releaseTwoFactor at its end, so the next file can
 * sign in the same way.
 */
export async function freshAdmin(base, password) {
  const { request } = await import('playwright-core');
  const rc = await request.newContext({ baseURL: base, ignoreHTTPSErrors: true });
  try {
    const r = await rc.post('/api/v1/auth/login', { data: { username: 'admin', password } });
    const body = await r.json().catch(() => ({}));
    return body.stage === 'totp_setup' || body.stage === 'done' ? ['admin', password] : ['admin-e2e', 'admin-e2e-password-1'];
  } finally {
    await rc.dispose();
  }
}

/** releaseTwoFactor removes the second factor of the user signed in in
 * ctx (which ends its sessions): the account is left as it was found. */
export async function releaseTwoFactor(ctx, base) {
  const me = await (await ctx.request.get(`${base}/api/v1/me`)).json();
  const r = await ctx.request.post(`${base}/api/v1/users/${me.id}/reset-2fa`, { data: {}, headers: { 'X-CSRF-Token': me.csrf } });
  if (r.status() >= 300) throw new Error(`reset-2fa of ${me.name}: ${r.status()} ${await r.text()}`);
}
