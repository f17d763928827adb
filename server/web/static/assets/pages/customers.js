// Customers: the clients that granted access (an active consent grant),
// each with its health at a glance, its details and grant, and actions
// carried out in that customer's context (a script on all its devices).
import { h, put, enc } from '../lib/dom.js';
import { get, can } from '../lib/api.js';
import { count, time } from '../lib/format.js';
import { modal, empty } from '../lib/ui.js';
import { createJob, scriptForm } from '../lib/jobs.js';
import { roleText } from '../lib/consent.js';

export function mount(root) {
  const list = h('div', { id: 'customers-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Customers' })),
    h('p', { class: 'muted', text: 'Clients that granted your team access, with the health of their devices. Access is asked for on a client\'s Consent tab.' }),
    list);

  const sev = (a) => [['critical', 'bad'], ['warning', 'warn'], ['information', '']]
    .filter(([k]) => a?.[k]).map(([k, cls]) => h('span', { class: ['badge', cls], text: `${count(a[k])} ${k}` }));

  async function runScript(c) {
    const form = scriptForm('', c.client_id);
    const r = await modal({ title: `Run a script on all ${count(c.devices)} devices of ${c.name}`, body: form.el,
      ok: `Run on ${count(c.devices)} devices`, wide: true, onSubmit: async () => ({ body: form.body() }) });
    if (r?.body) await createJob({ client: c.client_id, ...r.body }, `Run script on ${c.name}`);
  }

  async function load() {
    let data;
    try {
      data = await get('/api/v1/customers');
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    const cs = data.customers || [];
    put(list, cs.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'customers-table' },
      h('thead', {}, h('tr', {}, ['Customer', 'Devices', 'Offline', 'Open alerts', 'Pending reboot', 'Security patches', 'Details', 'Grant', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, cs.map((c) => h('tr', { dataset: { client: c.client_id } },
        h('td', {}, h('a', { href: `/clients/${enc(c.client_id)}`, class: 'clip customer-name', text: c.name, title: c.name })),
        h('td', { class: 'num', text: count(c.devices) }),
        h('td', { class: 'num' }, c.offline ? h('span', { class: 'badge warn', text: count(c.offline) }) : '0'),
        h('td', {}, sev(c.alerts).length ? sev(c.alerts) : h('span', { class: 'muted', text: 'none' })),
        h('td', { class: 'num', text: count(c.pending_reboot) }),
        h('td', { class: 'num', text: count(c.security_patches) }),
        h('td', { class: 'customer-details' },
          c.address && h('div', { class: 'clip', text: [c.address, c.postcode].filter(Boolean).join(' '), title: c.address }),
          c.website && h('div', { class: 'muted clip', text: c.website }),
          c.contract && h('div', { class: 'muted', text: `Contract: ${c.contract}` })),
        h('td', {}, h('div', { text: roleText(c.roles) }), h('div', { class: 'muted' }, 'until ', time(c.grant_ends_at))),
        h('td', { class: 'actions' },
          can('run') && c.devices > 0 && c.roles.includes('manage_devices') && h('button', { type: 'button', class: 'small customer-run', text: 'Run script', onclick: () => runScript(c) }),
          h('a', { class: 'button small', href: `/clients/${enc(c.client_id)}/devices`, text: 'Devices' })))))))
      : empty('No client has granted access yet.'));
  }

  load();
  return {};
}
