// Devices: the fleet table. Filtering, search, sorting and paging all
// happen on the server (limit/offset/sort/order), so 20,000 devices cost one
// page of rows here. Columns and density are per-user preferences stored on
// the server. Rows are updated live when devices go online or offline.
import { h, put, enc, debounce, throttle } from '../lib/dom.js';
import { api, get, can, session, savePrefs, qs } from '../lib/api.js';
import { time, osText, TYPES, OSES, count, onlineBadge } from '../lib/format.js';
import { modal, confirm, select, field, toast } from '../lib/ui.js';
import { createJob, scriptForm } from '../lib/jobs.js';
import { approvalBadges, approveButton, isPending } from '../lib/approval.js';
import { alertCounts } from '../lib/alerts.js';
import { assignProfile } from '../lib/monitoring.js';

// afterApprove reloads the mounted list after a device is approved.
let afterApprove = () => {};

const mac = (m) => (/^[0-9a-f]{12}$/.test(m) ? m.match(/../g).join(':') : m);

/** COLUMNS are the table's columns; sort names are the API's sort keys. */
const COLUMNS = [
  { key: 'fav', label: '★', cell: starCell },
  { key: 'status', label: 'Status', sort: 'online', cell: (v) => onlineBadge(v.online) },
  { key: 'name', label: 'Name', sort: 'hostname', fixed: true, cell: nameCell },
  { key: 'user', label: 'Last user', cell: (v) => (v.last_user ? [h('span', { class: 'user', text: v.last_user }), v.last_user_at ? h('span', { class: 'sub' }, time(v.last_user_at)) : null] : dash()) },
  { key: 'type', label: 'Type', cell: (v) => TYPES[v.device_type] || v.device_type || '' },
  { key: 'reboot', label: 'Reboot', sort: 'pending_reboot', cell: (v) => (v.pending_reboot ? h('span', { class: 'badge warn', text: 'pending' }) : dash()) },
  { key: 'patches', label: 'Patches', sort: 'patches', cell: patchCell },
  { key: 'client', label: 'Client', sort: 'client', cell: (v) => v.client_name || v.client },
  { key: 'group', label: 'Folder', cell: (v) => v.group || dash() },
  { key: 'os', label: 'OS', sort: 'os', cell: (v) => osText(v) },
  { key: 'ip', label: 'IP address', cell: (v) => (v.ips || []).join(', ') || dash() },
  { key: 'mac', label: 'MAC address', cell: (v) => (v.macs || []).map(mac).join(', ') || dash() },
  { key: 'last_seen', label: 'Last seen', sort: 'last_seen', cell: (v) => (v.online ? h('span', { class: 'muted', text: 'now' }) : time(v.last_seen)) },
  { key: 'agent', label: 'Agent', cell: (v) => v.agent_version || dash() },
  { key: 'alerts', label: 'Alerts', cell: alertCounts },
];
const DEFAULT_COLUMNS = ['fav', 'status', 'name', 'alerts', 'user', 'type', 'reboot', 'patches', 'client', 'group', 'os', 'last_seen'];
const PAGE_SIZES = [25, 50, 100, 200, 500];
const FILTERS = ['search', 'type', 'online', 'pending_reboot', 'has_patches', 'security', 'client', 'group', 'os', 'approval',
  'favorite', 'retired', 'monitored', 'alert_severity', 'alert_category'];

// afterStar reloads the mounted list after a star changes.
let afterStar = () => {};

// starCell is the caller's favourite star: a toggle kept on the server
// per user.
function starCell(v) {
  const b = h('button', { type: 'button', class: v.favorite ? 'on' : '', 'aria-pressed': v.favorite ? 'true' : 'false',
    title: v.favorite ? 'Remove from your favourites' : 'Add to your favourites', 'aria-label': `Favourite ${v.hostname}`, text: v.favorite ? '★' : '☆' });
  b.addEventListener('click', async () => {
    try {
      await api(v.favorite ? 'DELETE' : 'PUT', `/api/v1/devices/${enc(v.id)}/favorite`);
      v.favorite = !v.favorite;
      afterStar();
    } catch (e) {
      toast(e.message, 'error');
    }
  });
  return h('span', { class: 'star-cell' }, b);
}

function dash() { return h('span', { class: 'muted', text: '—' }); }

function nameCell(v) {
  return [h('a', { href: `/devices/${enc(v.id)}`, class: 'device-name', text: v.hostname || v.id }),
    v.retired && h('span', { class: 'badge retired', title: `retired by ${v.retired_by || '?'}`, text: 'retired' }),
    (isPending(v) || v.duplicate_of || v.duplicate_other_client) && h('span', { class: 'approval-cell' }, approvalBadges(v), approveButton(v, () => afterApprove())),
    h('span', { class: 'sub detail' }, [(v.ips || []).slice(0, 2).join(', '), (v.macs || []).slice(0, 1).map(mac).join('')].filter(Boolean).join(' · '))];
}

function patchCell(v) {
  if (!v.patches_available) return dash();
  return h('span', {}, h('span', { class: 'badge warn', text: String(v.patches_available) }),
    v.security_patches ? h('span', { class: 'badge bad', title: 'security patches', text: `${v.security_patches} security` }) : null);
}

export function mount(root, ctx) {
  const prefs = session.prefs.devices || {};
  const st = {
    f: Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) || ''])),
    sort: ctx.query.get('sort') || 'hostname',
    order: ctx.query.get('order') === 'desc' ? 'desc' : 'asc',
    page: Math.max(0, parseInt(ctx.query.get('page') || '1', 10) - 1) || 0,
    size: PAGE_SIZES.includes(prefs.pageSize) ? prefs.pageSize : 100,
    columns: Array.isArray(prefs.columns) && prefs.columns.length ? prefs.columns.filter((k) => COLUMNS.some((c) => c.key === k)) : DEFAULT_COLUMNS,
    density: prefs.density === 'compact' ? 'compact' : 'detailed',
    rows: [],
    total: 0,
    selected: new Map(), // id -> hostname
    allMatching: false,
  };
  if (!st.columns.includes('name')) st.columns.unshift('name');
  // Bulk actions: jobs, and moves and retirement (clients); a user with
  // neither stars devices one by one.
  const bulkAllowed = can('run') || can('power') || can('patch') || can('clients') || can('monitoring');

  // Toolbar: search and filters.
  const search = h('input', { type: 'search', id: 'device-search', placeholder: 'Search name, IP or MAC', value: st.f.search, 'aria-label': 'Search devices', maxlength: '256' });
  const fType = select('type', [['', 'Any type'], ...Object.entries(TYPES)], st.f.type, { id: 'filter-type', 'aria-label': 'Device type' });
  const fOnline = select('online', [['', 'Any availability'], ['true', 'Online'], ['false', 'Offline']], st.f.online, { id: 'filter-online', 'aria-label': 'Availability' });
  const fReboot = select('pending_reboot', [['', 'Reboot: any'], ['true', 'Pending reboot'], ['false', 'No reboot pending']], st.f.pending_reboot, { id: 'filter-reboot', 'aria-label': 'Pending reboot' });
  const patchValue = st.f.security === 'true' ? 'security' : st.f.has_patches;
  const fPatches = select('patches', [['', 'Patches: any'], ['true', 'Has patches'], ['security', 'Has security patches'], ['false', 'Fully patched']], patchValue, { id: 'filter-patches', 'aria-label': 'Patches' });
  const fClient = select('client', [['', 'All clients']], st.f.client, { id: 'filter-client', 'aria-label': 'Client' });
  const fOS = select('os', [['', 'Any OS'], ...Object.entries(OSES)], st.f.os, { id: 'filter-os', 'aria-label': 'Operating system' });
  const fApproval = select('approval', [['', 'Approval: any'], ['pending', 'Pending approval'], ['approved', 'Approved']], st.f.approval, { id: 'filter-approval', 'aria-label': 'Approval' });
  const fGroup = select('group', [['', 'Any folder']], st.f.group, { id: 'filter-group', 'aria-label': 'Folder' });
  const fFav = select('favorite', [['', 'All devices'], ['true', 'My favourites']], st.f.favorite, { id: 'filter-favorite', 'aria-label': 'Favourites' });
  const fRetired = select('retired', [['', 'In service'], ['true', 'Retired'], ['any', 'In service and retired']], st.f.retired, { id: 'filter-retired', 'aria-label': 'Retired' });
  const fMonitored = select('monitored', [['', 'Monitoring: any'], ['true', 'Monitored'], ['false', 'Not monitored']], st.f.monitored, { id: 'filter-monitored', 'aria-label': 'Monitored' });
  const fAlertSev = select('alert_severity', [['', 'Alerts: any'], ['any', 'With alerts'], ['critical', 'Critical alerts'], ['warning', 'Warning alerts'],
    ['information', 'Information alerts']], st.f.alert_severity, { id: 'filter-alert-severity', 'aria-label': 'Alert severity' });
  const fAlertCat = select('alert_category', [['', 'Alert category: any'], ...['availability', 'disk', 'performance', 'applications', 'hardware',
    'network', 'script-based', 'general'].map((c) => [c, `Alert: ${c}`])], st.f.alert_category, { id: 'filter-alert-category', 'aria-label': 'Alert category' });
  const loadGroups = () => get('/api/v1/groups').then((gs) => {
    const names = (gs || []).map((g) => g.group);
    if (st.f.group && !names.includes(st.f.group)) names.push(st.f.group);
    put(fGroup, h('option', { value: '', text: 'Any folder' }),
      names.sort((a, b) => a.localeCompare(b)).map((g) => h('option', { value: g, selected: g === st.f.group, text: g, title: g })));
  }).catch((e) => toast(`Could not load the folders: ${e.message}`, 'error'));
  loadGroups();
  get('/api/v1/clients').then((cs) => {
    put(fClient, h('option', { value: '', text: 'All clients' }),
      (cs || []).sort((a, b) => a.name.localeCompare(b.name)).map((c) => h('option', { value: c.id, selected: c.id === st.f.client, text: c.name, title: c.name })));
  }).catch((e) => toast(`Could not load the clients: ${e.message}`, 'error'));

  const colChooser = h('details', { class: 'menu', id: 'column-chooser' }, h('summary', { class: 'button small', text: 'Columns' }),
    h('div', { class: 'menu-body' }, COLUMNS.map((c) => {
      const cb = h('input', { type: 'checkbox', checked: st.columns.includes(c.key), disabled: !!c.fixed, dataset: { col: c.key } });
      cb.addEventListener('change', () => {
        st.columns = COLUMNS.map((x) => x.key).filter((k) => (k === c.key ? cb.checked : st.columns.includes(k)));
        savePrefs({ devices: { ...(session.prefs.devices || {}), columns: st.columns } });
        renderTable();
      });
      return h('label', { class: 'check' }, cb, ` ${c.label}`);
    })));
  const density = h('button', { type: 'button', class: 'small', id: 'density-toggle' });
  const setDensityLabel = () => { density.textContent = st.density === 'compact' ? 'Detailed view' : 'Compact view'; };
  setDensityLabel();
  density.addEventListener('click', () => {
    st.density = st.density === 'compact' ? 'detailed' : 'compact';
    savePrefs({ devices: { ...(session.prefs.devices || {}), density: st.density } });
    setDensityLabel();
    renderTable();
  });
  const csv = h('a', { class: 'button small', id: 'export-csv', download: 'devices.csv', href: '/api/v1/devices?format=csv', text: 'Export CSV' });

  const bulkBar = h('div', { class: 'bulkbar', id: 'bulkbar', hidden: true });
  const tableWrap = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager', id: 'pager' });
  const status = h('p', { class: 'muted', id: 'devices-status', 'aria-live': 'polite' });

  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Devices' }), h('span', { class: 'muted', id: 'device-total' })),
    h('div', { class: 'toolbar' }, search, fType, fOnline, fReboot, fPatches, fClient, fGroup, fOS, fApproval, fFav, fRetired, fMonitored, fAlertSev, fAlertCat,
      h('span', { class: 'spacer' }), colChooser, density, csv),
    bulkBar, status, tableWrap, pager);

  function apiFilter() {
    const f = { ...st.f };
    return {
      search: f.search.trim(), type: f.type, online: f.online, pending_reboot: f.pending_reboot,
      has_patches: f.has_patches, security: f.security, client: f.client, group: f.group, os: f.os, approval: f.approval,
      favorite: f.favorite, retired: f.retired, monitored: f.monitored,
      alert_severity: f.alert_severity, alert_category: f.alert_category,
    };
  }

  function syncURL() {
    const q = { ...apiFilter(), sort: st.sort === 'hostname' ? '' : st.sort, order: st.order === 'desc' ? 'desc' : '', page: st.page ? st.page + 1 : '' };
    history.replaceState(null, '', `/devices${qs(q)}`);
    csv.setAttribute('href', `/api/v1/devices${qs({ ...apiFilter(), sort: st.sort, order: st.order, format: 'csv', limit: 50000 })}`);
  }

  let ctl = null;
  let firstPaint = true;
  async function load() {
    ctl?.abort();
    ctl = new AbortController();
    syncURL();
    status.textContent = st.rows.length ? '' : 'Loading…';
    try {
      const { data, res } = await get(`/api/v1/devices${qs({ ...apiFilter(), sort: st.sort, order: st.order, limit: st.size, offset: st.page * st.size })}`,
        { signal: ctl.signal, withResponse: true });
      st.rows = data.devices || [];
      st.total = Number(res.headers.get('X-Total-Count') ?? data.total ?? st.rows.length);
      if (st.page > 0 && st.page * st.size >= st.total) {
        st.page = Math.max(0, Math.ceil(st.total / st.size) - 1);
        return load();
      }
      status.textContent = '';
      if (firstPaint) performance.mark('steward:devices-data');
      renderTable();
      if (firstPaint && st.rows.length) {
        performance.mark('steward:devices-dom');
        firstPaint = false;
        // Marks the first rows on screen for the dashboard's load measurement.
        requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('steward:devices-first-row')));
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.textContent = `Could not load devices: ${e.message}`;
    }
  }
  const reload = () => { st.page = 0; st.allMatching = false; load(); };
  const reloadSoon = throttle(() => load(), 2000);

  search.addEventListener('input', debounce(() => { st.f.search = search.value; reload(); }, 250));
  for (const [sel, key] of [[fType, 'type'], [fOnline, 'online'], [fReboot, 'pending_reboot'], [fClient, 'client'], [fGroup, 'group'], [fOS, 'os'], [fApproval, 'approval'],
    [fFav, 'favorite'], [fRetired, 'retired'], [fMonitored, 'monitored'], [fAlertSev, 'alert_severity'], [fAlertCat, 'alert_category']]) {
    sel.addEventListener('change', () => { st.f[key] = sel.value; reload(); });
  }
  fPatches.addEventListener('change', () => {
    st.f.security = fPatches.value === 'security' ? 'true' : '';
    st.f.has_patches = fPatches.value === 'security' ? '' : fPatches.value;
    reload();
  });

  function header(c) {
    if (!c.sort) return h('th', { text: c.label, dataset: { col: c.key } });
    const active = st.sort === c.sort;
    const b = h('button', { type: 'button', class: 'sort', text: c.label + (active ? (st.order === 'desc' ? ' ▼' : ' ▲') : '') });
    b.addEventListener('click', () => {
      if (active) st.order = st.order === 'asc' ? 'desc' : 'asc';
      else {
        st.sort = c.sort;
        st.order = c.sort === 'last_seen' || c.sort === 'patches' || c.sort === 'pending_reboot' ? 'desc' : 'asc';
      }
      st.page = 0;
      load();
    });
    return h('th', { 'aria-sort': active ? (st.order === 'desc' ? 'descending' : 'ascending') : 'none', dataset: { col: c.key } }, b);
  }

  function renderTable() {
    const cols = COLUMNS.filter((c) => st.columns.includes(c.key));
    const pageAll = st.rows.length > 0 && st.rows.every((v) => st.selected.has(v.id));
    const selAll = h('input', { type: 'checkbox', 'aria-label': 'Select all on this page', checked: pageAll, id: 'select-page' });
    selAll.addEventListener('change', () => {
      st.allMatching = false;
      for (const v of st.rows) {
        if (selAll.checked) st.selected.set(v.id, v.hostname);
        else st.selected.delete(v.id);
      }
      renderTable();
    });
    const tbody = h('tbody', {}, st.rows.map((v) => {
      const cb = h('input', { type: 'checkbox', 'aria-label': `Select ${v.hostname}`, checked: st.allMatching || st.selected.has(v.id), disabled: st.allMatching });
      cb.addEventListener('change', () => {
        if (cb.checked) st.selected.set(v.id, v.hostname);
        else st.selected.delete(v.id);
        renderBulk();
        selAll.checked = st.rows.every((x) => st.selected.has(x.id));
      });
      return h('tr', { dataset: { id: v.id }, class: [v.online ? 'is-online' : 'is-offline', v.retired && 'is-retired'] },
        bulkAllowed && h('td', { class: 'sel' }, cb),
        cols.map((c) => h('td', { dataset: { col: c.key } }, c.cell(v))));
    }));
    put(tableWrap, st.rows.length ? h('table', { class: ['grid', 'devices', st.density], id: 'devices-table' },
      h('thead', {}, h('tr', {}, bulkAllowed && h('th', { class: 'sel' }, selAll), cols.map(header))), tbody)
      : h('p', { class: 'empty', id: 'no-devices', text: Object.values(st.f).some(Boolean) ? 'No device matches these filters.' : 'No devices yet. Enroll one from the Enrollment page.' }));
    const from = st.total ? st.page * st.size + 1 : 0;
    const to = Math.min(st.total, (st.page + 1) * st.size);
    document.getElementById('device-total').textContent = `${count(st.total)} device${st.total === 1 ? '' : 's'}`;
    const last = Math.max(0, Math.ceil(st.total / st.size) - 1);
    const go = (p) => () => { st.page = p; load(); };
    const size = select('size', PAGE_SIZES.map((n) => [n, `${n} per page`]), st.size, { 'aria-label': 'Rows per page', id: 'page-size' });
    size.addEventListener('change', () => {
      st.size = Number(size.value);
      savePrefs({ devices: { ...(session.prefs.devices || {}), pageSize: st.size } });
      reload();
    });
    put(pager,
      h('span', { id: 'page-info', text: `${count(from)}–${count(to)} of ${count(st.total)}` }),
      h('button', { type: 'button', class: 'small', text: '« First', disabled: st.page === 0, onclick: go(0) }),
      h('button', { type: 'button', class: 'small', id: 'page-prev', text: '‹ Previous', disabled: st.page === 0, onclick: go(st.page - 1) }),
      h('span', { text: `page ${count(st.page + 1)} of ${count(last + 1)}` }),
      h('button', { type: 'button', class: 'small', id: 'page-next', text: 'Next ›', disabled: st.page >= last, onclick: go(st.page + 1) }),
      h('button', { type: 'button', class: 'small', text: 'Last »', disabled: st.page >= last, onclick: go(last) }),
      size);
    renderBulk();
  }

  function selectionCount() { return st.allMatching ? st.total : st.selected.size; }

  function renderBulk() {
    const n = selectionCount();
    bulkBar.hidden = !bulkAllowed || (n === 0 && !st.rows.length);
    if (bulkBar.hidden) return;
    const pageAll = st.rows.length && st.rows.every((v) => st.selected.has(v.id));
    const clientName = st.f.client ? fClient.selectedOptions[0]?.textContent : '';
    put(bulkBar,
      h('span', { class: 'bulk-count', id: 'bulk-count', text: n ? `${count(n)} selected` : 'Select devices for bulk actions' }),
      !st.allMatching && pageAll && st.total > st.rows.length && h('button', { type: 'button', class: 'link', id: 'select-all-matching',
        text: `Select all ${count(st.total)} matching${clientName ? ` in ${clientName}` : ''}`, onclick: () => { st.allMatching = true; renderTable(); } }),
      !st.allMatching && st.total > 0 && st.total <= st.rows.length && clientName && !pageAll && h('button', { type: 'button', class: 'link',
        text: `Select the whole client ${clientName}`, onclick: () => { st.allMatching = true; renderTable(); } }),
      n > 0 && h('button', { type: 'button', class: 'link', text: 'Clear', onclick: () => { st.selected.clear(); st.allMatching = false; renderTable(); } }),
      h('span', { class: 'spacer' }),
      can('run') && h('button', { type: 'button', class: 'small', id: 'bulk-script', disabled: !n, text: 'Run script…', onclick: bulkScript }),
      can('power') && h('button', { type: 'button', class: 'small', id: 'bulk-reboot', disabled: !n, text: 'Reboot…', onclick: bulkReboot }),
      can('patch') && h('button', { type: 'button', class: 'small', id: 'bulk-patch', disabled: !n, text: 'Install patches…', onclick: bulkPatch }),
      h('button', { type: 'button', class: 'small', id: 'bulk-favorite', disabled: !n, text: '★ Favourite', onclick: () => bulkDevices('favorite') }),
      can('clients') && h('button', { type: 'button', class: 'small', id: 'bulk-move', disabled: !n, text: 'Move…', onclick: bulkMove }),
      can('clients') && st.f.retired !== 'true' && h('button', { type: 'button', class: 'small', id: 'bulk-retire', disabled: !n, text: 'Retire…', onclick: bulkRetire }),
      can('clients') && st.f.retired && h('button', { type: 'button', class: 'small', id: 'bulk-restore', disabled: !n, text: 'Restore', onclick: () => bulkDevices('restore') }),
      can('monitoring') && h('button', { type: 'button', class: 'small', id: 'bulk-profile', disabled: !n, text: 'Assign profile…', onclick: bulkProfile }),
      can('run') && h('button', { type: 'button', class: 'small', id: 'bulk-automation', disabled: !n, text: 'Assign automation profile…', onclick: bulkAutomation }));
  }

  /** selectedIDs lists the selected devices (all matching ones resolved). */
  async function selectedIDs() {
    if (!st.allMatching) return [...st.selected.keys()];
    const r = await get(`/api/v1/devices${qs({ ...apiFilter(), limit: 50000 })}`);
    return (r.devices || []).map((v) => v.id);
  }

  /** bulkDevices runs a device action on the selection and reports it. */
  async function bulkDevices(action, extra = {}) {
    try {
      const r = await api('POST', '/api/v1/devices/bulk', { devices: await selectedIDs(), action, ...extra });
      const failed = (r.results || []).filter((x) => x.error);
      toast(`${count(r.changed)} device${r.changed === 1 ? '' : 's'} changed${failed.length ? `; ${failed.length} failed: ${failed[0].error}` : ''}.`, failed.length ? 'error' : 'ok');
      st.selected.clear();
      st.allMatching = false;
      loadGroups();
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function bulkProfile() {
    try {
      const r = await assignProfile({ devices: await selectedIDs(), label: devicesText() });
      if (r) toast(`Profile assigned to ${devicesText()}.`, 'ok');
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function bulkAutomation() {
    try {
      const { assignAutomation } = await import('./automation.js');
      const r = await assignAutomation({ devices: await selectedIDs(), label: devicesText() });
      if (r) toast(`Automation profile assigned to ${devicesText()}.`, 'ok');
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function bulkRetire() {
    if (await confirm('Retire devices', `Retire ${devicesText()}? They keep their history but get no jobs, shells or patches and stop reporting until restored; they stop counting against the device limit.`,
      { ok: `Retire ${devicesText()}`, danger: true })) await bulkDevices('retire');
  }

  async function bulkMove() {
    const cs = await get('/api/v1/clients').catch(() => []);
    const client = select('client', [['', 'Keep their clients'], ...(cs || []).sort((a, b) => a.name.localeCompare(b.name)).map((c) => [c.id, c.name])], '', { id: 'move-client' });
    const folder = h('input', { name: 'group', id: 'move-folder', maxlength: '128', autocomplete: 'off', placeholder: 'e.g. Head office' });
    const keep = h('input', { type: 'checkbox', id: 'move-keep-folder', checked: true });
    const r = await modal({ title: `Move ${devicesText()}`, ok: `Move ${devicesText()}`,
      body: h('div', { class: 'stack' }, field('Client', client), h('label', { class: 'check' }, keep, ' Keep their folders'),
        field('Folder', folder, 'Used when "keep their folders" is off; empty takes them out of any folder.')),
      onSubmit: async () => {
        if (!client.value && keep.checked) throw new Error('Choose a client, or a folder.');
        return { client: client.value, group: keep.checked ? undefined : folder.value.trim() };
      } });
    if (r && r !== true) await bulkDevices('move', r.group === undefined ? { client: r.client } : r.client ? r : { group: r.group });
  }

  /** target is the job target for the selection. */
  async function target() {
    if (!st.allMatching) return { devices: [...st.selected.keys()] };
    const f = apiFilter();
    const only = Object.entries(f).filter(([, v]) => v);
    if (only.length === 1 && f.client) return { client: f.client };
    if (f.security || f.group || f.approval || f.favorite || f.retired || f.monitored || f.alert_severity || f.alert_category) {
      // The job filter has no "security" or folder field: resolve to device
      // IDs, so a job never reaches devices the list did not show.
      const r = await get(`/api/v1/devices${qs({ ...f, limit: 50000 })}`);
      return { devices: (r.devices || []).map((v) => v.id) };
    }
    const filter = { search: f.search, os: f.os, device_type: f.type, client: f.client };
    for (const k of ['online', 'pending_reboot', 'has_patches']) if (f[k]) filter[k] = f[k] === 'true';
    for (const k of Object.keys(filter)) if (filter[k] === '' || filter[k] === undefined) delete filter[k];
    return { filter };
  }
  const devicesText = () => { const n = selectionCount(); return `${count(n)} device${n === 1 ? '' : 's'}`; };

  async function bulkScript() {
    const form = scriptForm(st.f.os);
    const r = await modal({ title: `Run a script on ${devicesText()}`, body: form.el, ok: `Run on ${devicesText()}`, wide: true,
      onSubmit: async () => ({ body: form.body() }) });
    if (r?.body) await createJob({ ...(await target()), ...r.body }, 'Run script');
  }
  async function bulkReboot() {
    if (await confirm('Reboot devices', `Reboot ${devicesText()} now? Logged-in users lose unsaved work.`, { ok: `Reboot ${devicesText()}`, danger: true })) {
      await createJob({ ...(await target()), kind: 'power', power: { action: 'reboot' } }, 'Reboot');
    }
  }
  async function bulkPatch() {
    const reboot = select('reboot', [['never', 'Never reboot'], ['if-required', 'Reboot if an update requires it']], 'never', { id: 'bulk-patch-reboot' });
    const r = await modal({ title: 'Install patches', ok: `Install on ${devicesText()}`,
      body: h('div', { class: 'stack' }, h('p', { text: `Install all available patches on ${devicesText()}.` }), field('Reboot', reboot)),
      onSubmit: async () => ({ reboot: reboot.value }) });
    if (r?.reboot) await createJob({ ...(await target()), kind: 'patch_install', patch: { reboot: r.reboot } }, 'Install patches');
  }

  afterApprove = () => load();
  afterStar = () => (st.f.favorite ? load() : renderTable());
  load();
  const tick = setInterval(() => { if (!document.hidden) load(); }, 60000);
  return {
    dispose() { ctl?.abort(); clearInterval(tick); },
    onEvent(ev) {
      if (ev.type === 'resync' || ev.type === 'alert') return reloadSoon();
      if (ev.type !== 'device') return;
      if (['enrolled', 'approved', 'retired', 'restored', 'moved'].includes(ev.state)) return reloadSoon();
      if (ev.state === 'updated') {
        // A folder changed: rows and the folder list may differ now.
        loadGroups();
        return reloadSoon();
      }
      const row = tableWrap.querySelector(`tr[data-id="${CSS.escape(ev.id)}"]`);
      if (row && typeof ev.online === 'boolean') {
        const v = st.rows.find((x) => x.id === ev.id);
        if (v) {
          v.online = ev.online;
          if (!ev.online) v.last_seen = new Date().toISOString();
        }
        row.className = ev.online ? 'is-online' : 'is-offline';
        const cell = row.querySelector('td[data-col="status"]');
        if (cell) put(cell, onlineBadge(ev.online));
        const seen = row.querySelector('td[data-col="last_seen"]');
        if (seen && v) put(seen, COLUMNS.find((c) => c.key === 'last_seen').cell(v));
      }
      // The set of matching rows may have changed.
      if (st.f.online || st.sort === 'online' || st.sort === 'last_seen') reloadSoon();
    },
  };
}
