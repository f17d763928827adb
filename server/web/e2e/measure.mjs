// Measures the devices page against a server seeded with a large fleet
// (run.sh seeds 20,000 devices): time from navigation start to the first
// table row on screen, plus a search and a sort. It prints numbers; it does
// not judge them.
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const WANT = Number(process.env.STEWARD_SEEDED || 20000);
const RUNS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const guards = newGuards();
const browser = await launch();
try {
  const ctx = await newContext(browser, guards);
  const page = watch(await ctx.newPage(), guards);
  const r = await login(page, BASE, 'admin', PASSWORD, new Authenticator());
  if (r.stage === 'setup') await page.click('#recovery-done');
  await page.waitForSelector('#overview-tiles .tile');

  const marks = [];
  const walls = [];
  const parts = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    await page.goto(`${BASE}/devices`);
    await page.waitForSelector('#devices-table tbody tr', { timeout: 60000 });
    walls.push(Date.now() - t0);
    const m = await waitUntil(() => page.evaluate(() => performance.getEntriesByName('steward:devices-first-row')[0]?.startTime),
      'the first-row mark', 10000, 20);
    marks.push(m);
    parts.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const api = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/devices?'));
      const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      return { dcl: nav.domContentLoadedEventEnd, apiStart: api?.startTime ?? NaN, apiEnd: api?.responseEnd ?? NaN,
        data: mark('steward:devices-data'), dom: mark('steward:devices-dom') };
    }));
  }
  const total = (await page.textContent('#device-total')).trim();
  if (!total.startsWith(WANT.toLocaleString('en-US'))) throw new Error(`expected ${WANT} devices, page says ${total}`);
  await shot(page, '20-devices-20000', false);

  // A server-side search and a sort over the whole fleet.
  let t0 = Date.now();
  await page.fill('#device-search', 'PC-12345');
  await waitUntil(async () => (await page.$$('#devices-table tbody tr')).length === 1, 'the search result', 20000, 10);
  const searchMs = Date.now() - t0;
  await page.fill('#device-search', '');
  await waitUntil(async () => (await page.$$('#devices-table tbody tr')).length > 1, 'the full list', 20000, 10);
  const before = await page.getAttribute('#devices-table tbody tr', 'data-id');
  t0 = Date.now();
  await page.click('#devices-table th[data-col=last_seen] button');
  await waitUntil(async () => (await page.getAttribute('#devices-table tbody tr', 'data-id')) !== before, 'the sorted list', 20000, 10);
  const sortMs = Date.now() - t0;

  console.log(`devices page with ${total}:`);
  console.log(`  time to first render (navigation start -> first row painted): median ${median(marks).toFixed(0)} ms over ${RUNS} loads [${marks.map((x) => x.toFixed(0)).join(', ')}]`);
  const med = (k) => median(parts.map((p) => p[k])).toFixed(0);
  console.log(`  of which: page and modules loaded (DOMContentLoaded) ${med('dcl')} ms; devices API request ${med('apiStart')}–${med('apiEnd')} ms; rows decoded ${med('data')} ms, in the DOM ${med('dom')} ms`);
  console.log(`  wall clock from goto() to first row visible: median ${median(walls)} ms [${walls.join(', ')}]`);
  console.log(`  search "PC-12345" to result shown: ${searchMs} ms (includes 250 ms input debounce)`);
  console.log(`  sort by last seen to rows shown: ${sortMs} ms`);
  if (guards.csp.length || guards.pageErrors.length || guards.dialogs.length) {
    console.error('unexpected:', JSON.stringify(guards));
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
