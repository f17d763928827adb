// Automation: automation profiles (scheduled tasks and a patch policy),
// where they are assigned (everything, a client, a folder, a device),
// patch approvals, and the compliance view (devices out of compliance
// first). Everyone who may view sees them; `run` creates, edits, deletes
// and assigns, `patch` approves. Tasks and the patch policy are edited
// as JSON (the API's shape, shown in the form).
import { h, put, enc } from '../lib/dom.js';
import { get, del, post, api, can, session } from '../lib/api.js';
import { time } from '../lib/format.js';
import { toast, confirm, empty, modal, field, select } from '../lib/ui.js';
import { clientOptions, resolveDevice } from '../lib/monitoring.js';
import { patchFilterFields, withoutFilters, filterText, classCell, severityCell } from '../lib/patchclass.js';
import { zoneInput } from '../lib/zones.js';

const clipped = (text, cls) => h('span', { class: ['clip', cls], title: text, text });
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** scheduleText says when a task runs. */
export function scheduleText(s) {
  const tz = s.time_zone ? ` (${s.time_zone})` : '';
  if (s.kind === 'every') return (s.every % 3600 === 0 ? `every ${s.every / 3600} h` : s.every % 60 === 0 ? `every ${s.every / 60} min` : `every ${s.every} s`) + startText(s);
  if (s.kind === 'daily') return `daily at ${s.at}${tz}`;
  if (s.kind === 'weekly') return `${(s.weekdays || []).map((d) => DAYS[d]).join(', ')} at ${s.at}${tz}`;
  return `cron ${s.cron}${tz}`;
}

/** startText is an every schedule's anchor, in the browser's time. */
function startText(s) {
  const d = s.start ? new Date(s.start) : null;
  return d && !Number.isNaN(d.getTime()) ? ` from ${d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}` : '';
}

/** startField is the form's "starting at": the anchor given to the every tasks that name no start. */
function startField() {
  const input = h('input', { type: 'datetime-local', name: 'start', id: 'auto-start' });
  return {
    field: field('Every-N tasks starting at (optional)', input, 'They run at this time plus each interval; empty: from when the task is first saved.'),
    apply(tasks) {
      if (!input.value) return;
      const at = new Date(input.value);
      if (Number.isNaN(at.getTime())) throw new Error('starting at: not a date and time');
      for (const t of tasks) if (t?.schedule?.kind === 'every' && !t.schedule.start) t.schedule.start = at.toISOString();
    },
  };
}

const taskText = (t) => `${t.name}: ${t.action}${t.library ? ` ${t.library}` : ''}${t.packages?.length ? ` ${t.packages.join(' ')}` : ''}, ${scheduleText(t.schedule)}`
  + (t.spread_seconds ? `, spread ${Math.round(t.spread_seconds / 60)} min` : '');
const patchText = (p) => `patches: ${p.auto}${filterText(p) ? ` + ${filterText(p)}` : ''}, ${(p.weekdays || []).map((d) => DAYS[d]).join(', ')} at ${p.start} for ${p.minutes} min, reboot ${p.reboot}`
  + (p.reboot === 'at-time' ? ` ${p.reboot_at}` : '') + (p.max_deferrals ? `, the user may postpone ${p.max_deferrals}× by ${p.defer_minutes} min` : '');

/** rebootFields are the patch policy's restart fields; filled, they
 * override the policy JSON's: a time of day, and how often and how long
 * the logged-in user may postpone the restart. */
function rebootFields(pp) {
  const at = h('input', { name: 'reboot_at', id: 'auto-reboot-at', type: 'time', value: pp?.reboot_at || '' });
  const by = h('input', { name: 'defer_minutes', id: 'auto-defer-minutes', type: 'number', min: '1', max: '1440', placeholder: '60',
    value: pp?.defer_minutes || '' });
  const most = h('input', { name: 'max_deferrals', id: 'auto-max-deferrals', type: 'number', min: '0', max: '10', placeholder: '0',
    value: pp?.max_deferrals ?? '' });
  const fields = h('div', { class: 'stack' },
    field('Restart at', at, 'Reboot "at-time": the next such time after the install, in the policy\'s zone; it may fall outside the window.'),
    field('Postponements allowed', most, 'The logged-in user is asked "Restart now?" and may answer No this often (0..10); then told, and restarted 5 minutes later. Nobody logged in: restarted at once.'),
    field('Postpone by (minutes)', by));
  const apply = (patch) => {
    if (!patch) {
      if (at.value || by.value || most.value) throw new Error('the restart fields need a patch policy');
      return;
    }
    if (at.value) Object.assign(patch, { reboot: 'at-time', reboot_at: at.value });
    if (by.value) patch.defer_minutes = Number(by.value);
    if (most.value !== '') patch.max_deferrals = Number(most.value);
  };
  return { fields, apply };
}

/** rebootNotes are the reboots under way of a device's compliance. */
const rebootNotes = (d) => d.items.filter((i) => i.status === 'waiting-reboot').map((i) => i.detail);

const TASK_EXAMPLE = '[{"name":"scan","action":"patch-scan","schedule":{"kind":"every","every":3600},"spread_seconds":600}]';

/** scheduleZone is the form's time zone control: kept as the JSON says,
 * or set on every task's schedule and the patch window to the server's
 * zone, each device's, the client's, or a named IANA zone. */
function scheduleZone() {
  const sel = select('zone_kind', [['keep', 'as written in the JSON'], ['', 'server default'], ['device', "each device's zone (else its client's)"],
    ['client', "the device's client's zone"], ['named', 'a named zone…']], 'keep', { id: 'auto-zone' });
  const [named, list] = zoneInput('zone_name', '', { id: 'auto-zone-name', placeholder: 'Europe/Paris' });
  named.hidden = true;
  sel.addEventListener('change', () => { named.hidden = sel.value !== 'named'; });
  return {
    el: h('span', { class: 'zone-pick' }, sel, ' ', named, list),
    apply(req) {
      if (sel.value === 'keep') return;
      const z = sel.value === 'named' ? named.value.trim() : sel.value;
      for (const t of req.tasks || []) if (t.schedule) t.schedule.time_zone = z || undefined;
      if (req.patch) req.patch.time_zone = z || undefined;
    },
  };
}

/** editProfile creates (p null) or edits an automation profile. */
async function editProfile(p, globalAllowed) {
  const clients = p ? [] : await clientOptions(globalAllowed ? '— global —' : '');
  const name = h('input', { name: 'name', id: 'auto-name', maxlength: '100', required: true, value: p?.name || '' });
  const client = !p && select('client', clients, clients[0]?.[0] || '', { id: 'auto-client' });
  const tasks = h('textarea', { name: 'tasks', id: 'auto-tasks', rows: '8', spellcheck: 'false', class: 'mono' });
  tasks.value = JSON.stringify(p ? p.tasks : JSON.parse(TASK_EXAMPLE), null, 2);
  const patch = h('textarea', { name: 'patch', id: 'auto-patch', rows: '4', spellcheck: 'false', class: 'mono',
    placeholder: '{"auto":"security","weekdays":[3],"start":"02:00","minutes":120,"reboot":"if-required"}' });
  patch.value = p?.patch ? JSON.stringify(withoutFilters(p.patch), null, 2) : '';
  const filters = patchFilterFields(p?.patch);
  const zone = scheduleZone();
  const start = startField();
  const reboot = rebootFields(p?.patch);
  const body = h('div', { class: 'stack' }, field('Name', name), client && field('Client', client),
    field('Tasks (JSON)', tasks, 'action: script (library NAME@VERSION), patch-scan, patch-install, reboot-if-required, software-install (packages); schedule kind: every (seconds, from start: RFC 3339), daily or weekly (at HH:MM, weekdays 0-6), cron.'),
    start.field, field('Patch policy (JSON, empty for none)', patch), filters.el, reboot.fields,
    field('Time zone of the schedules', zone.el, 'daily, weekly and cron times and the patch window are read in this zone'));
  return modal({ title: p ? `Edit ${p.name}` : 'New automation profile', ok: 'Save', wide: true, body,
    onSubmit: () => {
      let req;
      try {
        req = { name: name.value, tasks: JSON.parse(tasks.value || '[]'), patch: patch.value.trim() ? JSON.parse(patch.value) : undefined };
      } catch (e) {
        throw new Error(`not JSON: ${e.message}`);
      }
      if (filters.apply(req.patch) && !req.patch) throw new Error('classifications and a minimum severity refine a patch policy: write one above');
      zone.apply(req);
      if (Array.isArray(req.tasks)) start.apply(req.tasks);
      reboot.apply(req.patch);
      if (!p && client.value) req.client = client.value;
      return p ? api('PUT', `/api/v1/automation/profiles/${enc(p.id)}`, req) : post('/api/v1/automation/profiles', req);
    } });
}

/** assignAutomation assigns an automation profile (devices given: to them, as a bulk action). */
export async function assignAutomation({ devices, label } = {}) {
  const [profiles, clients] = await Promise.all([get('/api/v1/automation/profiles').catch(() => []), clientOptions('')]);
  const prof = select('profile', [...(profiles || []).map((p) => [p.id, p.client_name ? `${p.name} (${p.client_name})` : p.name]), ['', '— none: remove the assignment —']],
    profiles?.[0]?.id || '', { id: 'auto-assign-profile' });
  const level = select('level', [['default', 'Everything (default)'], ['client', 'A client'], ['folder', 'A client\'s folder'], ['device', 'A device']], 'client', { id: 'auto-assign-level' });
  const client = select('client', clients, clients[0]?.[0] || '', { id: 'auto-assign-client' });
  const folder = h('input', { name: 'folder', id: 'auto-assign-folder', maxlength: '128', autocomplete: 'off' });
  const device = h('input', { name: 'device', id: 'auto-assign-device', maxlength: '128', autocomplete: 'off', placeholder: 'hostname or ID' });
  const where = h('div', { class: 'stack' });
  const render = () => put(where, ['client', 'folder'].includes(level.value) && field('Client', client),
    level.value === 'folder' && field('Folder', folder), level.value === 'device' && field('Device', device));
  level.addEventListener('change', render);
  render();
  const body = h('div', { class: 'stack' }, field('Automation profile', prof, 'Inherited: device, then folder, then client, then everything.'),
    devices ? h('p', { class: 'wrap', text: `For ${label || `${devices.length} device(s)`}.` }) : [field('Assign to', level), where]);
  return modal({ title: devices ? `Assign an automation profile to ${label}` : 'Assign an automation profile', ok: 'Assign', body,
    onSubmit: async () => {
      const req = devices ? { level: 'device', devices, profile: prof.value } : { level: level.value, profile: prof.value };
      if (!devices && level.value !== 'default' && level.value !== 'device') req.client = client.value;
      if (!devices && level.value === 'folder') req.folder = folder.value.trim();
      if (!devices && level.value === 'device') req.device = await resolveDevice(device.value.trim());
      return post('/api/v1/automation/assignments', req);
    } });
}

async function approvePatch(all) {
  const clients = await clientOptions(all ? '— every client —' : '');
  const patch = h('input', { name: 'patch', id: 'approve-patch', maxlength: '200', required: true, placeholder: 'the OS\'s ID, e.g. KB5034441 or openssl' });
  const name = h('input', { name: 'name', id: 'approve-name', maxlength: '200' });
  const client = select('client', clients, clients[0]?.[0] || '', { id: 'approve-client' });
  return modal({ title: 'Approve a patch', ok: 'Approve', body: h('div', { class: 'stack' }, field('Patch', patch), field('Name', name), field('For', client)),
    onSubmit: () => post('/api/v1/automation/approvals', { patch: patch.value.trim(), name: name.value.trim(), client: client.value || undefined }) });
}

const STATUS_CLASS = { failed: 'bad', offline: 'warn', 'pending-approval': 'warn', 'waiting-window': 'muted', compliant: 'ok' };

export function mount(root) {
  const write = can('run');
  const approver = can('patch');
  const all = !!session.me?.all_clients;
  const profiles = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const assigns = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const approvals = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const compliance = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const pending = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const btn = (ok, id, text, onclick) => ok && h('button', { type: 'button', class: 'small', id, text, onclick });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Automation' })),
    h('section', { class: 'panel', id: 'auto-profiles-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Automation profiles' }),
      btn(write, 'auto-profile-new', '+ New profile', () => changed(editProfile(null, all), 'Profile created.'))), profiles),
    h('section', { class: 'panel', id: 'auto-assignments-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Assignments' }),
      btn(write, 'auto-assign-new', 'Assign a profile…', () => changed(assignAutomation(), 'Profile assigned.'))),
    h('p', { class: 'muted', text: 'A device takes the profile assigned to it, else its folder\'s, else its client\'s, else the default.' }), assigns),
    h('section', { class: 'panel', id: 'auto-compliance-panel' }, h('h2', { text: 'Compliance' }),
      h('p', { class: 'muted', text: 'What each policy expected on each device and where it stands, devices out of compliance first.' }), compliance),
    h('section', { class: 'panel', id: 'auto-pending-panel' }, h('h2', { text: 'Waiting for approval' }),
      h('p', { class: 'muted', text: 'Patches no policy selects on its own, per client, with what their OS says of them.' }), pending),
    h('section', { class: 'panel', id: 'auto-approvals-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Patch approvals' }),
      btn(approver, 'approve-new', 'Approve a patch…', () => changed(approvePatch(all), 'Patch approved.'))), approvals));

  async function changed(p, msg) {
    try {
      if (await p) {
        toast(msg, 'ok');
        load();
      }
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function renderProfiles(ps) {
    put(profiles, ps.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'auto-profiles-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Owner', 'Tasks', 'Updated', write && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
      h('tbody', {}, ps.map((p) => h('tr', { dataset: { id: p.id } },
        h('td', { class: 'wrap' }, clipped(p.name, 'profile-name'), p.description && h('span', { class: 'sub muted wrap', text: p.description })),
        h('td', {}, p.client_id ? clipped(p.client_name || p.client_id) : h('span', { class: 'owner global', text: 'global' })),
        h('td', { class: 'wrap' }, h('ul', { class: 'check-list' }, p.tasks.map((t) => h('li', { text: taskText(t) })),
          p.patch && h('li', { text: patchText(p.patch) }))),
        h('td', {}, time(p.updated_at), p.updated_by && h('span', { class: 'sub muted', text: `by ${p.updated_by}` })),
        write && h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => changed(editProfile(p, all), 'Profile saved.') }),
          h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: async () => {
            if (await confirm(`Delete ${p.name}`, `Delete ${p.name}? Its assignments, exemptions and schedule go with it.`, { ok: 'Delete', danger: true })) {
              changed(del(`/api/v1/automation/profiles/${enc(p.id)}`), 'Profile deleted.');
            }
          } })))))))
      : empty('No automation profile yet.'));
  }

  function target(a) {
    if (a.level === 'default') return h('span', { text: 'Everything' });
    if (a.level === 'client') return clipped(a.client_name || a.client_id);
    if (a.level === 'folder') return clipped(`${a.client_name || a.client_id} / ${a.folder}`);
    return h('a', { href: `/devices/${enc(a.device_id)}`, class: 'clip', text: a.device_id });
  }

  function renderAssignments(as) {
    put(assigns, as.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'auto-assignments-table' },
      h('thead', {}, h('tr', {}, ['Level', 'Target', 'Profile', 'By'].map((x) => h('th', { text: x })))),
      h('tbody', {}, as.map((a) => h('tr', {}, h('td', { text: a.level }), h('td', {}, target(a)), h('td', {}, clipped(a.profile_name || a.profile_id)),
        h('td', { text: a.by || '' }))))))
      : empty('Nothing assigned.'));
  }

  function renderCompliance(c) {
    const count = (d, s) => d.items.filter((i) => i.status === s).length;
    put(compliance, c.devices.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'auto-compliance-table' },
      h('thead', {}, h('tr', {}, ['Device', 'Client', 'Profile', 'Status', 'Items'].map((x) => h('th', { text: x })))),
      h('tbody', {}, c.devices.map((d) => h('tr', { dataset: { device: d.device_id } },
        h('td', {}, h('a', { href: `/devices/${enc(d.device_id)}`, class: 'clip', title: d.hostname, text: d.hostname || d.device_id })),
        h('td', {}, clipped(d.client_name || d.client_id)), h('td', {}, clipped(d.profile_name)),
        h('td', {}, h('span', { class: ['badge', STATUS_CLASS[d.status]], text: d.status })),
        h('td', { class: 'wrap', text: ['failed', 'offline', 'pending-approval', 'waiting-window', 'installed', 'excluded']
          .map((s) => [s, count(d, s)]).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).concat(rebootNotes(d)).join(', ') || '—' }))))))
      : empty('No policy in force.'));
  }

  function renderPending(c) {
    put(pending, pendingTable(c, approver, (patch, name, client) =>
      changed(post('/api/v1/automation/approvals', { patch, name, client }), 'Patch approved.')));
  }

  function renderApprovals(as) {
    put(approvals, as.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'auto-approvals-table' },
      h('thead', {}, h('tr', {}, ['Patch', 'Name', 'For', 'By', approver && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
      h('tbody', {}, as.map((a) => h('tr', {}, h('td', {}, clipped(a.patch_id)), h('td', {}, clipped(a.name || '')),
        h('td', {}, a.client_id ? clipped(a.client_name || a.client_id) : h('span', { text: 'every client' })), h('td', { text: a.by || '' }),
        approver && h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'small danger', text: 'Withdraw',
          onclick: () => changed(del(`/api/v1/automation/approvals?patch=${enc(a.patch_id)}${a.client_id ? `&client=${enc(a.client_id)}` : ''}`), 'Approval withdrawn.') })))))))
      : empty('No patch approved.'));
  }

  async function load() {
    try {
      const [ps, as, c, ap] = await Promise.all([get('/api/v1/automation/profiles'), get('/api/v1/automation/assignments'),
        get('/api/v1/automation/compliance?limit=200'), get('/api/v1/automation/approvals')]);
      renderProfiles(ps);
      renderAssignments(as);
      renderCompliance(c);
      renderPending(c);
      renderApprovals(ap);
    } catch (e) {
      put(profiles, h('p', { class: 'error', text: e.message }));
    }
  }
  load();
}

/**
 * pendingTable lists the patches waiting for approval in a compliance
 * view, one row per patch and client with its devices counted, the
 * most severe first; approve (when given) approves one for its client.
 */
function pendingTable(c, approve, onApprove) {
  const rows = new Map();
  for (const d of c.devices) {
    for (const it of d.items) {
      if (it.policy !== 'patch' || it.status !== 'pending-approval') continue;
      const k = `${d.client_id}\u0000${it.item}`;
      const r = rows.get(k) || rows.set(k, { client_id: d.client_id, client_name: d.client_name, it, devices: 0 }).get(k);
      r.devices++;
    }
  }
  const rank = { critical: 4, important: 3, moderate: 2, low: 1 };
  const list = [...rows.values()].sort((a, b) => (rank[b.it.severity] || 0) - (rank[a.it.severity] || 0) || b.devices - a.devices).slice(0, 200);
  if (!list.length) return empty('Nothing waits for approval.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'auto-pending-table' },
    h('thead', {}, h('tr', {}, ['Patch', 'Name', 'Class', 'Severity', 'Client', 'Devices', approve && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
    h('tbody', {}, list.map((r) => h('tr', { dataset: { patch: r.it.item } },
      h('td', {}, clipped(r.it.item)), h('td', {}, clipped(r.it.name || '')), h('td', {}, classCell(r.it.classification)),
      h('td', {}, severityCell(r.it.severity)), h('td', {}, clipped(r.client_name || r.client_id)), h('td', { class: 'num', text: String(r.devices) }),
      approve && h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'small', text: 'Approve',
        onclick: () => onApprove(r.it.item, r.it.name || '', r.client_id) })))))));
}
