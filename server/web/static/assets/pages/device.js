// Device page: facts and inventory, pending-reboot reasons, patches,
// software, services, logged-in users, job history with live output, run a
// script, power actions and a terminal. Tabs switch in place (the terminal
// survives switching); device and run events refresh what is shown.
import { h, put, enc, throttle } from '../lib/dom.js';
import { api, get, post, patch, del, can } from '../lib/api.js';
import { time, full, bytes, duration, osText, TYPES, count, onlineBadge, stateBadge, when } from '../lib/format.js';
import { confirm, modal, toast, field, select, empty } from '../lib/ui.js';
import { createJob, followRun, scriptForm } from '../lib/jobs.js';
import { approvalBadges, approveButton, duplicateNotice } from '../lib/approval.js';
import { packageForm, messagePanel } from './devicetools.js';
import { deviceAlertsPanel } from '../lib/alerts.js';
import { filesPanel } from '../lib/files.js';
import { processesPanel } from '../lib/processes.js';
import { eventLogPanel } from './device-eventlog.js';
import { registryPanel } from './device-registry.js';
import { activityPanel } from './device-activity.js';
import { classCell, severityCell } from '../lib/patchclass.js';

const TABS = [
  ['summary', 'Summary'], ['alerts', 'Alerts'], ['patches', 'Patches'], ['software', 'Software'], ['services', 'Services'],
  ['users', 'Users'], ['jobs', 'Jobs'], ['script', 'Run script', 'run'], ['power', 'Power', 'power'], ['terminal', 'Terminal', 'shell'],
  ['message', 'Message', 'message'],
  ['files', 'Files', 'files_read'], ['processes', 'Processes', 'processes'],
  ['activity', 'User activity', 'sessions_read'], ['eventlog', 'Event log', 'eventlog_read'], ['registry', 'Registry', 'registry_read'],
];

const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
  .map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));

// collectorProblem says why a health list is empty or stale: the agent's
// collector error for it ("services: systemctl: not found"), or that no
// health report has arrived yet. null when the list is good.
function collectorProblem(d, name, what) {
  const hl = d.health;
  if (!hl) return h('p', { class: 'muted collector-error', dataset: { collector: name }, text: `The device has not reported its ${what} yet.` });
  const errs = (hl.errors || []).filter((e) => e.startsWith(`${name}:`)).map((e) => e.slice(name.length + 1).trim());
  return errs.length ? h('p', { class: 'error collector-error', dataset: { collector: name }, text: `Could not list ${what}: ${errs.join('; ')}` }) : null;
}

function meter(label, pct) {
  const p = Math.max(0, Math.min(100, Number(pct) || 0));
  const bar = h('span', { class: ['meter-fill', p > 90 ? 'bad' : p > 75 ? 'warn' : 'ok'] });
  bar.style.width = `${p}%`; // CSSOM, allowed by the CSP
  return h('div', { class: 'meter' }, h('span', { class: 'meter-label', text: `${label} ${p.toFixed(0)}%` }), h('span', { class: 'meter-track' }, bar));
}

export function mount(root, ctx) {
  const id = ctx.params[0];
  const base = `/api/v1/devices/${enc(id)}`;
  const tabs = TABS.filter(([, , perm]) => !perm || can(perm));
  let tab = tabs.some(([t]) => t === ctx.params[1]) ? ctx.params[1] : 'summary';
  let data = null;
  const panels = new Map();
  const head = h('div', { class: 'device-head' }, h('p', { class: 'muted', text: 'Loading…' }));
  const tabBar = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('div', { class: 'tab-panels' });
  put(root, h('p', { class: 'crumbs' }, h('a', { href: '/devices', text: 'Devices' }), ' / '), head, tabBar, body);

  function showTab(t, push) {
    tab = t;
    if (push) history.replaceState(null, '', `/devices/${enc(id)}/${t}`);
    put(tabBar, tabs.map(([k, label]) => h('button', { type: 'button', role: 'tab', class: ['tab', k === tab && 'active'], 'aria-selected': String(k === tab),
      id: `tab-${k}`, text: label, onclick: () => showTab(k, true) })));
    if (!panels.has(t) && data) {
      const p = builders[t]();
      panels.set(t, p);
      body.append(p.el);
      p.update?.(data);
    }
    for (const [k, p] of panels) p.el.hidden = k !== t;
    panels.get(t)?.shown?.();
  }

  async function load() {
    try {
      data = await get(base);
    } catch (e) {
      put(head, h('h1', { text: 'Device' }), h('p', { class: 'error', text: e.status === 404 ? 'This device does not exist or is outside your clients.' : e.message }));
      return;
    }
    renderHead();
    for (const p of panels.values()) p.update?.(data);
    if (!panels.has(tab)) showTab(tab, false);
  }
  const reload = throttle(load, 1500);

  function renderHead() {
    const v = data.device;
    document.title = `${v.hostname} · Steward`;
    put(head,
      h('div', { class: 'title-row' }, h('h1', { id: 'device-hostname', text: v.hostname || v.id }), h('span', { id: 'device-status' }, onlineBadge(v.online)),
        v.pending_reboot && h('span', { class: 'badge warn', text: 'reboot pending' }),
        v.patches_available ? h('span', { class: 'badge warn', text: `${v.patches_available} patches` }) : null,
        approvalBadges(v), approveButton(v, () => load(), { small: false }),
        v.retired && h('span', { class: 'badge', id: 'device-retired', title: `retired by ${v.retired_by || '?'}`, text: 'retired' }),
        h('button', { type: 'button', class: v.favorite ? 'small star on' : 'small star', id: 'device-star', 'aria-pressed': v.favorite ? 'true' : 'false',
          title: v.favorite ? 'Remove from your favourites' : 'Add to your favourites', text: v.favorite ? '★ Favourite' : '☆ Favourite', onclick: star }),
        can('clients') && h('button', { type: 'button', class: 'small', id: v.retired ? 'device-restore' : 'device-retire',
          text: v.retired ? 'Restore' : 'Retire…', onclick: v.retired ? restore : retire })),
      v.retired && h('p', { class: 'notice', id: 'retired-notice', text: 'This device is retired: it keeps its history but receives no jobs, shells or patches, reports nothing but heartbeats and does not count against the device limit.' }),
      duplicateNotice(v),
      h('p', { class: 'muted' }, [TYPES[v.device_type] || v.device_type, osText(v), v.client_name || v.client, v.group].filter(Boolean).join(' · '), ' · ',
        v.online ? 'online' : h('span', {}, 'last seen ', time(v.last_seen)),
        ' ', h('button', { type: 'button', class: 'link', id: 'refresh-device', text: 'Refresh data', disabled: !v.online, onclick: refresh })));
  }

  // The folder ("group" in the API) is set by operators, not reported by
  // the device; the datalist offers the folders already in use.
  async function editFolder() {
    const input = h('input', { name: 'group', id: 'folder-input', maxlength: '128', value: data.device.group || '', list: 'folder-options',
      autocomplete: 'off', placeholder: 'e.g. Head office' });
    const options = h('datalist', { id: 'folder-options' });
    get('/api/v1/groups').then((gs) => put(options, (gs || []).map((g) => h('option', { value: g.group })))).catch((e) => toast(`Could not load the folders: ${e.message}`, 'error'));
    const r = await modal({
      title: `Folder of ${data.device.hostname}`, ok: 'Save',
      body: h('div', { class: 'stack' }, field('Folder', input, 'Leave empty to take the device out of its folder. At most 128 bytes, no control characters.'), options),
      onSubmit: async () => patch(base, { group: input.value.trim() }),
    });
    if (r?.device) {
      toast(r.device.group ? `${data.device.hostname} is now in ${r.device.group}.` : `${data.device.hostname} is in no folder now.`, 'ok');
      load();
    }
  }

  async function star() {
    const on = !data.device.favorite;
    try {
      await (on ? api('PUT', `${base}/favorite`, {}) : del(`${base}/favorite`));
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function retire() {
    const v = data.device;
    if (!await confirm('Retire device', `Retire ${v.hostname}? It keeps its history, but gets no jobs, shells or patches and stops reporting until it is restored. It stops counting against the device limit.`, { ok: 'Retire', danger: true })) return;
    try {
      await post(`${base}/retire`, {});
      toast(`${v.hostname} is retired.`, 'ok');
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function restore() {
    try {
      await post(`${base}/restore`, {});
      toast(`${data.device.hostname} is restored.`, 'ok');
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function refresh() {
    try {
      await post(`${base}/refresh`, {});
      toast('Asked the device for fresh data.', 'info');
      setTimeout(reload, 3000);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  const builders = {
    alerts: () => deviceAlertsPanel(id),
    activity: () => activityPanel(base),
    eventlog: () => eventLogPanel(base),
    registry: () => registryPanel(base),
    summary() {
      const el = h('section', { class: 'panel', id: 'panel-summary' });
      return {
        el,
        update(d) {
          const v = d.device;
          const inv = d.inventory || {};
          const hb = v.heartbeat || {};
          const hl = d.health || {};
          const reasons = hl.reboot?.reasons || [];
          put(el,
            h('div', { class: 'columns' },
              h('div', {}, h('h2', { text: 'Device' }), dl([
                ['Name', v.hostname], ['Device ID', h('code', { text: v.id })], ['Client', v.client_name || v.client],
                ['Folder', h('span', { class: 'folder' }, h('span', { id: 'device-folder', class: v.group ? '' : 'muted', text: v.group || 'none' }),
                  can('clients') && h('button', { type: 'button', class: 'link', id: 'folder-edit', text: v.group ? 'Change' : 'Set folder', onclick: editFolder }))],
                ['Type', TYPES[v.device_type] || v.device_type], ['Operating system', osText(v)], ['Kernel', inv.kernel], ['Architecture', v.arch || inv.arch],
                ['Time zone', inv.time_zone ? h('span', { id: 'device-time-zone', text: inv.time_zone }) : ''],
                ['Manufacturer', inv.manufacturer], ['Model', inv.model], ['Serial number', inv.serial ? h('code', { id: 'device-serial', text: inv.serial }) : ''],
                ['Agent version', v.agent_version], ['Enrolled', full(v.enrolled_at)],
                ['Approval', v.approval === 'pending' ? h('span', { id: 'device-approval', text: 'pending: receives no job until approved' })
                  : v.approved_by ? h('span', { id: 'device-approval' }, `approved by ${v.approved_by} `, time(v.approved_at)) : ''], ['Last seen', v.online ? 'now' : full(v.last_seen)],
                ['Booted', when(v.boot_time) ? full(v.boot_time) : ''], ['Uptime', hb.uptime_seconds ? duration(hb.uptime_seconds) : ''],
                ['Last user', v.last_user ? [v.last_user, v.last_user_at ? [' (', time(v.last_user_at), ')'] : ''] : ''],
                ['IP addresses', (v.ips || []).join(', ')], ['MAC addresses', (v.macs || []).map((m) => m.match(/../g)?.join(':') || m).join(', ')],
              ])),
              h('div', {},
                h('h2', { text: 'Health' }),
                v.online ? h('div', { class: 'meters' }, meter('CPU', hb.cpu_percent), meter('Memory', hb.mem_percent), meter('Disk', hb.disk_percent)) : empty('Offline: no live figures.'),
                h('h2', { text: 'Pending reboot' }),
                reasons.length ? h('ul', { class: 'reasons', id: 'reboot-reasons' }, reasons.map((r) => h('li', {},
                  h('code', { text: r.code }), r.detail ? ` — ${r.detail}` : '', r.weak ? h('span', { class: 'muted', text: ' (weak indicator)' }) : null)))
                  : empty(v.pending_reboot ? 'A reboot is pending.' : 'No reboot pending.'),
                (hl.errors || []).length ? [h('h2', { text: 'Collector errors' }), h('ul', { class: 'errors' }, hl.errors.map((e) => h('li', { text: e })))] : null)),
            h('h2', { text: 'Hardware' }),
            dl([['CPU', inv.cpu_model ? `${inv.cpu_model} (${inv.cpu_cores} cores, ${inv.cpu_threads} threads)` : ''], ['Memory', inv.memory_total ? bytes(inv.memory_total) : ''],
              ['Virtualization', inv.virtualization], ['Machine ID', inv.machine_id ? h('code', { text: inv.machine_id }) : '']]),
            h('h3', { text: 'Disks' }),
            (inv.disks || []).length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Mount', 'Device', 'File system', 'Size', 'Free', 'Used'].map((x) => h('th', { text: x })))),
              h('tbody', {}, inv.disks.map((k) => h('tr', {}, h('td', { text: k.mount }), h('td', { text: k.device || '' }), h('td', { text: k.filesystem }),
                h('td', { class: 'num', text: bytes(k.total) }), h('td', { class: 'num', text: bytes(k.free) }),
                h('td', {}, k.total ? meter('', 100 * (1 - k.free / k.total)) : ''))))) : empty('No disks reported.'),
            h('h3', { text: 'Network interfaces' }),
            (inv.interfaces || []).length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Name', 'MAC', 'Addresses'].map((x) => h('th', { text: x })))),
              h('tbody', {}, inv.interfaces.map((i) => h('tr', {}, h('td', { text: i.name }), h('td', { text: i.mac || '' }), h('td', { text: (i.addresses || []).join(', ') }))))) : empty('No interfaces reported.'),
            h('h3', { text: 'Availability' }),
            (v.transitions || []).length ? h('ul', { class: 'transitions' }, v.transitions.slice(-15).reverse().map((t) => h('li', {},
              h('span', { class: ['badge', t.online ? 'ok' : 'off'], text: t.online ? 'online' : 'offline' }), ' ', full(t.at), t.reason ? ` — ${t.reason}` : ''))) : empty('No changes recorded.'),
            h('p', { class: 'muted' }, 'Inventory from ', time(d.inventory_updated_at), ', health from ', time(d.health_updated_at), '.'));
        },
      };
    },

    patches() {
      const el = h('section', { class: 'panel', id: 'panel-patches' });
      const chosen = new Set();
      return {
        el,
        update(d) {
          const ps = d.health?.patches || {};
          const list = ps.available || [];
          for (const k of [...chosen]) if (!list.some((p) => p.id === k)) chosen.delete(k);
          const reboot = select('reboot', [['never', 'Never reboot'], ['if-required', 'Reboot if an update requires it']], 'never', { id: 'patch-reboot' });
          const install = async (ids) => {
            const what = ids ? `${ids.length} selected patch${ids.length === 1 ? '' : 'es'}` : `all ${list.length} patches`;
            if (!await confirm('Install patches', `Install ${what} on ${d.device.hostname}?`, { ok: 'Install' })) return;
            const r = await createJob({ devices: [id], kind: 'patch_install', patch: { ids: ids || undefined, reboot: reboot.value } }, 'Install patches');
            if (r) showTab('jobs', true);
          };
          const canPatch = can('patch');
          const selBtn = h('button', { type: 'button', id: 'install-selected', disabled: !chosen.size, text: `Install selected (${chosen.size})`, onclick: () => install([...chosen]) });
          const rows = list.map((p) => {
            const cb = h('input', { type: 'checkbox', checked: chosen.has(p.id), 'aria-label': `Select ${p.name}` });
            cb.addEventListener('change', () => {
              if (cb.checked) chosen.add(p.id);
              else chosen.delete(p.id);
              selBtn.disabled = !chosen.size;
              selBtn.textContent = `Install selected (${chosen.size})`;
            });
            return h('tr', {}, canPatch && h('td', { class: 'sel' }, cb), h('td', { text: p.name }), h('td', {}, h('code', { text: p.id })),
              h('td', { text: p.installed_version || '' }), h('td', { text: p.available_version || '' }),
              h('td', {}, p.security ? h('span', { class: 'badge bad', text: 'security' }) : ''),
              h('td', {}, classCell(p.classification)), h('td', {}, severityCell(p.severity)),
              h('td', { text: p.advisory || '' }), h('td', { class: 'num', text: p.size ? bytes(p.size) : '' }),
              h('td', {}, p.reboot_required ? h('span', { class: 'badge warn', text: 'reboot' }) : ''));
          });
          put(el,
            h('p', { class: 'muted' }, `Checked ${ps.checked_at ? '' : 'never'}`, ps.checked_at ? time(ps.checked_at) : '', ps.source ? ` with ${ps.source}` : '', '.'),
            ps.error ? h('p', { class: 'error', text: `Last check failed: ${ps.error}` }) : collectorProblem(d, 'patches', 'patches'),
            canPatch && h('div', { class: 'toolbar' }, selBtn,
              h('button', { type: 'button', id: 'install-all', disabled: !list.length, text: 'Install all', onclick: () => install(null) }), reboot,
              h('span', { class: 'spacer' }),
              h('button', { type: 'button', class: 'small', text: 'Check for updates now', onclick: async () => {
                if (await createJob({ devices: [id], kind: 'patch_scan' }, 'Patch check')) setTimeout(reload, 5000);
              } })),
            list.length ? h('table', { class: 'grid', id: 'patches-table' }, h('thead', {}, h('tr', {}, canPatch && h('th', { class: 'sel' }),
              ['Name', 'ID', 'Installed', 'Available', 'Security', 'Class', 'Severity', 'Advisory', 'Size', 'Reboot'].map((x) => h('th', { text: x })))), h('tbody', {}, rows))
              : empty('No patches available.'));
        },
      };
    },

    software() {
      const el = h('section', { class: 'panel', id: 'panel-software' });
      const filter = h('input', { type: 'search', placeholder: 'Filter software', id: 'software-filter', 'aria-label': 'Filter software' });
      const out = h('div');
      const outBox = h('div', { class: 'output-box', id: 'uninstall-output' });
      let list = [];
      let follow = null;
      const canRun = can('run');
      const uninstall = async (s) => {
        const dev = data.device;
        if (!await confirm(`Uninstall ${s.name}`, `Uninstall ${s.name}${s.version ? ` ${s.version}` : ''} from ${dev.hostname}? `
          + 'The device runs its package manager or the program\'s own uninstaller; this cannot be undone from here.', { ok: 'Uninstall', danger: true })) return;
        const r = await createJob({ devices: [id], kind: 'software_uninstall', software: { id: s.uninstall_id } }, `Uninstall ${s.name}`);
        if (r?.runs?.[0]) {
          follow?.dispose();
          follow = followRun(r.runs[0].id);
          put(outBox, h('h3', {}, `Uninstall ${s.name} `, h('a', { href: `/jobs/${enc(r.job.id)}`, class: 'small-link', text: 'job' })), follow.el);
        }
      };
      const draw = () => {
        const q = filter.value.trim().toLowerCase();
        const hits = q ? list.filter((s) => `${s.name} ${s.publisher || ''}`.toLowerCase().includes(q)) : list;
        const shown = hits.slice(0, 1000);
        const online = data.device.online;
        const problem = collectorProblem(data, 'software', 'software');
        put(out, problem, (problem && !list.length) ? null : h('p', { class: 'muted', text: `${count(hits.length)} of ${count(list.length)} packages${hits.length > shown.length ? ` (first ${shown.length} shown)` : ''}` }),
          shown.length ? h('table', { class: 'grid compact', id: 'software-table' },
            h('thead', {}, h('tr', {}, ['Name', 'Version', 'Publisher', 'Source', 'Installed', canRun ? '' : null].filter((x) => x !== null).map((x) => h('th', { text: x })))),
            h('tbody', {}, shown.map((s) => h('tr', { dataset: { software: s.name } }, h('td', { text: s.name }), h('td', { text: s.version || '' }), h('td', { text: s.publisher || '' }),
              h('td', { text: s.source || '' }), h('td', { text: s.install_date || '' }),
              canRun && h('td', { class: 'actions' }, h('button', { type: 'button', class: 'small uninstall', text: 'Uninstall',
                disabled: !online || !s.uninstall_id,
                title: !s.uninstall_id ? 'The device reports no way to uninstall this' : online ? '' : 'The device is offline',
                onclick: () => uninstall(s) })))))) : null);
      };
      filter.addEventListener('input', draw);
      const pkg = can('software') ? packageForm(id, data.device) : null;
      put(el, pkg?.el, h('div', { class: 'toolbar' }, filter), outBox, out);
      return {
        el,
        update(d) { list = [...(d.health?.software || [])].sort((a, b) => a.name.localeCompare(b.name)); draw(); },
        dispose: () => { follow?.dispose(); pkg?.dispose(); },
      };
    },

    services() {
      const el = h('section', { class: 'panel', id: 'panel-services' });
      const filter = h('input', { type: 'search', placeholder: 'Filter services', id: 'service-filter', 'aria-label': 'Filter services' });
      const out = h('div');
      let list = [];
      const act = async (s, action) => {
        if (!await confirm(`${action[0].toUpperCase()}${action.slice(1)} service`, `${action[0].toUpperCase()}${action.slice(1)} ${s.name} on ${data.device.hostname}?`, { ok: action, danger: action === 'stop' })) return;
        if (await createJob({ devices: [id], kind: 'service', service: { name: s.name, action } }, `Service ${action}`)) setTimeout(() => post(`${base}/refresh?what=health`, {}).catch(() => {}), 2000);
      };
      const draw = () => {
        const q = filter.value.trim().toLowerCase();
        const hits = q ? list.filter((s) => `${s.name} ${s.display_name || ''}`.toLowerCase().includes(q)) : list;
        const canAct = can('services') && data.device.online;
        const problem = collectorProblem(data, 'services', 'services');
        put(out, problem, (problem && !list.length) ? null : h('p', { class: 'muted', text: `${count(hits.length)} of ${count(list.length)} services` }),
          hits.length ? h('table', { class: 'grid compact', id: 'services-table' }, h('thead', {}, h('tr', {}, ['Name', 'Display name', 'State', 'Start type', 'PID', can('services') ? 'Actions' : ''].map((x) => h('th', { text: x })))),
            h('tbody', {}, hits.map((s) => h('tr', { dataset: { service: s.name } }, h('td', { text: s.name }), h('td', { text: s.display_name || '' }),
              h('td', {}, h('span', { class: ['badge', s.state === 'running' ? 'ok' : s.state === 'failed' ? 'bad' : 'off'], text: s.state || 'unknown' })),
              h('td', { text: s.start_type || '' }), h('td', { class: 'num', text: s.pid ? String(s.pid) : '' }),
              h('td', { class: 'actions' }, can('services') && ['start', 'stop', 'restart'].map((a) => h('button', { type: 'button', class: 'small', disabled: !canAct,
                text: a, onclick: () => act(s, a) }))))))) : null);
      };
      filter.addEventListener('input', draw);
      put(el, h('div', { class: 'toolbar' }, filter), out);
      return { el, update(d) { list = [...(d.health?.services || [])].sort((a, b) => a.name.localeCompare(b.name)); draw(); } };
    },

    users() {
      const el = h('section', { class: 'panel', id: 'panel-users' });
      return {
        el,
        update(d) {
          const us = d.health?.users || [];
          const problem = collectorProblem(d, 'users', 'logged-in users');
          put(el, problem, h('p', {}, 'Last logged-in user: ', d.device.last_user ? h('strong', { text: d.device.last_user }) : '—',
            d.device.last_user_at ? [' ', time(d.device.last_user_at)] : ''),
          us.length ? h('table', { class: 'grid', id: 'users-table' }, h('thead', {}, h('tr', {}, ['User', 'Session', 'Terminal', 'From', 'State', 'Since', 'Idle since'].map((x) => h('th', { text: x })))),
            h('tbody', {}, us.map((u) => h('tr', {}, h('td', { text: u.user }), h('td', { text: u.session || '' }), h('td', { text: u.terminal || '' }),
              h('td', { text: u.host || '' }), h('td', { text: u.state || '' }), h('td', {}, time(u.since)), h('td', {}, u.idle_since ? time(u.idle_since) : '')))))
            : problem ? null : empty('Nobody is logged in.'));
        },
      };
    },

    jobs() {
      const el = h('section', { class: 'panel', id: 'panel-jobs' });
      const list = h('div');
      const outBox = h('div', { class: 'output-box' });
      let follow = null;
      let openRun = '';
      const open = (r) => {
        follow?.dispose();
        openRun = r.id;
        follow = followRun(r.id);
        put(outBox, h('h3', {}, `${r.kind} run `, h('code', { text: r.id }), ' ', h('a', { href: `/jobs/${enc(r.job_id)}`, class: 'small-link', text: 'job' })), follow.el);
        for (const tr of list.querySelectorAll('tr[data-run]')) tr.classList.toggle('selected', tr.dataset.run === r.id);
      };
      const draw = async () => {
        let runs;
        try {
          runs = await get(`${base}/runs`);
        } catch (e) {
          put(list, h('p', { class: 'error', text: e.message }));
          return;
        }
        put(list, runs.length ? h('table', { class: 'grid', id: 'runs-table' },
          h('thead', {}, h('tr', {}, ['Created', 'Kind', 'State', 'Exit', 'Reason', 'Output'].map((x) => h('th', { text: x })))),
          h('tbody', {}, runs.map((r) => h('tr', { dataset: { run: r.id }, class: r.id === openRun ? 'selected' : '' }, h('td', {}, time(r.created_at)), h('td', { text: r.kind }),
            h('td', {}, stateBadge(r.state)), h('td', { class: 'num', text: ['succeeded', 'failed'].includes(r.state) ? String(r.exit_code) : '' }),
            h('td', { text: r.reason || '' }),
            h('td', {}, h('button', { type: 'button', class: 'small', text: 'Show', onclick: () => open(r) }))))))
          : empty('No jobs have run on this device.'));
      };
      const redraw = throttle(draw, 1000);
      put(el, list, outBox);
      return { el, update: () => redraw(), onRun: () => redraw(), dispose: () => follow?.dispose(), open };
    },

    script() {
      const el = h('section', { class: 'panel', id: 'panel-script' });
      const form = scriptForm(data.device.os, data.device.client);
      const outBox = h('div', { class: 'output-box', id: 'script-output' });
      let follow = null;
      const run = h('button', { type: 'submit', class: 'primary', id: 'run-script', text: 'Run' });
      const f = h('form', { class: 'stack' }, form.el, h('div', {}, run));
      f.addEventListener('submit', async (e) => {
        e.preventDefault();
        let body;
        try {
          body = form.body();
        } catch (ex) {
          toast(ex.message, 'error');
          return;
        }
        run.disabled = true;
        const r = await createJob({ devices: [id], ...body }, 'Run script');
        run.disabled = false;
        if (r?.runs?.[0]) {
          follow?.dispose();
          follow = followRun(r.runs[0].id);
          put(outBox, h('h3', { text: data.device.online ? 'Output' : 'Output (queued until the device is online)' }), follow.el);
        }
      });
      put(el, f, outBox);
      return { el, dispose: () => follow?.dispose() };
    },

    power() {
      const el = h('section', { class: 'panel', id: 'panel-power' });
      const action = select('action', [['reboot', 'Reboot'], ['shutdown', 'Shut down'], ['logoff', 'Log off users']], 'reboot', { id: 'power-action' });
      const now = h('input', { type: 'radio', name: 'when', value: 'now', checked: true, id: 'power-now' });
      const later = h('input', { type: 'radio', name: 'when', value: 'at', id: 'power-later' });
      const at = h('input', { type: 'datetime-local', name: 'at', id: 'power-at', disabled: true });
      const delay = h('input', { type: 'number', name: 'delay', min: '0', max: '604800', value: '0', id: 'power-delay' });
      const message = h('input', { name: 'message', maxlength: '512', id: 'power-message', placeholder: 'Shown to logged-in users where the OS supports it' });
      const user = h('input', { name: 'user', id: 'power-user', placeholder: 'all users' });
      const userField = field('User to log off', user);
      userField.hidden = true;
      for (const r of [now, later]) r.addEventListener('change', () => { at.disabled = !later.checked; });
      action.addEventListener('change', () => { userField.hidden = action.value !== 'logoff'; });
      const go = h('button', { type: 'submit', class: 'primary danger', id: 'power-go', text: 'Go' });
      const f = h('form', { class: 'stack narrow' }, field('Action', action),
        h('div', { class: 'radios' }, h('label', {}, now, ' Now'), h('label', {}, later, ' At '), at),
        field('Delay (seconds) before the OS acts', delay), field('Message', message), userField, h('div', {}, go));
      f.addEventListener('submit', async (e) => {
        e.preventDefault();
        const power = { action: action.value };
        const d = parseInt(delay.value, 10);
        if (d > 0) power.delay_seconds = d;
        if (message.value.trim()) power.message = message.value.trim();
        if (action.value === 'logoff' && user.value.trim()) power.user = user.value.trim();
        const body = { devices: [id], kind: 'power', power };
        let whenText = 'now';
        if (later.checked) {
          const t = new Date(at.value);
          if (!at.value || Number.isNaN(t.getTime())) return toast('Choose the date and time.', 'error');
          body.at = t.toISOString();
          whenText = `at ${t.toLocaleString()}`;
        }
        const label = action.selectedOptions[0].textContent;
        if (!await confirm(label, `${label} ${data.device.hostname} ${whenText}?`, { ok: label, danger: true })) return;
        if (await createJob(body, label)) showTab('jobs', true);
      });
      put(el, f);
      return { el };
    },

    terminal() {
      const el = h('section', { class: 'panel', id: 'panel-terminal' });
      const box = h('div', { class: 'terminal-box', id: 'terminal' });
      const state = h('span', { class: 'muted', id: 'terminal-state', text: 'Not connected.' });
      let term = null;
      const shells = data.device.os === 'windows' ? [['', 'Default shell'], ['powershell', 'Windows PowerShell'], ['pwsh', 'PowerShell 7'], ['cmd', 'cmd']]
        : [['', 'Default shell'], ['sh', 'sh'], ['bash', 'bash'], ['zsh', 'zsh'], ['fish', 'fish']];
      const shellSel = select('shell', shells, '', { id: 'terminal-shell', 'aria-label': 'Shell' });
      const openBtn = h('button', { type: 'button', class: 'primary', id: 'terminal-open', text: 'Open terminal' });
      const closeBtn = h('button', { type: 'button', id: 'terminal-close', text: 'Close', disabled: true });
      openBtn.addEventListener('click', async () => {
        const why = blocked(data.device);
        if (why) {
          state.textContent = why;
          return;
        }
        openBtn.disabled = true;
        try {
          const { openTerminal } = await import('../lib/terminal.js');
          term?.dispose();
          term = await openTerminal(box, id, shellSel.value, (s, connected) => {
            state.textContent = s;
            closeBtn.disabled = !connected;
            openBtn.disabled = connected;
          });
        } catch (e) {
          state.textContent = e.message;
          openBtn.disabled = false;
        }
      });
      closeBtn.addEventListener('click', () => term?.close());
      // Why a terminal cannot open right now, said before anyone tries.
      const blocked = (v) => (!can('shell') ? 'You lack the shell permission.'
        : v.approval === 'pending' ? 'The device is pending approval; approve it before opening a terminal.'
          : !v.online ? 'The device is offline; a terminal needs it connected.' : '');
      put(el, h('div', { class: 'toolbar' }, shellSel, openBtn, closeBtn, state), box,
        h('p', { class: 'muted', text: 'Sessions are audited and their output is recorded (not your keystrokes). Opening one needs a recent two-factor check.' }));
      return {
        el,
        dispose: () => term?.dispose(),
        shown: () => term?.fit(),
        update(d) {
          const why = blocked(d.device);
          if (term?.connected?.()) return;
          openBtn.disabled = !!why;
          openBtn.title = why;
          if (why) state.textContent = why;
          else if (state.textContent === openBtn.dataset.why) state.textContent = 'Not connected.';
          openBtn.dataset.why = why;
        },
      };
    },

    files: () => filesPanel(base, data.device),
    processes: () => processesPanel(base),
  };

  builders.message = () => messagePanel(id, () => data);

  load();
  showTab(tab, false);
  return {
    dispose() { for (const p of panels.values()) p.dispose?.(); },
    onEvent(ev) {
      if (ev.type === 'device' && ev.id === id) {
        if (data && typeof ev.online === 'boolean') {
          data.device.online = ev.online;
          put(head.querySelector('#device-status') || h('span'), onlineBadge(ev.online));
        }
        reload();
      } else if (ev.type === 'run' && ev.device_id === id) {
        panels.get('jobs')?.onRun();
        if (['succeeded', 'failed'].includes(ev.state)) reload();
      } else if (ev.type === 'alert' && ev.device_id === id) {
        panels.get('alerts')?.refresh();
        reload();
      } else if (ev.type === 'resync') {
        reload();
      }
    },
  };
}

