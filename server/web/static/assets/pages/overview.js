// Overview: fleet counts, counts by client, recent jobs and their outcomes.
// Device and job events refresh it live.
import { h, put, enc, throttle } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { count } from '../lib/format.js';
import { jobsTable, loadClientNames } from '../lib/jobs.js';
import { alertsTable } from '../lib/alerts.js';
import { vaultNotice } from '../lib/vaultnotice.js';

const pick = (s, k) => s?.[k] ?? s?.[k[0].toUpperCase() + k.slice(1).replace(/_(\w)/g, (_, c) => c.toUpperCase())] ?? 0;

export function mount(root) {
  const tiles = h('section', { class: 'tiles', id: 'overview-tiles' });
  const byClient = h('section', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const jobs = h('section', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const attention = h('section', { class: 'panel', id: 'needs-attention' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('h1', { text: 'Overview' }), vaultNotice(), tiles,
    h('h2', {}, 'Needs attention now ', h('a', { href: '/alerts', class: 'small-link', text: 'all alerts' })), attention,
    h('div', { class: 'columns' },
      h('div', {}, h('h2', { text: 'By client' }), byClient),
      h('div', {}, h('h2', {}, 'Recent jobs ', h('a', { href: '/jobs', class: 'small-link', text: 'all jobs' })), jobs)));

  const tile = (label, n, href, cls, id) => h('a', { class: ['tile', cls], href, id },
    h('span', { class: 'tile-n', text: count(n) }), h('span', { class: 'tile-label', text: label }));

  let clients = [];
  async function loadDevices() {
    const [ov, cl] = await Promise.all([get('/api/v1/overview'), get('/api/v1/clients')]);
    clients = cl || [];
    const all = ov.devices?.[''] || {};
    put(tiles,
      tile('Devices', pick(all, 'total'), '/devices', '', 'tile-total'),
      tile('Online', pick(all, 'online'), '/devices?online=true', 'ok', 'tile-online'),
      tile('Offline', pick(all, 'offline'), '/devices?online=false', 'off', 'tile-offline'),
      tile('Pending reboot', pick(all, 'pending_reboot'), '/devices?pending_reboot=true', 'warn', 'tile-reboot'),
      tile('With patches', pick(all, 'with_patches'), '/devices?has_patches=true', 'warn', 'tile-patches'),
      tile('Security patches', pick(all, 'with_security'), '/devices?security=true', 'bad', 'tile-security'));
    const rows = clients.map((c) => ({ c, s: ov.devices?.[c.id] || {} }))
      .sort((a, b) => a.c.name.localeCompare(b.c.name));
    put(byClient, rows.length ? h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['Client', 'Devices', 'Online', 'Offline', 'Pending reboot', 'With patches', 'Security'].map((x) => h('th', { text: x })))),
      h('tbody', {}, rows.map(({ c, s }) => {
        const q = `client=${enc(c.id)}`;
        return h('tr', {},
          h('td', { class: 'wrap' }, h('a', { href: `/devices?${q}`, text: c.name })),
          h('td', { class: 'num', text: count(pick(s, 'total')) }),
          h('td', { class: 'num' }, h('a', { href: `/devices?${q}&online=true`, text: count(pick(s, 'online')) })),
          h('td', { class: 'num' }, h('a', { href: `/devices?${q}&online=false`, text: count(pick(s, 'offline')) })),
          h('td', { class: 'num' }, h('a', { href: `/devices?${q}&pending_reboot=true`, text: count(pick(s, 'pending_reboot')) })),
          h('td', { class: 'num' }, h('a', { href: `/devices?${q}&has_patches=true`, text: count(pick(s, 'with_patches')) })),
          h('td', { class: 'num' }, h('a', { href: `/devices?${q}&security=true`, text: count(pick(s, 'with_security')) })));
      }))) : h('p', { class: 'empty', text: 'No clients yet.' }));
  }
  async function loadJobs() {
    const [list, names] = await Promise.all([get('/api/v1/jobs?limit=10'), loadClientNames()]);
    put(jobs, jobsTable(list || [], names));
  }
  const fail = (el) => (e) => put(el, h('p', { class: 'error', text: e.message }));
  const refreshDevices = throttle(() => loadDevices().catch(fail(byClient)), 1000);
  const refreshJobs = throttle(() => loadJobs().catch(fail(jobs)), 1000);
  // The open critical alerts first, then open warnings: the ten newest of each.
  async function loadAttention() {
    const [crit, warn] = await Promise.all([get('/api/v1/alerts?status=open&severity=critical&limit=10'),
      get('/api/v1/alerts?status=open&severity=warning&limit=10')]);
    const rows = crit.alerts.concat(warn.alerts).slice(0, 10);
    put(attention, rows.length ? alertsTable(rows, () => refreshAttention()) : h('p', { class: 'empty', text: 'Nothing needs attention: no open critical or warning alert.' }));
  }
  const refreshAttention = throttle(() => loadAttention().catch(fail(attention)), 1000);
  refreshAttention();
  refreshDevices();
  refreshJobs();
  return {
    onEvent(ev) {
      if (ev.type === 'device' || ev.type === 'resync') refreshDevices();
      if (ev.type === 'job' || ev.type === 'run' || ev.type === 'resync') refreshJobs();
      if (ev.type === 'alert' || ev.type === 'resync') refreshAttention();
    },
  };
}
