// Measures the client page against a server seeded with 2,000 clients,
// 100,000 contacts and 20,000 devices (run.sh Part 2): first paint of a
// client page (navigation start -> the page's pinned strip and first tab
// painted), median of 5 loads; and the contacts search on the client with
// the most contacts (request sent -> rows in the DOM, and input -> rows
// shown), median of 5 searches. It prints numbers; it does not judge them.
// It logs in as the user run.sh makes (a helpdesk user of every client):
// measure.mjs has enrolled the admin's two-factor already.
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const USER = process.env.STEWARD_MEASURE_USER || 'measure';
const PASSWORD = process.env.STEWARD_MEASURE_PASSWORD;
const BIG = process.env.STEWARD_BIG_CLIENT || 'cseed000';
const RUNS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const guards = newGuards();
const browser = await launch();
try {
  const ctx = await newContext(browser, guards);
  const page = watch(await ctx.newPage(), guards);
  const r = await login(page, BASE, USER, PASSWORD, new Authenticator());
  if (r.stage === 'setup') await page.click('#recovery-done');
  await page.waitForSelector('#overview-tiles .tile');

  // The clients list with 2,000 clients.
  let t0 = Date.now();
  await page.goto(`${BASE}/clients`);
  await page.waitForSelector('#clients-table tbody tr', { timeout: 60000 });
  const listMs = Date.now() - t0;
  const nClients = (await page.textContent('#clients-total')).trim();
  await shot(page, '21-clients-2000', false);

  // First paint of a client page, median of 5 (a different client each time).
  const paints = [];
  const walls = [];
  for (let i = 0; i < RUNS; i++) {
    const id = i === 0 ? BIG : `cseed${String(100 + i * 37).padStart(3, '0')}`;
    t0 = Date.now();
    await page.goto(`${BASE}/clients/${id}`);
    await page.waitForSelector('#pinned-strip .pin', { timeout: 60000 });
    walls.push(Date.now() - t0);
    paints.push(await waitUntil(() => page.evaluate(() => performance.getEntriesByName('steward:client-first-paint')[0]?.startTime),
      'the client first-paint mark', 10000, 20));
  }
  await shot(page, '22-client-page-seeded', false);

  // The contacts search on the big client.
  await page.goto(`${BASE}/clients/${BIG}/contacts`);
  await page.waitForSelector('#contacts-table tbody tr', { timeout: 60000 });
  const total = (await page.textContent('#contacts-total')).trim();
  const server = [];
  const shown = [];
  const queries = ['ann smith', 'person0004', 'walker 9', 'zzz-nobody', 'evans'];
  for (const q of queries) {
    const before = Number(await page.getAttribute('#client-panel-contacts', 'data-loaded'));
    t0 = Date.now();
    await page.fill('#contact-search', q);
    await waitUntil(async () => Number(await page.getAttribute('#client-panel-contacts', 'data-loaded')) > before &&
      (await page.getAttribute('#client-panel-contacts', 'data-loaded-search')) === q, `the search ${q}`, 20000, 5);
    shown.push(Date.now() - t0);
    server.push(await page.evaluate(() => {
      const n = document.getElementById('client-panel-contacts').dataset.loaded;
      const a = performance.getEntriesByName(`steward:contacts-load-start-${n}`)[0];
      const b = performance.getEntriesByName(`steward:contacts-load-done-${n}`)[0];
      return b.startTime - a.startTime;
    }));
  }
  await shot(page, '23-contacts-search-seeded', false);

  console.log(`client page with ${nClients} (${total} on the big client):`);
  console.log(`  clients list: ${listMs} ms from goto() to the first row`);
  console.log(`  client page first paint (navigation start -> pinned fields and first tab painted): median ${median(paints).toFixed(0)} ms over ${RUNS} loads [${paints.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  wall clock from goto() to the pinned fields visible: median ${median(walls)} ms [${walls.join(', ')}]`);
  console.log(`  contacts search on ${total}: request sent -> rows in the DOM median ${median(server).toFixed(0)} ms [${server.map((x) => x.toFixed(0)).join(', ')}]; typing -> rows shown median ${median(shown)} ms (includes 250 ms input debounce) [${shown.join(', ')}]`);
  if (guards.csp.length || guards.pageErrors.length || guards.dialogs.length) {
    console.error('unexpected:', JSON.stringify(guards));
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
