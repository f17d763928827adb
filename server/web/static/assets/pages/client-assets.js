// Client tab "Assets": the client's assets, searched and grouped (type,
// folder, contact, status), added and edited in a dialog, imported from
// CSV after a preview that lists every bad row, and the warranties that
// expire within 30 days.
import { h, put, enc, debounce } from '../lib/dom.js';
import { get, post, api, del, can, session, ApiError } from '../lib/api.js';
import { modal, confirm, toast, field, select, empty } from '../lib/ui.js';

export const id = 'assets';
export const title = 'Assets';

const STATUSES = ['in use', 'in stock', 'purchased', 'damaged', 'retired'];
const GROUPS = [['', 'No grouping'], ['type', 'By type'], ['folder', 'By folder'], ['contact', 'By contact'], ['status', 'By status']];

async function importCSV(client, file, apply) {
  const res = await fetch(`/api/v1/clients/${enc(client)}/assets/import${apply ? '?apply=1' : ''}`, {
    method: 'POST', body: file, credentials: 'same-origin', cache: 'no-store',
    headers: { 'X-CSRF-Token': session.csrf, 'Content-Type': 'text/csv', Accept: 'application/json' },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error || `${res.status} ${res.statusText}`, data?.code);
  return data;
}

export function mount(root, ctx) {
  const client = ctx.clientId;
  const canWrite = can('assets');
  let types = [];
  const search = h('input', { type: 'search', id: 'asset-search', placeholder: 'Search name, type, serial, folder', 'aria-label': 'Search assets', autocomplete: 'off' });
  const group = select('group_by', GROUPS, '', { id: 'asset-group', 'aria-label': 'Group assets' });
  const picker = h('input', { type: 'file', id: 'asset-csv', accept: '.csv,text/csv', hidden: true });
  const list = h('div', { class: 'panel', id: 'asset-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  const warranty = h('div', { id: 'asset-warranty' });
  search.addEventListener('input', debounce(() => load(), 250));
  group.addEventListener('change', () => load());
  picker.addEventListener('change', () => {
    const f = picker.files[0];
    picker.value = '';
    if (f) preview(f);
  });
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Assets' }), h('span', { class: 'spacer' }), search, ' ', group, ' ',
    canWrite && h('button', { type: 'button', id: 'asset-import', text: 'Import CSV', onclick: () => picker.click() }), ' ',
    canWrite && h('button', { type: 'button', class: 'primary', id: 'asset-new', text: 'Add asset', onclick: () => edit(null) }), picker),
  warranty, list);

  async function load() {
    let out;
    try {
      const q = new URLSearchParams();
      if (search.value.trim()) q.set('q', search.value.trim());
      if (group.value) q.set('group_by', group.value);
      [out, types] = await Promise.all([get(`/api/v1/clients/${enc(client)}/assets?${q}`), get('/api/v1/asset-types').then((t) => t.types || [])]);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    const assets = out.assets || [];
    const head = h('thead', {}, h('tr', {}, ['Name', 'Type', 'Status', 'Serial', 'Folder', 'Contact', 'Device', 'Warranty', ''].map((x) => h('th', { text: x }))));
    const rows = [];
    let i = 0;
    for (const g of out.groups || [{ key: null, count: assets.length }]) {
      if (g.key !== null) rows.push(h('tr', { class: 'group-row' }, h('th', { colspan: '9', text: `${g.key || '(none)'} · ${g.count}` })));
      for (const a of assets.slice(i, i + g.count)) rows.push(row(a));
      i += g.count;
    }
    put(list, assets.length ? h('table', { class: 'grid', id: 'asset-table' }, head, h('tbody', {}, rows))
      : empty(search.value.trim() ? 'No asset matches.' : 'No assets yet.'));
    loadWarranty();
  }

  function row(a) {
    return h('tr', { dataset: { asset: a.id } },
      h('td', { class: 'asset-name', text: a.name }),
      h('td', { text: a.type || '' }),
      h('td', { text: a.status }),
      h('td', {}, a.serial ? h('code', { text: a.serial }) : '',
        // What the linked device's inventory reports, when a person typed something else.
        a.device_serial && a.device_serial !== a.serial ? h('span', { class: 'muted asset-device-serial' }, ' device: ', h('code', { text: a.device_serial })) : ''),
      h('td', { text: a.folder || '' }),
      h('td', { text: a.contact_name || a.contact_id || '' }),
      h('td', {}, a.device_id ? h('a', { href: `/devices/${enc(a.device_id)}`, text: a.device_name || a.device_id }) : ''),
      h('td', { text: a.warranty_expiry || '' }),
      h('td', { class: 'actions' },
        canWrite && h('button', { type: 'button', class: 'small asset-edit', text: 'Edit', onclick: () => edit(a) }),
        canWrite && h('button', { type: 'button', class: 'small asset-delete', text: 'Delete', onclick: () => remove(a) })));
  }

  async function loadWarranty() {
    const soon = await get(`/api/v1/clients/${enc(client)}/assets/warranty?days=30`).catch(() => []);
    put(warranty, soon?.length ? h('div', { class: 'panel notice', id: 'asset-warranty-soon' },
      h('strong', { text: `Warranty ends within 30 days: ` }),
      soon.map((a, n) => [n ? ', ' : '', `${a.name} (${a.warranty_expiry})`])) : null);
  }

  async function edit(a) {
    const f = {};
    const input = (k, props = {}) => { f[k] = h('input', { name: k, id: `asset-f-${k}`, value: a?.[k] || '', autocomplete: 'off', ...props }); return f[k]; };
    const typeSel = types.length ? select('type', [['', '—'], ...types.map((t) => [t, t])], a?.type || '', { id: 'asset-f-type' }) : input('type', { maxlength: '64' });
    f.type = typeSel;
    f.status = select('status', STATUSES.map((s) => [s, s]), a?.status || 'in use', { id: 'asset-f-status' });
    const body = h('div', { class: 'stack' },
      field('Name', input('name', { required: true, maxlength: '200' })), field('Type', typeSel), field('Status', f.status),
      field('Serial', input('serial', { maxlength: '128' })), field('Model', input('model', { maxlength: '200' })),
      field('Folder', input('folder', { maxlength: '128' })), field('Contact ID', input('contact_id', { maxlength: '64' })),
      field('Managed device ID', input('device_id', { maxlength: '64' }),
        a?.device_serial || a?.device_model ? `the device reports ${[a.device_model, a.device_serial && `serial ${a.device_serial}`].filter(Boolean).join(', ')}`
          : 'empty serial and model are filled from its inventory'),
      field('Purchase date', input('purchase_date', { type: 'date' })), field('Warranty until', input('warranty_expiry', { type: 'date' })),
      field('or warranty months', input('warranty_months', { type: 'number', min: '0', max: '1200' }), 'from the purchase date'));
    await modal({
      title: a ? `Edit ${a.name}` : 'Add asset', body, ok: a ? 'Save' : 'Add',
      onSubmit: async () => {
        const req = {};
        for (const [k, el] of Object.entries(f)) req[k] = k === 'warranty_months' ? Number(el.value || 0) : el.value;
        if (a) await api('PUT', `/api/v1/assets/${enc(a.id)}`, req);
        else await post(`/api/v1/clients/${enc(client)}/assets`, req);
      },
    }).then((ok) => ok && load());
  }

  async function remove(a) {
    if (!(await confirm(`Delete ${a.name}?`, 'The asset is deleted for good.', { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/assets/${enc(a.id)}`);
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function preview(file) {
    let p;
    try {
      p = await importCSV(client, file, false);
    } catch (e) {
      toast(e.message, 'error');
      return;
    }
    const body = h('div', { class: 'stack', id: 'asset-import-preview' },
      h('p', { text: `${p.created} to create, ${p.updated} to update, ${p.unchanged} unchanged, ${p.errors.length} bad rows (not imported).` }),
      p.errors.length ? h('table', { class: 'grid', id: 'asset-import-errors' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Line' }), h('th', { text: 'Reason' }))),
        h('tbody', {}, p.errors.map((e) => h('tr', {}, h('td', { class: 'num', text: String(e.line) }), h('td', { text: e.reason }))))) : null);
    const ok = await modal({ title: `Import ${file.name}`, body, ok: 'Import the good rows', wide: true,
      onSubmit: async () => importCSV(client, file, true) });
    if (ok) {
      toast(`Imported: ${ok.created} created, ${ok.updated} updated, ${ok.unchanged} unchanged.`);
      load();
    }
  }

  load();
  return {};
}
