// Alerts: every alert in the caller's scope, newest first, with search
// (title, client, device) and filters (severity, status, category,
// device type); alert events refresh it live.
import { h, put, debounce, throttle } from '../lib/dom.js';
import { get, qs } from '../lib/api.js';
import { select, empty } from '../lib/ui.js';
import { alertsTable } from '../lib/alerts.js';

const SEVERITIES = [['', 'Any severity'], ['critical', 'Critical'], ['warning', 'Warning'], ['information', 'Information']];
const STATUSES = [['open,snoozed', 'Unresolved'], ['open', 'Open'], ['snoozed', 'Snoozed'], ['resolved', 'Resolved'], ['', 'Any status']];
const CATEGORIES = [['', 'Any category'], ...['availability', 'disk', 'performance', 'applications', 'hardware', 'network', 'script-based', 'general']
  .map((c) => [c, c])];
const DTYPES = [['', 'Any device type'], ['server', 'Server'], ['pc', 'PC'], ['mac', 'Mac'], ['linux', 'Linux']];

export function mount(root, ctx) {
  const q = ctx.query;
  const status = q.get('status') ?? 'open,snoozed';
  const f = { search: q.get('search') || '', severity: q.get('severity') || '', status: status === 'all' ? '' : status,
    category: q.get('category') || '', device_type: q.get('device_type') || '' };
  const search = h('input', { type: 'search', id: 'alert-search', placeholder: 'Search title, client or device', value: f.search,
    maxlength: '256', 'aria-label': 'Search alerts' });
  const sels = {
    severity: select('severity', SEVERITIES, f.severity, { id: 'alert-severity', 'aria-label': 'Severity' }),
    status: select('status', STATUSES, f.status, { id: 'alert-status', 'aria-label': 'Status' }),
    category: select('category', CATEGORIES, f.category, { id: 'alert-category', 'aria-label': 'Category' }),
    device_type: select('device_type', DTYPES, f.device_type, { id: 'alert-type', 'aria-label': 'Device type' }),
  };
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  const more = h('div', {});
  put(root, h('h1', { text: 'Alerts' }), h('div', { class: 'toolbar filters' }, search, Object.values(sels)), list, more);
  let rows = [];

  async function load(before = '') {
    history.replaceState(null, '', `/alerts${qs({ ...f, status: f.status || 'all' })}`);
    try {
      const res = await get(`/api/v1/alerts${qs({ ...f, before, limit: 100 })}`);
      rows = before ? rows.concat(res.alerts) : res.alerts;
      put(list, rows.length ? alertsTable(rows, () => load()) : empty('No alerts match.'));
      put(more, res.next ? h('button', { type: 'button', class: 'small', id: 'alerts-more', text: 'More', onclick: () => load(res.next) }) : null);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
    }
  }
  search.addEventListener('input', debounce(() => { f.search = search.value.trim(); load(); }, 250));
  for (const [k, s] of Object.entries(sels)) s.addEventListener('change', () => { f[k] = s.value; load(); });
  const reload = throttle(() => load(), 1000);
  load();
  return {
    onEvent(ev) {
      if (ev.type === 'alert' || ev.type === 'resync') reload();
    },
  };
}
