// Seats & devices: the account plan. Technician seats per module (remote
// support: scripts, shells, power, patches, services; service desk:
// tickets), each count linking to the users page filtered to the holders,
// and the devices in use (enrolled, not retired) against the device
// limit. Admins set the limits here (0 = unlimited); a limit fixed by a
// server flag is shown and cannot be changed.
import { h, put, enc } from '../lib/dom.js';
import { get, api, can } from '../lib/api.js';
import { count } from '../lib/format.js';
import { toast, field } from '../lib/ui.js';

const limitText = (n) => (n > 0 ? count(n) : 'unlimited');
const availText = (used, lim) => (lim > 0 ? count(Math.max(lim - used, 0)) : 'unlimited');

export function mount(root) {
  if (!can('users')) {
    put(root, h('h1', { text: 'Seats & devices' }), h('p', { class: 'error', text: 'You do not have permission to see the account plan.' }));
    return {};
  }
  const body = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const form = h('div');
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Seats & devices' })), body, form);

  function render(s) {
    const rows = s.modules.map((m) => h('tr', { dataset: { module: m.module } },
      h('th', { scope: 'row' }, h('span', { text: `${m.label[0].toUpperCase()}${m.label.slice(1)} seats` }),
        h('span', { class: 'sub', text: m.perms.length ? `for ${m.perms.join(', ')}` : 'for tickets (coming)' })),
      h('td', { class: 'seat-used' }, h('a', { href: `/users?seat=${enc(m.module)}`, title: 'The technicians holding a seat', text: count(m.used) })),
      h('td', { class: 'seat-limit' }, limitText(m.limit), m.fixed ? h('span', { class: 'badge', title: 'set by a server flag', text: 'fixed' }) : ''),
      h('td', { class: ['seat-available', m.limit > 0 && m.used >= m.limit && 'warn-text'] }, availText(m.used, m.limit))));
    const d = s.devices;
    rows.push(h('tr', { dataset: { module: 'devices' } },
      h('th', { scope: 'row' }, h('span', { text: 'Devices' }), h('span', { class: 'sub', text: 'enrolled, not retired' })),
      h('td', { class: 'seat-used' }, h('a', { href: '/devices', text: count(d.used) })),
      h('td', { class: 'seat-limit' }, limitText(d.limit), d.fixed ? h('span', { class: 'badge', title: 'set by a server flag', text: 'fixed' }) : ''),
      h('td', { class: ['seat-available', d.limit > 0 && d.used >= d.limit && 'warn-text'] }, availText(d.used, d.limit))));
    put(body, h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'seats-table' },
      h('thead', {}, h('tr', {}, ['', 'In use', 'Limit', 'Available'].map((x) => h('th', { text: x })))),
      h('tbody', {}, rows))),
    h('p', { class: 'muted', text: 'Every user whose role acts on devices holds a remote support seat unless an admin takes it away on the users page. A user without a seat can sign in and view; technician actions are refused, naming the seat. A retired device frees its place under the device limit.' }));
    if (!can('admin')) {
      put(form);
      return;
    }
    const inputs = {};
    const num = (key, value, fixed, label) => {
      inputs[key] = h('input', { type: 'number', min: '0', max: '1000000', step: '1', id: `plan-${key}`, value: String(value || 0), disabled: fixed,
        title: fixed ? 'Fixed by a server flag' : '' });
      return field(label, inputs[key], fixed ? 'Fixed by a server flag.' : '0 means unlimited.');
    };
    const save = h('button', { type: 'submit', class: 'primary', id: 'plan-save', text: 'Save limits' });
    const f = h('form', { class: 'stack narrow', id: 'plan-form' },
      num('remote_support', s.modules[0]?.limit, s.modules[0]?.fixed, 'Remote support seats'),
      num('service_desk', s.modules[1]?.limit, s.modules[1]?.fixed, 'Service desk seats'),
      num('device_limit', d.limit, d.fixed, 'Device limit'), h('div', {}, save));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const req = {};
      for (const [k, el] of Object.entries(inputs)) {
        if (!el.disabled) req[k] = Math.max(0, parseInt(el.value || '0', 10) || 0);
      }
      save.disabled = true;
      try {
        render(await api('PUT', '/api/v1/seats', req));
        toast('Limits saved.', 'ok');
      } catch (ex) {
        toast(`Could not save the limits: ${ex.message}`, 'error');
      } finally {
        save.disabled = false;
      }
    });
    put(form, h('section', { class: 'panel' }, h('h2', { class: 'first', text: 'Limits' }), f));
  }

  get('/api/v1/seats').then(render).catch((e) => put(body, h('p', { class: 'error', text: e.message })));
  return {};
}
