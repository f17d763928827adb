// Client page tab: the client's devices (the fleet table filtered to this
// client, paged on the server), linking to the full devices page, and its
// network monitors, each a device of type TCP or HTTP with its own state.
import { h, put, enc, debounce, throttle } from '../../lib/dom.js';
import { get, qs } from '../../lib/api.js';
import { time, count, osText, onlineBadge, TYPES } from '../../lib/format.js';

export const id = 'devices';
export const title = 'Devices';

const PAGE = 100;
const dash = () => h('span', { class: 'muted', text: '—' });

export function mount(root, ctx) {
  const st = { search: '', page: 0, rows: [], total: 0 };
  const search = h('input', { type: 'search', id: 'client-device-search', placeholder: 'Search name, IP or MAC', 'aria-label': 'Search devices', maxlength: '256' });
  const wrap = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  const monitors = h('section', { id: 'client-monitors' });
  put(root, h('div', { class: 'toolbar' }, search, h('span', { class: 'muted', id: 'client-device-total' }), h('span', { class: 'spacer' }),
    h('a', { class: 'button small', href: `/devices${qs({ client: ctx.clientId })}`, text: 'Open in Devices' })), wrap, pager, monitors);

  async function load() {
    try {
      const data = await get(`/api/v1/devices${qs({ client: ctx.clientId, search: st.search.trim(), limit: PAGE, offset: st.page * PAGE })}`);
      st.rows = data.devices || [];
      st.total = data.total ?? st.rows.length;
    } catch (e) {
      put(wrap, h('p', { class: 'error', text: `Could not load devices: ${e.message}` }));
      return;
    }
    put(wrap, st.rows.length ? h('table', { class: 'grid', id: 'client-devices-table' },
      h('thead', {}, h('tr', {}, ['Status', 'Name', 'Type', 'OS', 'Last user', 'Reboot', 'Patches', 'Last seen'].map((x) => h('th', { text: x })))),
      h('tbody', {}, st.rows.map((v) => h('tr', { dataset: { id: v.id } },
        h('td', {}, onlineBadge(v.online)), h('td', {}, h('a', { href: `/devices/${enc(v.id)}`, text: v.hostname || v.id })),
        h('td', { text: TYPES[v.device_type] || v.device_type || '' }), h('td', { text: osText(v) }),
        h('td', {}, v.last_user || dash()), h('td', {}, v.pending_reboot ? h('span', { class: 'badge warn', text: 'pending' }) : dash()),
        h('td', {}, v.patches_available ? h('span', { class: 'badge warn', text: String(v.patches_available) }) : dash()),
        h('td', {}, v.online ? h('span', { class: 'muted', text: 'now' }) : time(v.last_seen))))))
      : h('p', { class: 'empty', id: 'no-client-devices', text: st.search ? 'No device matches.' : 'This client has no devices yet.' }));
    document.getElementById('client-device-total').textContent = `${count(st.total)} device${st.total === 1 ? '' : 's'}`;
    const last = Math.max(0, Math.ceil(st.total / PAGE) - 1);
    put(pager, h('span', { text: `page ${count(st.page + 1)} of ${count(last + 1)}` }),
      h('button', { type: 'button', class: 'small', text: '‹ Previous', disabled: st.page === 0, onclick: () => { st.page--; load(); } }),
      h('button', { type: 'button', class: 'small', text: 'Next ›', disabled: st.page >= last, onclick: () => { st.page++; load(); } }));
  }
  const STATES = { up: 'ok', warning: 'warn', down: 'bad', unknown: 'muted' };
  async function loadMonitors() {
    let list;
    try {
      list = (await get(`/api/v1/monitors${qs({ client: ctx.clientId })}`)) || [];
    } catch (e) {
      put(monitors, h('p', { class: 'error', text: `Could not load network monitors: ${e.message}` }));
      return;
    }
    put(monitors, h('h2', { text: 'Network monitors' }), list.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'client-monitors-table' },
      h('thead', {}, h('tr', {}, ['State', 'Name', 'Type', 'Address', 'Last result', 'Checked'].map((x) => h('th', { text: x })))),
      h('tbody', {}, list.map((m) => h('tr', { dataset: { id: m.id } },
        h('td', {}, h('span', { class: `badge ${STATES[m.state] || 'muted'}`, text: m.state || 'unknown' })),
        h('td', { class: 'clip', title: m.name }, m.alert_id ? h('a', { href: `/alerts${qs({ search: m.name })}`, text: m.name }) : m.name),
        h('td', { text: `${(m.device_type || m.kind || '').toUpperCase()} (${m.kind})` }),
        h('td', { class: 'clip', title: m.address, text: m.address }),
        h('td', { class: 'clip', title: m.last_result || '', text: m.last_result || '—' }),
        h('td', {}, m.last_at ? time(m.last_at) : dash()))))))
      : h('p', { class: 'empty', id: 'no-client-monitors', text: 'No network monitor watches an address for this client (stewardctl monitors create).' }));
  }
  loadMonitors();
  search.addEventListener('input', debounce(() => { st.search = search.value; st.page = 0; load(); }, 250));
  const reload = throttle(load, 2000);
  load();
  const reloadMonitors = throttle(loadMonitors, 2000);
  return {
    onEvent(ev) {
      if (ev.type === 'device' && (!ev.client_id || ev.client_id === ctx.clientId)) reload();
      if (ev.type === 'alert' && (!ev.client_id || ev.client_id === ctx.clientId)) reloadMonitors();
    },
  };
}
