// Formatting of times, sizes and device fields for display (as text).
import { h } from './dom.js';

const ZERO = '0001-01-01T00:00:00Z';

/** when parses an API time; null for missing or Go's zero time. */
export function when(s) {
  if (!s || s === ZERO) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** ago is a short relative time ("3 min ago"). */
export function ago(s) {
  const d = when(s);
  if (!d) return '—';
  let sec = Math.round((Date.now() - d.getTime()) / 1000);
  const future = sec < 0;
  sec = Math.abs(sec);
  let out;
  if (sec < 45) out = `${sec} s`;
  else if (sec < 3600) out = `${Math.round(sec / 60)} min`;
  else if (sec < 86400) out = `${Math.round(sec / 3600)} h`;
  else out = `${Math.round(sec / 86400)} d`;
  return future ? `in ${out}` : `${out} ago`;
}

/** full is a full local date and time. */
export function full(s) {
  const d = when(s);
  return d ? d.toLocaleString() : '—';
}

/** time is an element showing a relative time with the full one as title. */
export function time(s) {
  const d = when(s);
  if (!d) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString(), text: ago(s) });
}

/** bytes formats a size. */
export function bytes(n) {
  if (!n) return '—';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${u[i]}`;
}

/** duration formats seconds as "2 d 3 h" etc. */
export function duration(sec) {
  sec = Math.max(0, Math.round(sec || 0));
  const d = Math.floor(sec / 86400);
  const hh = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  if (d) return `${d} d ${hh} h`;
  if (hh) return `${hh} h ${m} min`;
  if (m) return `${m} min`;
  return `${sec} s`;
}

export const TYPES = { pc: 'Workstation', server: 'Server', mac: 'Mac', linux: 'Linux' };
export const OSES = { windows: 'Windows', linux: 'Linux', darwin: 'macOS' };

/** osText is "Debian 12.7" style text for a device view. */
export function osText(v) {
  const base = v.platform || OSES[v.os] || v.os || '';
  return [base, v.os_version].filter(Boolean).join(' ');
}

/** count formats an integer with grouping. */
export const count = (n) => Number(n || 0).toLocaleString();

/** state is a badge for a run state. */
export function stateBadge(state) {
  const cls = {
    succeeded: 'ok', failed: 'bad', timed_out: 'bad', cancelled: 'warn', expired: 'warn',
    running: 'run', sent: 'run', queued: 'muted',
  }[state] || 'muted';
  return h('span', { class: ['badge', cls], text: (state || 'unknown').replace('_', ' ') });
}

/** online is the availability badge. */
export function onlineBadge(online) {
  return h('span', { class: ['badge', online ? 'ok' : 'off'], dataset: { online: String(!!online) }, text: online ? 'online' : 'offline' });
}

export const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'expired']);

/** plural says "1 device", "3 devices" (with thousands separators). */
export const plural = (n, one, many = `${one}s`) => `${count(n)} ${Number(n) === 1 ? one : many}`;

/** firstLine is a script's first non-blank line, without a shebang. */
export function firstLine(body) {
  const lines = String(body || '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#!'));
  return lines[0] || '';
}

/**
 * jobSummary describes a job's spec in a few words: a library script's
 * name@version, an ad hoc script's first line (the caller truncates it
 * with CSS and puts the whole in a title).
 */
export function jobSummary(j) {
  const s = j.spec || {};
  if (j.library) return j.library;
  if (s.script?.command?.length) return s.script.command.join(' ');
  if (s.script) return firstLine(s.script.body) || `${s.script.interpreter} script`;
  if (s.service) return `${s.service.action} ${s.service.name}`;
  if (s.power) return s.power.action;
  if (s.patch) return s.patch.ids?.length ? `install ${s.patch.ids.length} patches` : 'install all patches';
  if (s.software) return `uninstall ${s.software.id}`;
  if (s.package) return `${s.package.action} ${(s.package.packages || []).join(' ')}`;
  if (s.message) return `${s.message.prompt ? 'ask' : 'message'}: ${s.message.title || s.message.text}`;
  return j.kind;
}
