// Browser tests of the Steward dashboard against a real server, a real
// agent and one simulated agent with a hostile hostname, all started by
// run.sh. Steps run in order and share one logged-in page.
import { describe, it as nodeIt, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, newGuards, watch, shot, login, waitUntil, Authenticator } from './lib.mjs';

const BASE = process.env.STEWARD_URL;
const PASSWORD = process.env.STEWARD_ADMIN_PASSWORD;
const AGENT_PID = Number(process.env.STEWARD_AGENT_PID);
const HOSTILE = process.env.STEWARD_HOSTILE_HOSTNAME || '<img src=x onerror=alert(1)>-00000';
const SIM_MAC = '02:53:00:00:00:00';

const guards = newGuards();
const auth = new Authenticator();
let browser;
let ctx;
let page;
let local; // the real agent's device view
let hostile; // the simulated device with the hostile hostname
let recovery = []; // recovery codes from the two-factor enrolment

// it runs a step and, when it fails, saves a screenshot of the page.
function it(name, fn) {
  nodeIt(name, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => {});
      throw e;
    }
  });
}

const rowSel = (id) => `#devices-table tbody tr[data-id="${id}"]`;

async function apiGet(path) {
  const r = await ctx.request.get(`${BASE}${path}`);
  assert.equal(r.status(), 200, `GET ${path}: ${r.status()}`);
  return r.json();
}

async function visibleRowIDs() {
  return page.$$eval('#devices-table tbody tr', (rows) => rows.map((r) => r.dataset.id));
}

async function searchFor(q, wantID) {
  await page.fill('#device-search', q);
  await waitUntil(async () => {
    const ids = await visibleRowIDs();
    return ids.length === 1 && ids[0] === wantID;
  }, `search ${JSON.stringify(q)} to show only ${wantID}`);
}

describe('dashboard', { timeout: 300000 }, () => {
  before(async () => {
    assert.ok(BASE && PASSWORD && AGENT_PID, 'run through server/web/e2e/run.sh (STEWARD_URL, STEWARD_ADMIN_PASSWORD, STEWARD_AGENT_PID)');
    browser = await launch();
    ctx = await newContext(browser, guards);
    page = watch(await ctx.newPage(), guards);
  });

  after(async () => {
    await browser?.close();
  });

  it('refuses a wrong password and logs in with two-factor enrolment', async () => {
    await page.goto(`${BASE}/devices`);
    await page.waitForURL(/\/login\?next=/);
    await page.waitForSelector('#login-form');
    await shot(page, '01-login');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'not-the-password');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-form .error:not([hidden])');
    const r = await login(page, BASE, 'admin', PASSWORD, auth);
    assert.equal(r.stage, 'setup', 'the bootstrap admin must enrol two-factor on first login');
    assert.equal(r.recovery.length, 10);
    recovery = r.recovery;
    await shot(page, '02-recovery-codes');
    await page.click('#recovery-done');
    await page.waitForSelector('#overview-tiles .tile');
    assert.match(new URL(page.url()).pathname, /^\/(overview)?$/);
  });

  it('shows the overview with both devices', async () => {
    await waitUntil(async () => (await page.textContent('#tile-online .tile-n')) === '2', 'two devices online on the overview', 30000);
    await page.waitForSelector('.jobs-table, .panel .empty');
    await shot(page, '03-overview');
    const me = await apiGet('/api/v1/me');
    assert.equal(me.role, 'admin');
    const list = await apiGet('/api/v1/devices?limit=100');
    assert.equal(list.total, 2);
    hostile = list.devices.find((d) => d.hostname.startsWith('<img'));
    local = list.devices.find((d) => d !== hostile);
    assert.ok(hostile, 'the simulated device with the hostile hostname is enrolled');
    assert.ok(local?.online, 'the local agent is online');
  });

  it('lists the local device online in the devices table', async () => {
    await page.click('a[data-nav=devices]');
    await page.waitForSelector(rowSel(local.id));
    const status = await page.textContent(`${rowSel(local.id)} td[data-col=status]`);
    assert.equal(status.trim(), 'online');
    const name = await page.textContent(`${rowSel(local.id)} .device-name`);
    assert.equal(name, local.hostname);
    await shot(page, '04-devices');
  });

  it('shows a hostile hostname as text and runs none of it', async () => {
    await page.waitForSelector(rowSel(hostile.id));
    const name = await page.textContent(`${rowSel(hostile.id)} .device-name`);
    assert.equal(name, HOSTILE);
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was parsed from the hostname');
    await page.click(`${rowSel(hostile.id)} .device-name`);
    await page.waitForSelector('#device-hostname');
    assert.equal(await page.textContent('#device-hostname'), HOSTILE);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.title(), `${HOSTILE} · Steward`);
    await shot(page, '05-hostile-device');
    assert.deepEqual(guards.dialogs, [], 'no alert() ran');
    await page.goBack();
    await page.waitForSelector('#devices-table');
  });

  it('searches by MAC with and without colons, and by IP', async () => {
    await searchFor(SIM_MAC, hostile.id);
    await searchFor(SIM_MAC.replaceAll(':', ''), hostile.id);
    await searchFor(SIM_MAC.toUpperCase().replaceAll(':', '-'), hostile.id);
    const m = (local.macs || []).find((x) => /^[0-9a-f]{12}$/.test(x) && x !== '000000000000');
    if (m) {
      await searchFor(m.match(/../g).join(':'), local.id);
      await searchFor(m, local.id);
    } else {
      console.log('  (the local device reports no MAC; searched the simulated one only)');
    }
    if (hostile.ips?.[0]) await searchFor(hostile.ips[0], hostile.id);
    await shot(page, '06-search-mac');
    await page.fill('#device-search', '');
    await waitUntil(async () => (await visibleRowIDs()).length === 2, 'both rows back');
  });

  it('filters by availability, type and OS', async () => {
    await page.selectOption('#filter-online', 'false');
    await waitUntil(async () => (await page.$('#no-devices')) !== null, 'no offline device');
    await page.selectOption('#filter-online', 'true');
    await waitUntil(async () => (await visibleRowIDs()).length === 2, 'two online devices');
    await page.selectOption('#filter-os', 'windows');
    await waitUntil(async () => (await page.$('#no-devices')) !== null, 'no Windows device');
    await page.selectOption('#filter-os', 'linux');
    await waitUntil(async () => (await visibleRowIDs()).length === 2, 'two Linux devices');
    assert.match(page.url(), /online=true/);
    await page.selectOption('#filter-online', '');
    await page.selectOption('#filter-os', '');
    await waitUntil(async () => !/online=/.test(page.url()), 'filters cleared from the URL');
  });

  it('remembers the column choice and compact view on the server', async () => {
    await page.click('#column-chooser summary');
    await page.uncheck('#column-chooser input[data-col=group]');
    await page.click('#column-chooser summary');
    await page.click('#density-toggle');
    await page.waitForSelector('#devices-table.compact');
    await waitUntil(async () => {
      const p = await apiGet('/api/v1/me/prefs');
      return p.devices?.density === 'compact' && !p.devices.columns.includes('group');
    }, 'preferences saved on the server');
    await page.reload();
    await page.waitForSelector('#devices-table.compact');
    assert.equal(await page.locator('#devices-table th[data-col=group]').count(), 0);
    assert.equal(await page.locator('#devices-table th[data-col=os]').count(), 1);
    await page.click('#density-toggle');
    await page.waitForSelector('#devices-table.detailed');
  });

  it('shows the device page tabs', async () => {
    await page.click(`${rowSel(local.id)} .device-name`);
    await page.waitForSelector('#panel-summary dl.facts');
    await shot(page, '07-device-summary');
    for (const t of ['patches', 'software', 'services', 'users']) {
      await page.click(`#tab-${t}`);
      await page.waitForSelector(`#panel-${t}:not([hidden])`);
      await shot(page, `08-device-${t}`);
    }
  });

  it('runs a script and shows its output', async () => {
    await page.click('#tab-script');
    await page.fill('#script-body', 'echo "steward-e2e-$((6*7))"\necho "to stderr" >&2\n');
    await page.click('#run-script');
    await page.waitForSelector('#script-output .run-output[data-state=succeeded]', { timeout: 30000 });
    const out = await page.textContent('#script-output pre.output');
    assert.match(out, /steward-e2e-42/);
    assert.match(out, /to stderr/);
    await shot(page, '09-run-script');
    await page.click('#tab-jobs');
    await page.waitForSelector('#runs-table tbody tr');
  });

  it('opens a terminal and runs a command in it', async () => {
    await page.click('#tab-terminal');
    // Plain sh: the test must not depend on this machine's shell profile.
    await page.selectOption('#terminal-shell', 'sh');
    await page.click('#terminal-open');
    await waitUntil(async () => (await page.textContent('#terminal-state')) === 'Connected.', 'the shell to connect', 20000);
    await page.waitForSelector('#terminal .xterm-helper-textarea', { state: 'attached' });
    const rows = async () => page.textContent('#terminal .xterm-rows');
    // Type once the shell has drawn its prompt, as a person would.
    await waitUntil(async () => (await rows()).trim().length > 0, 'the shell prompt', 20000);
    await page.click('#terminal');
    const n = 1000 + Math.floor(Math.random() * 9000);
    // Arithmetic, so the typed command line differs from its output.
    await page.keyboard.type(`echo hi-$((${n}+1)); printf '\\033[38;2;255;120;0mtruecolor-ok\\033[0m\\n'`);
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await rows()).includes(`hi-${n + 1}`), `hi-${n + 1} in the terminal`, 15000);
    await waitUntil(async () => (await rows()).includes('truecolor-ok'), 'truecolor output in the terminal', 5000);
    await shot(page, '10-terminal');
    await page.click('#terminal-close');
    await waitUntil(async () => (await page.textContent('#terminal-state')).startsWith('Session ended')
      || (await page.textContent('#terminal-state')) === 'Disconnected.', 'the session to end', 10000);
  });

  it('runs a bulk script on selected devices after a confirmation with the count', async () => {
    await page.click('a[data-nav=devices]');
    await page.waitForSelector(rowSel(hostile.id));
    await page.check(`${rowSel(local.id)} td.sel input`);
    await page.check(`${rowSel(hostile.id)} td.sel input`);
    assert.equal((await page.textContent('#bulk-count')).trim(), '2 selected');
    await page.click('#bulk-script');
    await page.waitForSelector('dialog.modal[open]');
    assert.equal(await page.textContent('dialog.modal h2'), 'Run a script on 2 devices');
    await page.fill('dialog.modal #script-body', 'echo bulk-ok');
    await shot(page, '11-bulk-confirm');
    await page.click('dialog.modal button.primary');
    const notice = page.locator('.toast.ok', { hasText: 'Run script: job created for 2 devices.' });
    await notice.waitFor();
    await notice.locator('a').click();
    await page.waitForSelector('#job-runs tbody tr');
    assert.equal(await page.locator('#job-runs tbody tr').count(), 2);
    // The simulated device answers at once; the page updates live.
    await waitUntil(async () => (await page.textContent('#job-runs')).includes('succeeded'), 'a run to succeed on the job page', 20000);
    await shot(page, '12-job');
  });

  it('asks for a fresh two-factor check when the server wants one, then retries', async () => {
    // The session is still fresh from the login, so the server's refusal
    // (which a job on more than 50 devices gets) is simulated once; the
    // two-factor check itself and the retried job are real. A recovery
    // code stands in for the authenticator, which also tests that path.
    let refused = 0;
    await page.route('**/api/v1/jobs', async (route) => {
      if (route.request().method() === 'POST' && refused === 0) {
        refused++;
        return route.fulfill({ status: 401, contentType: 'application/json',
          body: JSON.stringify({ error: 'a job on more than 50 devices needs a fresh two-factor check', code: 'fresh_2fa' }) });
      }
      return route.continue();
    });
    await page.click('a[data-nav=devices]');
    await page.waitForSelector(rowSel(hostile.id));
    await page.check(`${rowSel(hostile.id)} td.sel input`);
    await page.click('#bulk-script');
    await page.fill('dialog.modal #script-body', 'echo fresh-ok');
    await page.click('dialog.modal button.primary');
    await page.waitForSelector('dialog.modal[open] input[name=code]');
    assert.equal(await page.textContent('dialog.modal[open] h2'), 'Confirm with two-factor');
    await page.fill('dialog.modal[open] input[name=code]', 'wrong-code');
    await page.click('dialog.modal[open] button.primary');
    await page.waitForSelector('dialog.modal[open] .error:not([hidden])');
    await page.fill('dialog.modal[open] input[name=code]', recovery[0]);
    await page.click('dialog.modal[open] button.primary');
    await page.locator('.toast.ok', { hasText: 'Run script: job created for 1 device.' }).waitFor();
    assert.equal(refused, 1);
    await page.unroute('**/api/v1/jobs');
  });

  it('turns the device offline live when its agent stops', async () => {
    await page.click('a[data-nav=devices]');
    await page.waitForSelector(rowSel(local.id));
    await page.evaluate(() => { window.__stwNoReload = true; });
    assert.equal((await page.textContent(`${rowSel(local.id)} td[data-col=status]`)).trim(), 'online');
    process.kill(AGENT_PID, 'SIGKILL');
    const t0 = Date.now();
    await waitUntil(async () => (await page.textContent(`${rowSel(local.id)} td[data-col=status]`)).trim() === 'offline',
      'the local device to show offline', 45000);
    console.log(`  device shown offline ${Date.now() - t0} ms after its agent was killed`);
    assert.equal(await page.evaluate(() => window.__stwNoReload), true, 'the page was not reloaded');
    await shot(page, '13-device-offline');
    await page.click('a[data-nav=overview]');
    await waitUntil(async () => (await page.textContent('#tile-offline .tile-n')) === '1', 'one offline on the overview');
  });

  it('shows jobs, clients and enrollment; creates a token with install commands', async () => {
    await page.click('a[data-nav=jobs]');
    await page.waitForSelector('.jobs-table tbody tr');
    await shot(page, '14-jobs');
    await page.click('a[data-nav=clients]');
    await page.waitForSelector('#clients-table tbody tr');
    assert.equal(await page.locator('#clients-table tbody tr').count(), 2);
    await shot(page, '15-clients');
    await page.click('a[data-nav=enrollment]');
    await page.waitForSelector('#token-client option[value^="c"]', { state: 'attached' });
    await page.fill('#token-note', 'browser test');
    await page.click('#token-create');
    await page.waitForSelector('#token-result .cmd[data-os=linux] pre');
    for (const os of ['linux', 'macos', 'windows', 'agent']) {
      assert.match(await page.textContent(`#token-result .cmd[data-os=${os}] pre`), /enr_/);
    }
    await page.waitForSelector('#tokens-table tbody tr');
    await shot(page, '16-enrollment');
  });

  it('shapes the dashboard by role and client scope', async () => {
    const me = await apiGet('/api/v1/me');
    const r = await ctx.request.post(`${BASE}/api/v1/users`, { headers: { 'X-CSRF-Token': me.csrf },
      data: { name: 'helpdesk1', password: 'helpdesk-password-1', role: 'helpdesk', clients: [local.client] } });
    assert.equal(r.status(), 201, await r.text());
    const ctx2 = await newContext(browser, guards);
    const p2 = watch(await ctx2.newPage(), guards);
    const l = await login(p2, BASE, 'helpdesk1', 'helpdesk-password-1', new Authenticator());
    assert.equal(l.stage, 'done');
    await p2.waitForSelector('#overview-tiles .tile');
    assert.equal(await p2.locator('a[data-nav=enrollment]').count(), 0, 'no Enrollment without the clients permission');
    await p2.click('a[data-nav=devices]');
    await p2.waitForSelector('#devices-table tbody tr');
    assert.deepEqual(await p2.$$eval('#devices-table tbody tr', (rows) => rows.map((x) => x.dataset.id)), [local.id], 'only devices of the user\'s client');
    assert.equal(await p2.locator('#devices-table td.sel input').count(), 0, 'no bulk selection without run, power or patch');
    assert.equal(await p2.isHidden('#bulkbar'), true);
    await p2.click(`${rowSel(local.id)} .device-name`);
    await p2.waitForSelector('#tab-services');
    for (const t of ['script', 'power', 'terminal']) assert.equal(await p2.locator(`#tab-${t}`).count(), 0, `no ${t} tab for helpdesk`);
    await shot(p2, '17-helpdesk-device');
    const other = await ctx2.request.get(`${BASE}/api/v1/devices/${hostile.id}`);
    assert.equal(other.status(), 404, 'a device of another client is not visible');
    await ctx2.close();
  });

  it('logs in again with a TOTP code, and logs out', async () => {
    const ctx2 = await newContext(browser, guards);
    const p2 = watch(await ctx2.newPage(), guards);
    const r = await login(p2, BASE, 'admin', PASSWORD, auth);
    assert.equal(r.stage, 'code');
    await p2.waitForSelector('#overview-tiles .tile');
    await p2.click('#logout');
    await p2.waitForSelector('#login-form');
    const me = await ctx2.request.get(`${BASE}/api/v1/me`);
    assert.equal(me.status(), 401, 'the session is gone after logout');
    await ctx2.close();
  });

  it('had no CSP violation, no alert and no page error', () => {
    assert.deepEqual(guards.csp, [], 'CSP violations');
    assert.deepEqual(guards.dialogs, [], 'dialogs');
    assert.deepEqual(guards.pageErrors, [], 'page errors');
    if (guards.consoleErrors.length) console.log(`  console errors (not failures): ${JSON.stringify(guards.consoleErrors)}`);
  });
});
