// Audit log: the hash-chained record of every remote action, newest first,
// filtered by action (a prefix such as "job." or "shell.") and actor, with
// a check of the whole chain. The API reads forward from a sequence number
// ("after"), and sequence numbers run 1, 2, 3… without gaps, so a page of
// the newest events is the window just below the last one.
import { h, put, debounce } from '../lib/dom.js';
import { get, can, qs } from '../lib/api.js';
import { time, full, count } from '../lib/format.js';
import { empty, toast } from '../lib/ui.js';

const PAGE = 100;
const WINDOW = 1000; // sequence numbers read per request (at most the API's limit)
const MAX_WINDOWS = 20; // per page, so a filter matching nothing stops looking
const ACTIONS = ['auth.', 'auth.login', 'user.', 'token.', 'client.', 'device.', 'job.', 'run.', 'script.', 'shell.', 'update.', 'enroll.', 'setup.'];

/** lastSeq finds the newest sequence number with O(log n) one-record reads. */
async function lastSeq() {
  const after = async (x) => ((await get(`/api/v1/audit${qs({ after: x, limit: 1 })}`)) || []).length > 0;
  if (!await after(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (await after(hi)) {
    lo = hi;
    hi *= 2;
  }
  // A record exists after lo and none after hi: the last one is in (lo, hi].
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await after(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

const detailText = (d) => Object.entries(d || {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('  ');

export function mount(root, ctx) {
  if (!can('audit')) {
    put(root, h('h1', { text: 'Audit log' }), h('p', { class: 'error', text: 'You do not have permission to read the audit log.' }));
    return {};
  }
  const action = h('input', { type: 'search', id: 'audit-action', list: 'audit-actions', placeholder: 'Action (prefix, e.g. job.)',
    value: ctx.query.get('action') || '', maxlength: '64', 'aria-label': 'Action' });
  const actions = h('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => h('option', { value: a })));
  const actor = h('input', { type: 'search', id: 'audit-actor', placeholder: 'Actor (exact user name)', value: ctx.query.get('actor') || '',
    maxlength: '64', 'aria-label': 'Actor' });
  // Events name the client they concern by ID; the names come from the
  // clients list (a client the user cannot see is shown by its ID).
  const clientSel = h('select', { id: 'audit-client', 'aria-label': 'Client' }, h('option', { value: '', text: 'All clients' }));
  const names = new Map();
  const clientText = (ids) => (ids || '').split(',').filter(Boolean).map((id) => names.get(id) || id).join(', ');
  const verifyBtn = h('button', { type: 'button', id: 'audit-verify', text: 'Verify chain' });
  const verifyOut = h('span', { id: 'audit-verify-result', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', id: 'audit-status' });
  const list = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Audit log' })),
    h('div', { class: 'toolbar' }, action, actions, actor, clientSel, h('span', { class: 'spacer' }), verifyBtn, verifyOut),
    status, list, pager);

  // pages[i] is the exclusive upper bound of page i (sequence numbers below it).
  let pages = [];
  let page = 0;
  let last = 0;
  let gen = 0;

  const filters = () => ({ action: action.value.trim(), actor: actor.value.trim(), client: clientSel.value });

  /** below collects up to PAGE matching events with seq < hi, newest first. */
  async function below(hi, f) {
    const out = [];
    let windows = 0;
    // Unfiltered, every sequence number is a row: read just one page.
    const win = f.action || f.actor || f.client ? WINDOW : PAGE;
    while (out.length < PAGE && hi > 1 && windows < MAX_WINDOWS) {
      const lo = Math.max(0, hi - 1 - win);
      const evs = (await get(`/api/v1/audit${qs({ after: lo, limit: win, ...f })}`)) || [];
      out.push(...evs.filter((e) => e.seq < hi));
      hi = lo + 1;
      windows++;
    }
    out.sort((a, b) => b.seq - a.seq);
    return { events: out.slice(0, PAGE), more: out.length > PAGE || hi > 1, scannedTo: hi };
  }

  async function show() {
    const my = ++gen;
    const f = filters();
    history.replaceState(null, '', `/audit${qs(f)}`);
    status.textContent = 'Loading…';
    let r;
    try {
      if (page === 0) {
        last = await lastSeq();
        pages = [last + 1];
      }
      r = await below(pages[page], f);
    } catch (e) {
      if (my === gen) status.textContent = `Could not load the audit log: ${e.message}`;
      return;
    }
    if (my !== gen) return;
    const evs = r.events;
    // The next (older) page starts below the oldest event shown, or below
    // the part already searched when nothing matched.
    pages[page + 1] = evs.length === PAGE ? evs[evs.length - 1].seq : r.scannedTo;
    const filtered = f.action || f.actor || f.client;
    status.textContent = `${count(last)} events in the log${filtered ? '; showing those that match' : ''}.`;
    put(list, evs.length ? h('table', { class: 'grid compact', id: 'audit-table' },
      h('thead', {}, h('tr', {}, ['#', 'Time', 'Actor', 'Action', 'Target', 'Client', 'Detail', 'Source'].map((x) => h('th', { text: x })))),
      h('tbody', {}, evs.map((e) => h('tr', { dataset: { seq: String(e.seq), action: e.action } },
        h('td', { class: 'num', text: String(e.seq) }),
        h('td', { title: full(e.at) }, time(e.at)),
        h('td', { class: 'audit-actor', text: e.actor }),
        h('td', {}, h('code', { class: 'audit-action', text: e.action })),
        h('td', { class: 'audit-target', text: e.target || '' }),
        h('td', { class: 'audit-client clip-cell', text: clientText(e.client), title: clientText(e.client) }),
        h('td', { class: 'audit-detail', text: detailText(e.detail) }),
        h('td', { class: 'audit-source', text: e.source || '' })))))
      : empty(r.scannedTo > 1 ? 'No matching events in this part of the log; look further back with "Older".' : 'No matching events.'));
    const more = r.scannedTo > 1 || evs.length === PAGE;
    put(pager,
      h('button', { type: 'button', class: 'small', id: 'audit-newer', text: '‹ Newer', disabled: page === 0, onclick: () => { page--; show(); } }),
      h('span', { text: `page ${page + 1}` }),
      h('button', { type: 'button', class: 'small', id: 'audit-older', text: 'Older ›', disabled: !more, onclick: () => { page++; show(); } }),
      h('button', { type: 'button', class: 'small', text: 'Newest', disabled: page === 0, onclick: () => { page = 0; show(); } }));
  }
  const refilter = debounce(() => { page = 0; show(); }, 300);
  action.addEventListener('input', refilter);
  actor.addEventListener('input', refilter);
  clientSel.addEventListener('change', () => { page = 0; show(); });
  get('/api/v1/clients').then((cs) => {
    for (const c of cs || []) {
      names.set(c.id, c.name);
      clientSel.append(h('option', { value: c.id, text: c.name, title: c.name }));
    }
    const want = ctx.query.get('client');
    if (want) clientSel.value = want;
    show();
  }).catch((e) => { toast(`Could not load the clients: ${e.message}`, 'error'); show(); });

  verifyBtn.addEventListener('click', async () => {
    verifyBtn.disabled = true;
    put(verifyOut, h('span', { class: 'muted', text: 'Checking every record…' }));
    try {
      const r = await get('/api/v1/audit/verify');
      verifyOut.dataset.ok = String(!!r.ok);
      put(verifyOut, r.ok
        ? h('span', { class: 'badge ok', text: `Chain intact: ${count(r.records)} records` })
        : h('span', { class: 'badge bad', text: `Chain BROKEN after ${count(r.records)} records: ${r.error || 'unknown error'}` }));
    } catch (e) {
      delete verifyOut.dataset.ok;
      put(verifyOut, h('span', { class: 'error', text: e.message }));
    } finally {
      verifyBtn.disabled = false;
    }
  });

  show();
  return {};
}
