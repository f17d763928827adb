// Monitoring forms: a threshold profile with its checks, assigning a
// profile (also the devices table's bulk action), and a maintenance
// window. Each is a modal whose submit calls the API; a 400 from the
// server is shown inside the dialog, next to the form, and the dialog
// stays open with what was typed.
import { h, put, enc } from './dom.js';
import { get, api, post } from './api.js';
import { modal, field, select } from './ui.js';

/**
 * KINDS describes each check kind's fields as the API takes them: the
 * unit of warning/critical, whether a window, a target or a severity
 * (instead of thresholds) applies.
 */
export const KINDS = {
  availability: { label: 'Availability (offline)', unit: 'minutes offline' },
  cpu: { label: 'CPU', unit: '% average', window: true },
  memory: { label: 'Memory', unit: '% average', window: true },
  disk: { label: 'Disk free', unit: '% free below', target: 'Volume (mount or drive; empty = every volume)', free: true },
  service: { label: 'Service not running', target: 'Service name (required)', severity: true },
  reboot: { label: 'Pending reboot', unit: 'days pending' },
  patches: { label: 'Security patches pending', unit: 'days pending' },
  report: { label: 'Stale reports', unit: 'hours without a report', target: 'Report (health or inventory)' },
};
const GB = 2 ** 30;

/** checkSummary is one line saying what a check watches. */
export function checkSummary(c) {
  const k = KINDS[c.kind] || { label: c.kind };
  const p = [k.label];
  if (c.target) p.push(c.target);
  else if (c.kind === 'disk') p.push('every volume');
  if (c.warning) p.push(`warning ${c.warning}${k.unit ? ` (${k.unit})` : ''}`);
  if (c.critical) p.push(`critical ${c.critical}`);
  if (c.warning_free) p.push(`warning < ${+(c.warning_free / GB).toFixed(2)} GB free`);
  if (c.critical_free) p.push(`critical < ${+(c.critical_free / GB).toFixed(2)} GB free`);
  if (c.window) p.push(`over ${c.window} min`);
  if (c.severity && !c.warning && !c.critical) p.push(c.severity);
  return p.join(' · ');
}

const num = (v) => (v === '' || v == null ? 0 : Number(v));

/** checkEditor is one check's fieldset; value() gives the API's Check. */
function checkEditor(c, onRemove) {
  const kind = select('kind', Object.entries(KINDS).map(([k, d]) => [k, d.label]), c.kind || 'availability', { class: 'check-kind', 'aria-label': 'Check kind' });
  const inp = (name, v, props = {}) => h('input', { name, value: v ? String(v) : '', autocomplete: 'off', ...props });
  const n = (name, v, props = {}) => inp(name, v, { type: 'number', min: '0', step: 'any', ...props });
  const el = {
    target: inp('target', c.target, { maxlength: '255', class: 'check-target' }),
    warning: n('warning', c.warning, { class: 'check-warning' }),
    critical: n('critical', c.critical, { class: 'check-critical' }),
    warningFree: n('warning_free', c.warning_free ? +(c.warning_free / GB).toFixed(2) : ''),
    criticalFree: n('critical_free', c.critical_free ? +(c.critical_free / GB).toFixed(2) : ''),
    window: n('window', c.window, { step: '1', placeholder: 'default' }),
    failAfter: n('fail_after', c.fail_after, { step: '1', placeholder: 'default' }),
    passAfter: n('pass_after', c.pass_after, { step: '1', placeholder: 'default' }),
    severity: select('severity', [['critical', 'critical'], ['warning', 'warning'], ['information', 'information']], c.severity || 'critical'),
  };
  const fields = h('div', { class: 'form-grid' });
  const box = h('fieldset', { class: 'check-edit' });
  function render() {
    const k = KINDS[kind.value];
    put(fields,
      k.target && field(k.target, el.target),
      k.unit && field(`Warning: ${k.unit}`, el.warning),
      k.unit && field(`Critical: ${k.unit}`, el.critical),
      k.free && field('Warning: GB free below', el.warningFree),
      k.free && field('Critical: GB free below', el.criticalFree),
      k.window && field('Window (minutes)', el.window),
      k.severity && field('Severity', el.severity),
      field('Failures before an alert', el.failAfter),
      field('Passes before it resolves', el.passAfter));
  }
  kind.addEventListener('change', render);
  render();
  put(box, h('div', { class: 'toolbar' }, field('Check', kind), c.id && h('span', { class: 'muted clip', title: c.id, text: `id ${c.id}` }),
    h('span', { class: 'spacer' }), h('button', { type: 'button', class: 'small link', text: 'Remove check', onclick: () => { box.remove(); onRemove(); } })), fields);
  return {
    el: box,
    value() {
      const k = KINDS[kind.value];
      const v = { id: c.kind === kind.value ? c.id || '' : '', kind: kind.value, fail_after: num(el.failAfter.value), pass_after: num(el.passAfter.value) };
      if (k.target) v.target = el.target.value.trim();
      if (k.unit) Object.assign(v, { warning: num(el.warning.value), critical: num(el.critical.value) });
      if (k.free) Object.assign(v, { warning_free: Math.round(num(el.warningFree.value) * GB), critical_free: Math.round(num(el.criticalFree.value) * GB) });
      if (k.window) v.window = num(el.window.value);
      if (k.severity) v.severity = el.severity.value;
      return v;
    },
  };
}

/** clientOptions lists clients as select options, "" first (label given). */
export async function clientOptions(first) {
  const cs = await get('/api/v1/clients').catch(() => []);
  return [...(first ? [['', first]] : []), ...(cs || []).sort((a, b) => a.name.localeCompare(b.name)).map((c) => [c.id, c.name])];
}

/**
 * resolveDevice turns what a technician typed (a device ID or an exact
 * hostname) into a device ID, refusing an unknown or ambiguous name.
 */
export async function resolveDevice(ref) {
  const r = await get(`/api/v1/devices?search=${enc(ref)}&limit=50`);
  const all = r.devices || [];
  const byID = all.find((d) => d.id === ref);
  if (byID) return byID.id;
  const named = all.filter((d) => d.hostname.toLowerCase() === ref.toLowerCase());
  if (named.length === 1) return named[0].id;
  throw new Error(named.length ? `${named.length} devices are named ${ref}: give the device ID` : `no device ${ref}`);
}

/** editProfile creates (p null) or edits a profile; resolves with it or null. */
export async function editProfile(p, globalAllowed) {
  const clients = await clientOptions(globalAllowed ? 'Global (every client)' : '');
  const name = h('input', { name: 'name', id: 'profile-name', maxlength: '100', required: true, value: p?.name || '', autocomplete: 'off' });
  const desc = h('input', { name: 'description', id: 'profile-description', maxlength: '500', value: p?.description || '', autocomplete: 'off' });
  const owner = select('client', clients, p?.client_id || '', { id: 'profile-client', disabled: !!p });
  const list = h('div', { class: 'stack', id: 'profile-checks' });
  const eds = [];
  const none = h('p', { class: 'muted', text: 'No check yet: add one.' });
  const sync = () => { none.hidden = eds.length > 0; };
  const addCheck = (c) => {
    const ed = checkEditor(c, () => { eds.splice(eds.indexOf(ed), 1); sync(); });
    eds.push(ed);
    list.append(ed.el);
    sync();
  };
  for (const c of p?.checks || []) addCheck(c);
  const body = h('div', { class: 'stack' },
    h('div', { class: 'form-grid' }, field('Name', name), field('Owner', owner, p ? 'A profile keeps its owner.' : 'A client\'s profile applies only to its devices.')),
    field('Description', desc), h('h3', { text: 'Checks' }), none, list,
    h('div', {}, h('button', { type: 'button', class: 'small', id: 'profile-add-check', text: '+ Add check', onclick: () => addCheck({ kind: 'availability' }) })));
  return modal({ title: p ? `Edit profile ${p.name}` : 'New threshold profile', ok: p ? 'Save profile' : 'Create profile', wide: true, body,
    onSubmit: () => {
      const checks = eds.map((e) => e.value());
      // New checks get a free ID here: kept IDs (which exemptions name)
      // may come later in the list than a new check of the same kind.
      const used = new Set(checks.map((c) => c.id).filter(Boolean));
      for (const c of checks) {
        if (c.id) continue;
        c.id = c.kind;
        for (let n = 2; used.has(c.id); n++) c.id = `${c.kind}-${n}`;
        used.add(c.id);
      }
      const req = { name: name.value, description: desc.value, client: owner.value, checks };
      return p ? api('PUT', `/api/v1/profiles/${enc(p.id)}`, req) : post('/api/v1/profiles', req);
    } });
}

/**
 * assignProfile assigns a profile (or removes the assignment when "none"
 * is chosen) at a level; devices, when given, fixes the level to those
 * devices (the bulk action). Resolves with the API's answer or null.
 */
export async function assignProfile({ devices, label } = {}) {
  const [profiles, clients, groups] = await Promise.all([get('/api/v1/profiles').catch(() => []), clientOptions(''),
    devices ? [] : get('/api/v1/groups').catch(() => [])]);
  const prof = select('profile', [...(profiles || []).map((p) => [p.id, p.client_name ? `${p.name} (${p.client_name})` : p.name]), ['', '— none: remove the assignment —']],
    profiles?.[0]?.id || '', { id: 'assign-profile' });
  const level = select('level', [['default', 'Everything (default)'], ['client', 'A client'], ['folder', 'A client\'s folder'], ['device', 'A device']], 'client', { id: 'assign-level' });
  const client = select('client', clients, clients[0]?.[0] || '', { id: 'assign-client' });
  const folder = h('input', { name: 'folder', id: 'assign-folder', maxlength: '128', list: 'assign-folders', autocomplete: 'off' });
  const folders = h('datalist', { id: 'assign-folders' }, (groups || []).map((g) => h('option', { value: g.group })));
  const device = h('input', { name: 'device', id: 'assign-device', maxlength: '128', autocomplete: 'off', placeholder: 'hostname or ID' });
  const where = h('div', { class: 'stack' });
  const render = () => put(where, ['client', 'folder'].includes(level.value) && field('Client', client),
    level.value === 'folder' && field('Folder', folder), folders, level.value === 'device' && field('Device', device));
  level.addEventListener('change', render);
  render();
  const body = h('div', { class: 'stack' }, field('Profile', prof, 'Inherited: device, then folder, then client, then everything.'),
    devices ? h('p', { class: 'wrap', text: `For ${label || `${devices.length} device(s)`}.` }) : [field('Assign to', level), where]);
  return modal({ title: devices ? `Assign a profile to ${label}` : 'Assign a profile', ok: 'Assign', body,
    onSubmit: () => {
      const req = devices ? { level: 'device', devices, profile: prof.value } : { level: level.value, profile: prof.value };
      if (!devices && level.value !== 'default' && level.value !== 'device') req.client = client.value;
      if (!devices && level.value === 'folder') req.folder = folder.value.trim();
      if (!devices && level.value === 'device') return resolveDevice(device.value.trim()).then((id) => post('/api/v1/profile-assignments', { ...req, device: id }));
      return post('/api/v1/profile-assignments', req);
    } });
}

// zoneParts is the wall-clock time of instant t in zone tz.
function zoneParts(t, tz) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const o = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return { date: `${o.year}-${o.month}-${o.day}`, time: `${o.hour}:${o.minute}`, ms: Date.UTC(+o.year, +o.month - 1, +o.day, +o.hour, +o.minute) };
}

/** zonedInstant is the instant whose wall clock in tz is date + time. */
export function zonedInstant(date, time, tz) {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const want = Date.UTC(y, m - 1, d, hh, mm);
  let t = want;
  // Two passes settle the zone's offset, also across a DST change.
  for (let i = 0; i < 2; i++) t += want - zoneParts(new Date(t), tz).ms;
  return new Date(t);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** windowWhen says when a window applies, in its zone. */
export function windowWhen(w) {
  const tz = w.time_zone || 'UTC';
  let at = { date: '', time: '' };
  try { at = zoneParts(new Date(w.start), tz); } catch { /* an unknown zone shows the raw start */ }
  const dur = w.minutes % 60 ? `${w.minutes} min` : `${w.minutes / 60} h`;
  if (w.recur === 'daily') return `daily at ${at.time} for ${dur} (${tz}), from ${at.date}`;
  if (w.recur === 'weekly') return `${(w.weekdays || []).map((d) => DAYS[d]).join(', ')} at ${at.time} for ${dur} (${tz}), from ${at.date}`;
  return `${at.date} ${at.time} for ${dur} (${tz})`;
}

/** editWindow creates (w null) or edits a maintenance window. */
export async function editWindow(w) {
  const clients = await clientOptions('');
  const tzGuess = w?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  let at = zoneParts(new Date(Date.now() + 3600e3), tzGuess);
  if (w) {
    try { at = zoneParts(new Date(w.start), tzGuess); } catch { /* keep the default */ }
  }
  const name = h('input', { name: 'name', id: 'window-name', maxlength: '100', required: true, value: w?.name || '', autocomplete: 'off' });
  const level = select('level', [['client', 'A client'], ['folder', 'A client\'s folder'], ['device', 'A device']], w?.level || 'client', { id: 'window-level' });
  const client = select('client', clients, w?.client_id || clients[0]?.[0] || '', { id: 'window-client' });
  const folder = h('input', { name: 'folder', id: 'window-folder', maxlength: '128', value: w?.folder || '', autocomplete: 'off' });
  const device = h('input', { name: 'device', id: 'window-device', maxlength: '128', value: w?.device_id || '', autocomplete: 'off', placeholder: 'hostname or ID' });
  const recur = select('recur', [['', 'One-off'], ['daily', 'Every day'], ['weekly', 'Weekly on…']], w?.recur || '', { id: 'window-recur' });
  const date = h('input', { type: 'date', name: 'date', id: 'window-date', required: true, value: at.date });
  const time = h('input', { type: 'time', name: 'time', id: 'window-time', required: true, value: at.time });
  const minutes = h('input', { type: 'number', name: 'minutes', id: 'window-minutes', min: '1', max: '20160', step: '1', required: true, value: String(w?.minutes || 60) });
  const tz = h('input', { name: 'time_zone', id: 'window-tz', maxlength: '64', value: tzGuess, autocomplete: 'off', placeholder: 'Europe/Paris' });
  const days = DAYS.map((d, i) => h('input', { type: 'checkbox', value: String(i), checked: (w?.weekdays || []).includes(i), 'aria-label': d }));
  const dayBox = h('div', { class: 'radios', id: 'window-days' }, days.map((c, i) => h('label', { class: 'check' }, c, ` ${DAYS[i]}`)));
  const where = h('div', { class: 'stack' });
  const render = () => {
    put(where, level.value !== 'device' && field('Client', client), level.value === 'folder' && field('Folder', folder),
      level.value === 'device' && field('Device', device));
    dayBox.hidden = recur.value !== 'weekly';
  };
  level.addEventListener('change', render);
  recur.addEventListener('change', render);
  render();
  const body = h('div', { class: 'stack' }, field('Name', name), h('div', { class: 'form-grid' }, field('For', level), where),
    h('div', { class: 'form-grid' }, field('Repeats', recur), field(w?.recur ? 'From (date)' : 'Date', date), field('Time', time),
      field('Duration (minutes)', minutes), field('Time zone', tz, 'An IANA zone, e.g. Europe/Paris.')), dayBox,
    h('p', { class: 'muted', text: 'No alert is raised inside the window; what it kept back is recorded, and a check still failing at its end raises its alert then.' }));
  return modal({ title: w ? `Edit window ${w.name}` : 'New maintenance window', ok: w ? 'Save window' : 'Create window', wide: true, body,
    onSubmit: () => {
      let start;
      try {
        start = zonedInstant(date.value, time.value, tz.value.trim() || 'UTC');
      } catch {
        throw new Error('time_zone must be an IANA zone such as Europe/Paris');
      }
      if (Number.isNaN(start.getTime())) throw new Error('Give a date and a time.');
      const req = { name: name.value, start: start.toISOString(), minutes: Number(minutes.value), recur: recur.value, time_zone: tz.value.trim(),
        weekdays: recur.value === 'weekly' ? days.filter((c) => c.checked).map((c) => Number(c.value)) : undefined };
      if (level.value === 'device') return resolveDevice(device.value.trim()).then((id) => save({ ...req, device: id }));
      req.client = client.value;
      if (level.value === 'folder') req.folder = folder.value.trim();
      return save(req);
    } });
  function save(req) {
    return w ? api('PUT', `/api/v1/maintenance/${enc(w.id)}`, req) : post('/api/v1/maintenance', req);
  }
}
