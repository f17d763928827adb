// Client page tab: contacts. Search by name or e-mail, status filter,
// server-side paging, columns chosen and ordered per user (stored in the
// user's preferences on the server, as the devices page does), add, edit,
// disable, CSV import (preview, mapping, report) and export.
import { h, put, enc, debounce } from '../../lib/dom.js';
import { get, post, patch, can, session, savePrefs, qs } from '../../lib/api.js';
import { time, count } from '../../lib/format.js';
import { modal, field, select, toast } from '../../lib/ui.js';
import { importDialog } from './contacts-import.js';

export const id = 'contacts';
export const title = 'Contacts';

const dash = () => h('span', { class: 'muted', text: '—' });
// titled is a cut cell's text with the whole of it as the title.
const titled = (v) => (v ? h('span', { title: v, text: v }) : dash());

/** COLUMNS are the contacts table's columns. */
const COLUMNS = [
  { key: 'name', label: 'Name', fixed: true, cell: (c) => h('span', { class: 'contact-name', text: c.name }) },
  { key: 'job_title', label: 'Job title', cell: (c) => titled(c.job_title) },
  { key: 'email', label: 'E-mail', cell: (c) => titled(c.email) },
  { key: 'phone', label: 'Phone', cell: (c) => (c.phone ? h('span', { title: c.phone_e164, text: c.phone }) : dash()) },
  { key: 'mobile', label: 'Mobile', cell: (c) => (c.mobile ? h('span', { title: c.mobile_e164, text: c.mobile }) : dash()) },
  { key: 'sip', label: 'SIP', cell: (c) => titled(c.sip) },
  { key: 'devices', label: 'Devices', cell: (c) => ((c.devices || []).length ? (c.devices || []).map((d) => h('a', { href: `/devices/${enc(d)}`, class: 'device-link', text: d })) : dash()) },
  { key: 'status', label: 'Status', cell: (c) => h('span', { class: ['badge', c.disabled ? '' : 'ok'], text: c.disabled ? 'disabled' : 'active' }) },
  { key: 'modified', label: 'Last modified', cell: (c) => time(c.modified_at) },
];
const DEFAULT_COLUMNS = ['name', 'job_title', 'email', 'phone', 'mobile', 'status', 'modified'];
const PAGE = 50;

/** columnsOf reads the user's column choice, in their order. */
function columnsOf() {
  const saved = session.prefs.contacts?.columns;
  const cols = Array.isArray(saved) && saved.length ? saved.filter((k) => COLUMNS.some((c) => c.key === k)) : [...DEFAULT_COLUMNS];
  if (!cols.includes('name')) cols.unshift('name');
  return cols;
}

export function mount(root, ctx) {
  const base = `/api/v1/clients/${enc(ctx.clientId)}/contacts`;
  const st = { search: '', status: '', page: 0, rows: [], total: 0, columns: columnsOf() };
  const canEdit = can('clients');
  const search = h('input', { type: 'search', id: 'contact-search', placeholder: 'Search name or e-mail', 'aria-label': 'Search contacts', maxlength: '256' });
  const fStatus = select('status', [['', 'Active and disabled'], ['active', 'Active'], ['disabled', 'Disabled']], '', { id: 'contact-status', 'aria-label': 'Status' });
  const chooser = h('details', { class: 'menu', id: 'contact-columns' }, h('summary', { class: 'button small', text: 'Columns' }), h('div', { class: 'menu-body' }));
  const csv = h('a', { class: 'button small', id: 'contacts-export', download: 'contacts.csv', href: `${base}?format=csv`, text: 'Export CSV' });
  const tableWrap = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager', id: 'contacts-pager' });
  const status = h('p', { class: 'muted', id: 'contacts-status', 'aria-live': 'polite' });
  put(root, h('div', { class: 'toolbar' }, search, fStatus, h('span', { class: 'muted', id: 'contacts-total' }), h('span', { class: 'spacer' }), chooser,
    canEdit && h('button', { type: 'button', class: 'small primary', id: 'contact-add', text: 'Add contact', onclick: () => editContact(null) }),
    canEdit && h('button', { type: 'button', class: 'small', id: 'contacts-import', text: 'Import CSV…', onclick: () => importDialog(ctx, load) }),
    csv), status, tableWrap, pager);

  function saveColumns() {
    savePrefs({ contacts: { ...(session.prefs.contacts || {}), columns: st.columns } });
    renderChooser();
    renderTable();
  }
  function renderChooser() {
    const order = [...st.columns, ...COLUMNS.map((c) => c.key).filter((k) => !st.columns.includes(k))];
    put(chooser.querySelector('.menu-body'), order.map((k) => {
      const c = COLUMNS.find((x) => x.key === k);
      const on = st.columns.includes(k);
      const i = st.columns.indexOf(k);
      const cb = h('input', { type: 'checkbox', checked: on, disabled: !!c.fixed, dataset: { col: k } });
      cb.addEventListener('change', () => {
        st.columns = cb.checked ? [...st.columns, k] : st.columns.filter((x) => x !== k);
        saveColumns();
      });
      const move = (d) => () => {
        const j = i + d;
        if (i < 0 || j < 0 || j >= st.columns.length) return;
        [st.columns[i], st.columns[j]] = [st.columns[j], st.columns[i]];
        saveColumns();
      };
      return h('div', { class: 'check col-order' }, h('label', {}, cb, ` ${c.label}`), ' ',
        h('button', { type: 'button', class: 'small', title: `Move ${c.label} left`, 'aria-label': `Move ${c.label} left`, disabled: !on || i === 0, dataset: { move: `${k}-up` }, text: '↑', onclick: move(-1) }),
        h('button', { type: 'button', class: 'small', title: `Move ${c.label} right`, 'aria-label': `Move ${c.label} right`, disabled: !on || i === st.columns.length - 1, dataset: { move: `${k}-down` }, text: '↓', onclick: move(1) }));
    }));
  }

  function renderTable() {
    const cols = st.columns.map((k) => COLUMNS.find((c) => c.key === k)).filter(Boolean);
    put(tableWrap, st.rows.length ? h('table', { class: 'grid', id: 'contacts-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { dataset: { col: c.key }, text: c.label })), canEdit && h('th', { text: '' }))),
      h('tbody', {}, st.rows.map((c) => h('tr', { dataset: { id: c.id }, class: c.disabled ? 'is-offline' : '' },
        cols.map((col) => h('td', { dataset: { col: col.key }, class: ['email', 'job_title', 'sip'].includes(col.key) ? 'clip-cell' : '' }, col.cell(c))),
        canEdit && h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => editContact(c) }),
          h('button', { type: 'button', class: 'small', text: c.disabled ? 'Enable' : 'Disable', dataset: { action: c.disabled ? 'enable' : 'disable' },
            onclick: () => setDisabled(c, !c.disabled) }))))))
      : h('p', { class: 'empty', id: 'no-contacts', text: st.search || st.status ? 'No contact matches.' : 'No contacts yet.' }));
    document.getElementById('contacts-total').textContent = `${count(st.total)} contact${st.total === 1 ? '' : 's'}`;
    const last = Math.max(0, Math.ceil(st.total / PAGE) - 1);
    const go = (p) => () => { st.page = p; load(); };
    put(pager, h('span', { text: `page ${count(st.page + 1)} of ${count(last + 1)}` }),
      h('button', { type: 'button', class: 'small', id: 'contacts-prev', text: '‹ Previous', disabled: st.page === 0, onclick: go(st.page - 1) }),
      h('button', { type: 'button', class: 'small', id: 'contacts-next', text: 'Next ›', disabled: st.page >= last, onclick: go(st.page + 1) }));
  }

  let ctl = null;
  let seq = 0;
  async function load() {
    ctl?.abort();
    ctl = new AbortController();
    const n = ++seq;
    const q = { search: st.search.trim(), status: st.status };
    csv.setAttribute('href', `${base}${qs({ ...q, format: 'csv' })}`);
    performance.mark(`steward:contacts-load-start-${n}`);
    try {
      const data = await get(`${base}${qs({ ...q, limit: PAGE, offset: st.page * PAGE })}`, { signal: ctl.signal });
      st.rows = data.contacts || [];
      st.total = data.total || 0;
      status.textContent = '';
      renderTable();
      // Marks for the dashboard's measurement of the contacts search.
      performance.mark(`steward:contacts-load-done-${n}`);
      root.dataset.loaded = String(n);
      root.dataset.loadedSearch = q.search;
    } catch (e) {
      if (e.name !== 'AbortError') status.textContent = `Could not load contacts: ${e.message}`;
    }
  }
  search.addEventListener('input', debounce(() => { st.search = search.value; st.page = 0; load(); }, 250));
  fStatus.addEventListener('change', () => { st.status = fStatus.value; st.page = 0; load(); });

  async function editContact(c) {
    const inp = (name, value, props = {}) => h('input', { name, value: value || '', id: `contact-${name}`, ...props });
    const f = { name: inp('name', c?.name, { required: true, maxlength: '200' }), job_title: inp('job_title', c?.job_title, { maxlength: '200' }),
      email: inp('email', c?.email, { type: 'email', maxlength: '254' }), phone: inp('phone', c?.phone, { maxlength: '50' }),
      mobile: inp('mobile', c?.mobile, { maxlength: '50' }), sip: inp('sip', c?.sip, { maxlength: '254', placeholder: 'sip:name@pbx.example.com' }) };
    const devSel = h('select', { name: 'devices', multiple: true, id: 'contact-devices', size: '5' });
    get(`/api/v1/devices${qs({ client: ctx.clientId, limit: 500 })}`).then((d) => put(devSel, (d.devices || []).map((v) =>
      h('option', { value: v.id, selected: (c?.devices || []).includes(v.id), text: v.hostname || v.id })))).catch(() => {});
    const r = await modal({ title: c ? `Edit ${c.name}` : 'Add a contact', ok: c ? 'Save' : 'Add', wide: true,
      body: h('div', { class: 'form-grid', id: 'contact-form' }, field('Name', f.name), field('Job title', f.job_title), field('E-mail', f.email),
        field('Phone', f.phone, 'stored in E.164, shown as entered'), field('Mobile', f.mobile), field('SIP address', f.sip),
        field('Devices', devSel, 'devices of this client the contact uses')),
      onSubmit: async () => {
        const body = Object.fromEntries(Object.entries(f).map(([k, el]) => [k, el.value]));
        body.devices = [...devSel.selectedOptions].map((o) => o.value);
        return c ? patch(`${base}/${enc(c.id)}`, body) : post(base, body);
      } });
    if (r && r !== true) {
      toast(c ? 'Contact saved.' : `Contact ${r.name} added.`, 'ok');
      load();
    }
  }
  async function setDisabled(c, disabled) {
    try {
      await patch(`${base}/${enc(c.id)}`, { disabled });
      toast(`${c.name} ${disabled ? 'disabled' : 'enabled'}.`, 'ok');
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  renderChooser();
  load();
  return {};
}
