// "Every page, looked at" (issue 20): seed long and hostile text into every
// field an operator or a device can set, through the API, then visit every
// page of the dashboard at a wide and a phone-sized window and measure:
// no page wider than the window, no text out of its card, no alert, no CSP
// violation (the caller's guards). Screenshots: NN-page-wide.png and
// NN-page-narrow.png in the artifacts directory.
import assert from 'node:assert/strict';
import { shot, waitUntil } from './lib.mjs';

export const WORD300 = `W${'x'.repeat(298)}W`; // one 300-character word, no spaces
const RLO = '\u202E'; // right-to-left override
export const HOSTILE_TEXT = `<img src=x onerror=alert(1)> =cmd|' /C calc'!A0 ${RLO}gnp.exe ${WORD300}`;
// What the server's validation accepts today; a looser rule (issue 20, bug
// 2) lets the hostile form through too, and then that is what is shown.
export const CLIENT100 = `Long${'n'.repeat(92)}Corp`; // 100 characters, no space
const CLIENT100_SPACED = 'Smith Jones and Sons Plumbing Heating Electrical and General Building Contractors of the North Ltd';
export const VIEWPORTS = [['wide', { width: 1440, height: 900 }], ['narrow', { width: 390, height: 844 }]];

/**
 * seedHostile writes the text through the API as the logged-in admin
 * (session cookie and CSRF token of ctx). It returns what it made.
 */
export async function seedHostile(ctx, base, { localID, hostileID }) {
  const me = await (await ctx.request.get(`${base}/api/v1/me`)).json();
  const headers = { 'X-CSRF-Token': me.csrf };
  const call = async (method, path, data, okCodes = [200, 201]) => {
    const r = await ctx.request.fetch(`${base}${path}`, { method, headers, data });
    const body = await r.json().catch(() => null);
    return { ok: okCodes.includes(r.status()), status: r.status(), body };
  };
  // first tries the most hostile form of a field, then tamer ones: a field
  // whose rule refuses control characters (U+202E) or markup still gets
  // the longest text it accepts. The first candidate accepted is kept.
  const first = async (what, method, path, bodies) => {
    const refused = [];
    for (const b of bodies) {
      const r = await call(method, path, b);
      if (r.ok) return r;
      refused.push(`${r.status} ${r.body?.error}`);
    }
    assert.fail(`${what}: every candidate refused: ${refused.join('; ')}`);
  };
  const made = { clients: [] };
  // Clients: the hostile name when the rule allows it, else 100 characters.
  for (const name of [HOSTILE_TEXT.slice(0, 100), CLIENT100, CLIENT100_SPACED]) {
    const r = await call('POST', '/api/v1/clients', { name });
    if (r.ok) made.clients.push(r.body.id || r.body.client?.id || name);
  }
  assert.ok(made.clients.length >= 2, 'the 100-character client names are accepted');
  // A folder on each device (128 bytes at most).
  for (const id of [localID, hostileID]) {
    await first(`folder on ${id}`, 'PATCH', `/api/v1/devices/${id}`, [{ group: `<b>x</b> =cmd|' ${RLO}${'F'.repeat(100)}` },
      { group: `<b>x</b> =cmd|' ${'F'.repeat(110)}` }, { group: 'F'.repeat(128) }]);
  }
  // A library script: the longest name the rule allows, hostile text elsewhere.
  const sname = `s${'l'.repeat(62)}z`;
  await first('script', 'POST', '/api/v1/scripts', [HOSTILE_TEXT, HOSTILE_TEXT.replace(RLO, ''), WORD300.slice(0, 200)]
    .map((description) => ({ name: sname, interpreter: 'sh', description, body: HOSTILE_SCRIPT })));
  // A user with the longest name the rule allows.
  await first('user', 'POST', '/api/v1/users', [{ name: `u${'s'.repeat(62)}r`, password: 'layout-password-1', role: 'technician', all_clients: true, clients: [] }]);
  // An enrollment token with a hostile note.
  await first('token', 'POST', '/api/v1/tokens', [HOSTILE_TEXT.slice(0, 200), HOSTILE_TEXT.replace(RLO, '').slice(0, 200), WORD300.slice(0, 200)]
    .map((note) => ({ client: made.clients[0], max_uses: 1, expires_seconds: 600, note })));
  // Notifications: a webhook channel with a long name and URL (nothing
  // listens there, so its test delivery waits with an error), an e-mail
  // channel and a rule naming both.
  const hook = await first('webhook channel', 'POST', '/api/v1/notifications/channels', [HOSTILE_TEXT.slice(0, 80),
    HOSTILE_TEXT.replace(RLO, '').slice(0, 80), WORD300.slice(0, 80)].map((name) => ({ name, type: 'webhook',
    url: `http://127.0.0.1:9/${WORD300}?q=<b>x</b>` })));
  const mail = await first('e-mail channel', 'POST', '/api/v1/notifications/channels', [{ name: WORD300.slice(0, 79), type: 'email',
    to: [`${'m'.repeat(60)}@example.com`, 'ops@example.com'] }]);
  await first('rule', 'POST', '/api/v1/notifications/rules', [HOSTILE_TEXT.slice(0, 80), HOSTILE_TEXT.replace(RLO, '').slice(0, 80)]
    .map((name) => ({ name, min_severity: 'warning', clients: [made.clients[0]], kinds: ['raised'], channels: [hook.body.id, mail.body.id],
      renotify_minutes: 30 })));
  await call('POST', `/api/v1/notifications/channels/${hook.body.id}/test`, undefined, [202]);
  return made;
}

/** HOSTILE_SCRIPT's first line is hostile and long; it prints more of it. */
export const HOSTILE_SCRIPT = `echo '${HOSTILE_TEXT.replace(/'/g, '')}'\nprintf '%s\\n' "${WORD300}"\necho '${RLO}done'\n`;

/**
 * seedJob runs HOSTILE_SCRIPT ad hoc on a (connected) device and waits for
 * it to end; its job ID is returned.
 */
export async function seedJob(ctx, base, deviceID) {
  const me = await (await ctx.request.get(`${base}/api/v1/me`)).json();
  const r = await ctx.request.post(`${base}/api/v1/jobs`, { headers: { 'X-CSRF-Token': me.csrf },
    data: { devices: [deviceID], kind: 'script', script: { interpreter: 'sh', body: HOSTILE_SCRIPT } } });
  assert.ok([200, 201].includes(r.status()), `ad hoc job: ${r.status()} ${await r.text()}`);
  const id = (await r.json()).job.id;
  await waitUntil(async () => {
    const j = await (await ctx.request.get(`${base}/api/v1/jobs/${id}`)).json();
    return (j.runs || []).length && j.runs.every((x) => ['succeeded', 'failed'].includes(x.state));
  }, 'the hostile job to finish', 20000);
  return id;
}

/**
 * measure runs in the page: the document's width against the window, and
 * every card, table cell and text element against its card. An element may
 * be wider than its box only when it cuts its text with an ellipsis, or
 * (on a phone) when it is a table in a box that scrolls sideways.
 */
export function measure(narrow) {
  const CARDS = '.panel, .table-wrap, .tile, .cmd, .notice, .toast, dialog[open], .login-box, .menu-body[open]';
  const out = { docWidth: document.scrollingElement.scrollWidth, winWidth: window.innerWidth, bad: [] };
  const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
  // checkVisibility skips the content of a closed <details> too.
  const visible = (el) => el.getClientRects().length > 0 && (el.checkVisibility
    ? el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true }) : getComputedStyle(el).visibility !== 'hidden');
  const cuts = (cs) => cs.overflowX === 'hidden' && cs.textOverflow === 'ellipsis';
  const scrollsTable = (el, cs) => narrow && (cs.overflowX === 'auto' || cs.overflowX === 'scroll') && el.querySelector('table');
  const inTerminal = (el) => el.closest('.terminal-box, .xterm, .replay-box');
  for (const el of document.querySelectorAll(`${CARDS}, td, th, h1, h2, .title-row, .toolbar, .page-head, .topbar`)) {
    if (!visible(el) || inTerminal(el)) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const cs = getComputedStyle(el);
    if (cuts(cs) || scrollsTable(el, cs) || (el.matches('.topbar .nav'))) continue;
    out.bad.push(`${describe(el)} is ${el.scrollWidth}px wide in ${el.clientWidth}px: ${el.textContent.slice(0, 80)}`);
  }
  // Text that sticks out of its card, with no clipping box in between.
  for (const el of document.querySelectorAll('main *, header *')) {
    if (!visible(el) || inTerminal(el)) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    // Inside a box that clips or scrolls, the box itself was measured above.
    let inBox = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') inBox = true;
    }
    if (inBox) continue;
    const r = el.getBoundingClientRect();
    if (r.right > out.winWidth + 1) {
      out.bad.push(`${describe(el)} ends at ${Math.round(r.right)}px, past the window: ${el.textContent.slice(0, 80)}`);
      continue;
    }
    const card = el.closest(CARDS);
    if (!card || card === el) continue;
    const cr = card.getBoundingClientRect();
    if (getComputedStyle(el).overflowX === 'visible' && r.right > cr.right + 1) {
      out.bad.push(`${describe(el)} ends at ${Math.round(r.right)}px, past its card ${describe(card)} (${Math.round(cr.right)}px): ${el.textContent.slice(0, 80)}`);
    }
  }
  return out;
}

/**
 * visitAll opens each route at each window size, waits for it to settle,
 * measures it and saves its screenshots. It returns the screenshot paths.
 */
export async function visitAll(page, base, routes) {
  const paths = [];
  const problems = [];
  for (const [name, { width, height }] of VIEWPORTS) {
    await page.setViewportSize({ width, height });
    let n = 0;
    for (const [slug, path, ready] of routes) {
      n++;
      await page.goto(`${base}${path}`);
      await page.waitForSelector(ready, { timeout: 15000 });
      // Settle: no "Loading…" left in the main area.
      await waitUntil(async () => !(await page.$('main >> text=Loading…')), `${path} to load`, 10000).catch(() => {});
      const m = await page.evaluate(measure, name === 'narrow');
      const file = `${String(40 + n).padStart(2, '0')}-${slug}-${name}`;
      paths.push(await shot(page, file));
      if (m.docWidth > m.winWidth) problems.push(`${path} (${name}): the page is ${m.docWidth}px wide in a ${m.winWidth}px window`);
      for (const b of m.bad) problems.push(`${path} (${name}): ${b}`);
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  return { paths, problems };
}
