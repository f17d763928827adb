// Alerts: badges, the alerts table with its snooze and resolve actions,
// alert counts for the devices table, and the device page's Alerts tab
// (the checks in force, where each comes from, and the device's alerts).
import { h, put, enc } from './dom.js';
import { get, post, del, can } from './api.js';
import { time, TYPES } from './format.js';
import { modal, toast, field, select, empty, table } from './ui.js';
import { inZone } from './zones.js';

/** nextIn shows a task's next run, relative, with the time in the zone
 * it is read in on the device (its own, its client's or the server's). */
function nextIn(x) {
  return h('span', { class: 'next-run' }, time(x.next_run), h('br'),
    h('small', { class: 'muted', dataset: { zone: x.time_zone || '' }, text: x.time_zone ? inZone(x.next_run, x.time_zone) + ` (${x.time_zone})` : `${inZone(x.next_run, '')} (server's zone)` }));
}

const SEV_CLASS = { critical: 'bad', warning: 'warn', information: 'run' };
const STATE_CLASS = { ok: 'ok', warning: 'warn', critical: 'bad', unknown: '' };

/** severityBadge shows an alert's severity. */
export const severityBadge = (s) => h('span', { class: ['badge', SEV_CLASS[s]], text: s });

/** statusBadge shows open, snoozed or resolved. */
export const statusBadge = (a) => h('span', { class: ['badge', a.status === 'open' ? 'bad' : a.status === 'snoozed' ? 'warn' : 'ok'],
  title: a.status === 'snoozed' ? `until ${new Date(a.snoozed_until).toLocaleString()}` : a.status === 'resolved' && a.resolved_by ? `by ${a.resolved_by}: ${a.reason}` : '',
  text: a.status });

/** alertCounts is the devices table's cell: unresolved alerts by severity. */
export function alertCounts(v) {
  const c = v.alerts || {};
  const parts = [['critical', c.critical], ['warning', c.warning], ['information', c.information]].filter(([, n]) => n > 0);
  if (!parts.length) return h('span', { class: 'muted', text: '—' });
  return h('a', { href: `/devices/${enc(v.id)}/alerts`, class: 'alert-counts', title: 'Unresolved alerts' },
    parts.map(([s, n]) => h('span', { class: ['badge', SEV_CLASS[s]], dataset: { severity: s }, text: String(n) })));
}

async function snooze(a, done) {
  const dur = select('minutes', [['60', '1 hour'], ['240', '4 hours'], ['1440', '1 day'], ['10080', '1 week']], '240', { id: 'snooze-for' });
  const reason = h('input', { name: 'reason', id: 'snooze-reason', maxlength: '500', placeholder: 'optional' });
  const r = await modal({ title: `Snooze: ${a.title}`, ok: 'Snooze',
    body: h('div', { class: 'stack' }, field('For', dur), field('Reason', reason),
      h('p', { class: 'muted', text: 'If the check still fails when the snooze ends, the alert opens again.' })),
    onSubmit: () => post(`/api/v1/alerts/${enc(a.id)}/snooze`, { minutes: Number(dur.value), reason: reason.value }) });
  if (r) {
    toast('Alert snoozed.', 'ok');
    done();
  }
}

async function resolve(a, done) {
  const reason = h('input', { name: 'reason', id: 'resolve-reason', maxlength: '500', required: true, placeholder: 'what was done' });
  const r = await modal({ title: `Resolve: ${a.title}`, ok: 'Resolve',
    body: h('div', { class: 'stack' }, field('Reason', reason, 'Kept in the alert history and the audit log.'),
      h('p', { class: 'muted', text: 'A check that still fails raises a new alert.' })),
    onSubmit: () => post(`/api/v1/alerts/${enc(a.id)}/resolve`, { reason: reason.value }) });
  if (r) {
    toast('Alert resolved.', 'ok');
    done();
  }
}

/** alertsTable lists alerts; done is called after an action. */
export function alertsTable(alerts, done, { device = true } = {}) {
  const act = can('alerts');
  return h('table', { class: 'grid alerts', id: 'alerts-table' },
    h('thead', {}, h('tr', {}, ['Title', 'Client', device && 'Device', 'Created', 'Severity', 'Category', 'Status', device && 'Type', act && '']
      .filter((x) => x !== false).map((x) => h('th', { text: x })))),
    h('tbody', {}, alerts.map((a) => h('tr', { dataset: { id: a.id } },
      h('td', { class: 'wrap' }, h('span', { class: 'alert-title', text: a.title }), a.detail && h('span', { class: 'sub', text: a.detail })),
      h('td', { class: 'wrap', text: a.client_name }),
      device && h('td', {}, h('a', { href: `/devices/${enc(a.device_id)}/alerts`, text: a.device_name || a.device_id })),
      h('td', {}, time(a.created_at)),
      h('td', {}, severityBadge(a.severity)),
      h('td', { text: a.category }),
      h('td', {}, statusBadge(a)),
      device && h('td', { text: TYPES[a.device_type] || a.device_type || '' }),
      act && h('td', { class: 'actions' }, a.status !== 'resolved' && [
        a.status === 'open' && h('button', { type: 'button', class: 'small', text: 'Snooze', onclick: () => snooze(a, done) }),
        h('button', { type: 'button', class: 'small', text: 'Resolve', onclick: () => resolve(a, done) })])))));
}

function thresholds(c) {
  const p = [];
  if (c.warning) p.push(`warning ${c.warning}`);
  if (c.critical) p.push(`critical ${c.critical}`);
  if (c.warning_free) p.push(`warning < ${Math.round(c.warning_free / 2 ** 30)} GB free`);
  if (c.critical_free) p.push(`critical < ${Math.round(c.critical_free / 2 ** 30)} GB free`);
  if (c.window) p.push(`over ${c.window} min`);
  if (c.severity) p.push(c.severity);
  return p.join(', ');
}

function exemptWhy(c, x) {
  const e = (c.exemptions || []).find((v) => v.profile_id === x.profile_id && v.check_id === x.check.id);
  return e ? [e.by && `by ${e.by}`, e.reason].filter(Boolean).join(': ') : '';
}

// exemptButton takes one check of a profile off this device, or puts it
// back; the profile itself is not copied or changed.
function exemptButton(id, x, done) {
  if (x.exempt) {
    return h('button', { type: 'button', class: 'small', text: 'Remove exemption', onclick: async () => {
      try {
        await del(`/api/v1/devices/${enc(id)}/exemptions?profile=${enc(x.profile_id)}&check=${enc(x.check.id)}`);
        toast('Exemption removed: the check applies again.', 'ok');
        done();
      } catch (e) {
        toast(e.message, 'error');
      }
    } });
  }
  return h('button', { type: 'button', class: 'small', text: 'Exempt on this device', onclick: async () => {
    const reason = h('input', { name: 'reason', id: 'exempt-reason', maxlength: '500', placeholder: 'why (optional)' });
    const r = await modal({ title: `Exempt ${x.check.kind}${x.check.target ? ` ${x.check.target}` : ''} on this device`, ok: 'Exempt',
      body: h('div', { class: 'stack' }, field('Reason', reason, 'Kept with the exemption and in the audit log.'),
        h('p', { class: 'muted wrap', text: `Only this check of ${x.profile_name} stops applying here; the profile and its other checks stay.` })),
      onSubmit: () => post(`/api/v1/devices/${enc(id)}/exemptions`, { profile: x.profile_id, check: x.check.id, reason: reason.value }) });
    if (r) {
      toast('Check exempted on this device.', 'ok');
      done();
    }
  } });
}

/** deviceAlertsPanel is the device page's Alerts tab. */
export function deviceAlertsPanel(id) {
  const checks = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const list = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const tasks = h('div', { id: 'device-tasks' }, h('p', { class: 'muted', text: 'Loading…' }));
  const el = h('section', { class: 'panel', id: 'panel-alerts' }, h('h2', { text: 'Checks in force' }), checks,
    h('h2', { text: 'Scheduled tasks in force' }), tasks, h('h2', { text: 'Alerts' }), list);
  async function refreshTasks() {
    try {
      const t = await get(`/api/v1/devices/${enc(id)}/automation`);
      const toggle = (x) => h('button', { type: 'button', class: 'small', text: x.exempt ? 'Put back' : 'Exempt on this device', onclick: async () => {
        try {
          if (x.exempt) await del(`/api/v1/devices/${enc(id)}/automation/exemptions?profile=${enc(x.profile_id)}&task=${enc(x.task.id)}`);
          else await post(`/api/v1/devices/${enc(id)}/automation/exemptions`, { profile: x.profile_id, task: x.task.id });
          refreshTasks();
        } catch (e) {
          toast(e.message, 'error');
        }
      } });
      put(tasks, t.tasks.length ? table(['Task', 'Action', 'Profile', 'From', 'Next run', 'Last run', ...(can('run') ? [''] : [])], t.tasks.map((x) => ({
        props: { dataset: { task: x.task.id, profile: x.profile_id } },
        cells: [h('span', { class: 'clip', title: x.task.name, text: x.task.name }), x.task.library ? `${x.task.action} ${x.task.library}` : x.task.action,
          h('span', { class: 'clip', title: x.profile_name, text: x.profile_name }), h('span', { class: 'clip', title: x.source, text: x.source }),
          x.exempt ? h('span', { class: 'badge', text: 'exempt' }) : (x.next_run ? nextIn(x) : ''), x.last_run ? time(x.last_run) : '',
          ...(can('run') ? [toggle(x)] : [])] })), { class: 'tasks-in-force' })
        : empty('No automation profile applies to this device.'));
    } catch (e) {
      put(tasks, h('p', { class: 'error', text: e.message }));
    }
  }
  async function refresh() {
    refreshTasks();
    try {
      const [c, a] = await Promise.all([get(`/api/v1/devices/${enc(id)}/checks`),
        get(`/api/v1/devices/${enc(id)}/alerts?limit=100`)]);
      put(checks, c.maintenance && h('p', { class: 'badge warn', text: `In maintenance window ${c.maintenance}: no alert is raised.` }),
        c.checks.length ? table(['Check', 'Target', 'Thresholds', 'Profile', 'From', 'State', 'Now', ...(can('monitoring') ? [''] : [])], c.checks.map((x) => ({
          props: { dataset: { check: x.check.id, profile: x.profile_id } },
          cells: [x.check.kind, x.check.target || (x.check.kind === 'disk' ? 'every volume' : ''), thresholds(x.check),
            h('span', { class: 'clip', title: x.profile_name, text: x.profile_name }), h('span', { class: 'clip', title: x.source, text: x.source }),
            x.exempt ? h('span', { class: 'badge', title: exemptWhy(c, x), text: 'exempt' }) : h('span', { class: ['badge', STATE_CLASS[x.state]], text: x.state }),
            x.detail || '', ...(can('monitoring') ? [exemptButton(id, x, refresh)] : [])] })), { class: 'checks-in-force' })
          : empty('No threshold profile applies to this device.'));
      put(list, a.alerts.length ? alertsTable(a.alerts, refresh, { device: false }) : empty('No alerts on this device.'));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
    }
  }
  return { el, update: () => refresh(), refresh };
}
