// Clients: device counts per client, creating clients, and actions on a
// whole client's devices.
import { h, put, enc, throttle } from '../lib/dom.js';
import { get, post, can, session } from '../lib/api.js';
import { count, time } from '../lib/format.js';
import { modal, confirm, toast, field, select } from '../lib/ui.js';
import { createJob, scriptForm } from '../lib/jobs.js';

const pick = (s, k) => s?.[k] ?? s?.[k[0].toUpperCase() + k.slice(1).replace(/_(\w)/g, (_, c) => c.toUpperCase())] ?? 0;

export function mount(root) {
  const list = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const canCreate = can('clients') && session.me.all_clients;
  const name = h('input', { name: 'name', id: 'client-name', required: true, maxlength: '100', placeholder: 'Client name' });
  const create = h('form', { class: 'toolbar', id: 'client-create' }, name, h('button', { type: 'submit', class: 'primary', text: 'Add client' }));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/v1/clients', { name: name.value.trim() });
      toast(`Client ${name.value.trim()} added.`, 'ok');
      name.value = '';
      load();
    } catch (ex) {
      toast(ex.message, 'error');
    }
  });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Clients' })), canCreate ? create : null, list);

  const who = (c, s) => `${count(pick(s, 'total'))} device${pick(s, 'total') === 1 ? '' : 's'} of ${c.name}`;
  async function runScript(c, s) {
    const form = scriptForm('', c.id);
    const r = await modal({ title: `Run a script on ${who(c, s)}`, body: form.el, ok: `Run on ${count(pick(s, 'total'))} devices`, wide: true, onSubmit: async () => ({ body: form.body() }) });
    if (r?.body) await createJob({ client: c.id, ...r.body }, `Run script on ${c.name}`);
  }
  async function reboot(c, s) {
    if (await confirm('Reboot a whole client', `Reboot all ${who(c, s)} now?`, { ok: `Reboot ${count(pick(s, 'total'))} devices`, danger: true })) {
      await createJob({ client: c.id, kind: 'power', power: { action: 'reboot' } }, `Reboot ${c.name}`);
    }
  }
  async function patch(c, s) {
    const rb = select('reboot', [['never', 'Never reboot'], ['if-required', 'Reboot if an update requires it']], 'never');
    const r = await modal({ title: 'Install patches', ok: `Install on ${count(pick(s, 'total'))} devices`,
      body: h('div', { class: 'stack' }, h('p', { text: `Install all available patches on ${who(c, s)}.` }), field('Reboot', rb)),
      onSubmit: async () => ({ reboot: rb.value }) });
    if (r?.reboot) await createJob({ client: c.id, kind: 'patch_install', patch: { reboot: r.reboot } }, `Install patches on ${c.name}`);
  }

  async function load() {
    try {
      const [cs, ov] = await Promise.all([get('/api/v1/clients'), get('/api/v1/overview')]);
      const rows = (cs || []).sort((a, b) => a.name.localeCompare(b.name));
      put(list, rows.length ? h('table', { class: 'grid', id: 'clients-table' },
        h('thead', {}, h('tr', {}, ['Client', 'Devices', 'Online', 'Offline', 'Pending reboot', 'With patches', 'Created', ''].map((x) => h('th', { text: x })))),
        h('tbody', {}, rows.map((c) => {
          const s = ov.devices?.[c.id] || {};
          const n = pick(s, 'total');
          return h('tr', { dataset: { client: c.id } },
            h('td', {}, h('a', { href: `/devices?client=${enc(c.id)}`, text: c.name })),
            h('td', { class: 'num', text: count(n) }), h('td', { class: 'num', text: count(pick(s, 'online')) }),
            h('td', { class: 'num', text: count(pick(s, 'offline')) }), h('td', { class: 'num', text: count(pick(s, 'pending_reboot')) }),
            h('td', { class: 'num', text: count(pick(s, 'with_patches')) }), h('td', {}, time(c.created_at)),
            h('td', { class: 'actions' },
              can('run') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Run script…', onclick: () => runScript(c, s) }),
              can('power') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Reboot…', onclick: () => reboot(c, s) }),
              can('patch') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Patch…', onclick: () => patch(c, s) }),
              can('clients') && h('a', { class: 'button small', href: `/enrollment?client=${enc(c.id)}`, text: 'Enroll…' })));
        }))) : h('p', { class: 'empty', text: canCreate ? 'No clients yet: add the first one above.' : 'No clients are visible to you.' }));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
    }
  }
  const reload = throttle(load, 2000);
  load();
  return { onEvent(ev) { if (ev.type === 'device' || ev.type === 'resync') reload(); } };
}
