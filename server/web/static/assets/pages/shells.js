// Shell recordings: every terminal session on the caller's clients'
// devices, newest first, with who opened it, how long it ran and how it
// ended; each links to its replay (pages/shell.js) and its asciicast file.
import { h, put, enc, debounce } from '../lib/dom.js';
import { get, can } from '../lib/api.js';
import { time, full, bytes, duration, count, when } from '../lib/format.js';
import { empty } from '../lib/ui.js';

const PAGE = 100;

/** deviceNames resolves device IDs to hostnames (revoked devices keep their ID). */
export async function deviceNames(ids, names) {
  const missing = [...new Set(ids)].filter((d) => !names.has(d)).slice(0, 50);
  await Promise.all(missing.map((d) => get(`/api/v1/devices/${enc(d)}`).then((x) => names.set(d, x.device.hostname || d))
    .catch(() => names.set(d, d))));
}

/** sessionLength is a recording's duration as text ("running" while open). */
export function sessionLength(r) {
  const a = when(r.started);
  const b = when(r.ended);
  if (!a) return '';
  return b ? duration((b - a) / 1000) : 'running';
}

export function mount(root) {
  if (!can('recordings')) {
    put(root, h('h1', { text: 'Shell recordings' }), h('p', { class: 'error', text: 'You do not have permission to review shell recordings.' }));
    return {};
  }
  const names = new Map();
  const filter = h('input', { type: 'search', id: 'shells-filter', placeholder: 'Filter by device, user or shell', 'aria-label': 'Filter recordings' });
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  const pager = h('div', { class: 'pager' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Shell recordings' }), h('span', { class: 'muted', id: 'shells-count' })),
    h('p', { class: 'muted', text: 'Every terminal session is recorded (output and resizes; keystrokes only when the server runs with --record-shell-input) and kept for the server\'s retention period.' }),
    h('div', { class: 'toolbar' }, filter), list, pager);
  let recs = [];
  let page = 0;

  async function load() {
    try {
      recs = ((await get('/api/v1/shells')) || []).sort((a, b) => (a.started < b.started ? 1 : -1));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    document.getElementById('shells-count').textContent = `${count(recs.length)} session${recs.length === 1 ? '' : 's'}`;
    await draw();
  }

  async function draw() {
    const q = filter.value.trim().toLowerCase();
    const hits = q ? recs.filter((r) => `${names.get(r.device_id) || r.device_id} ${r.user} ${r.shell || ''}`.toLowerCase().includes(q)) : recs;
    page = Math.min(page, Math.max(0, Math.ceil(hits.length / PAGE) - 1));
    const shown = hits.slice(page * PAGE, (page + 1) * PAGE);
    await deviceNames(shown.map((r) => r.device_id), names);
    put(list, shown.length ? h('table', { class: 'grid', id: 'shells-table' },
      h('thead', {}, h('tr', {}, ['Started', 'Device', 'User', 'Shell', 'Length', 'Input', 'Output', 'Ended', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, shown.map((r) => h('tr', { dataset: { shell: r.id, device: r.device_id } },
        h('td', { title: full(r.started) }, time(r.started)),
        h('td', {}, h('a', { href: `/devices/${enc(r.device_id)}`, class: 'device-name', text: names.get(r.device_id) || r.device_id })),
        h('td', { text: r.user }),
        h('td', {}, h('code', { text: r.shell || 'default' })),
        h('td', { text: sessionLength(r) }),
        h('td', { class: 'num', text: bytes(r.bytes_in) }),
        h('td', { class: 'num', text: bytes(r.bytes_out) }),
        h('td', { text: r.ended && when(r.ended) ? `${r.reason || ''}${r.exit_code >= 0 ? ` (exit ${r.exit_code})` : ''}` : '' }),
        h('td', { class: 'actions' }, r.recording ? [
          h('a', { class: 'button small shell-view', href: `/shells/${enc(r.id)}`, text: 'Replay' }),
          h('a', { class: 'button small', href: `/api/v1/shells/${enc(r.id)}/recording`, download: `${r.id}.cast`, text: 'Download' })]
          : h('span', { class: 'muted', text: 'no recording' }))))))
      : empty(q ? 'No recording matches.' : 'No terminal sessions yet.'));
    const last = Math.max(0, Math.ceil(hits.length / PAGE) - 1);
    put(pager, hits.length > PAGE ? [
      h('button', { type: 'button', class: 'small', text: '‹ Newer', disabled: page === 0, onclick: () => { page--; draw(); } }),
      h('span', { text: `page ${page + 1} of ${last + 1}` }),
      h('button', { type: 'button', class: 'small', text: 'Older ›', disabled: page >= last, onclick: () => { page++; draw(); } })] : null);
  }
  filter.addEventListener('input', debounce(() => { page = 0; draw(); }, 200));
  load();
  return {};
}
