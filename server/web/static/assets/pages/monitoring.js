// Monitoring: threshold profiles and their checks, where they are
// assigned (everything, a client, a folder, a device), and maintenance
// windows. Everyone who may view sees them; the `monitoring` permission
// creates, edits and deletes. The forms live in lib/monitoring.js.
import { h, put, enc, visible } from '../lib/dom.js';
import { get, del, post, can, session } from '../lib/api.js';
import { time } from '../lib/format.js';
import { toast, confirm, empty } from '../lib/ui.js';
import { checkSummary, editProfile, assignProfile, editWindow, windowWhen } from '../lib/monitoring.js';

// clipped is a name that wraps at most to its cell, the whole on hover.
const clipped = (text, cls) => h('span', { class: ['clip', cls], title: text, text });

export function mount(root) {
  const write = can('monitoring');
  const all = !!session.me?.all_clients;
  const profiles = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const assigns = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const windows = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const btn = (id, text, onclick) => write && h('button', { type: 'button', class: 'small', id, text, onclick });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Monitoring' })),
    h('section', { class: 'panel', id: 'profiles-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Threshold profiles' }),
      btn('profile-new', '+ New profile', () => changed(editProfile(null, all), 'Profile created.'))), profiles),
    h('section', { class: 'panel', id: 'assignments-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Assignments' }),
      btn('assign-new', 'Assign a profile…', () => changed(assignProfile(), 'Profile assigned.'))),
    h('p', { class: 'muted', text: 'A device takes the profile assigned to it, else its folder\'s, else its client\'s, else the default.' }), assigns),
    h('section', { class: 'panel', id: 'windows-panel' }, h('div', { class: 'title-row' }, h('h2', { text: 'Maintenance windows' }),
      btn('window-new', '+ New window', () => changed(editWindow(null), 'Maintenance window created.'))), windows));

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

  async function remove(title, text, path, msg) {
    if (!(await confirm(title, text, { ok: 'Delete', danger: true }))) return;
    await changed(del(path), msg);
  }

  function renderProfiles(ps) {
    put(profiles, ps.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'profiles-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Owner', 'Checks', 'Updated', write && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
      h('tbody', {}, ps.map((p) => h('tr', { dataset: { id: p.id } },
        h('td', { class: 'wrap' }, clipped(p.name, 'profile-name'), p.description && h('span', { class: 'sub muted wrap', text: p.description })),
        h('td', {}, p.client_id ? clipped(p.client_name || p.client_id) : h('span', { class: 'owner global', text: 'global' })),
        h('td', { class: 'wrap' }, p.checks.length ? h('ul', { class: 'check-list' }, p.checks.map((c) => h('li', { text: checkSummary(c) })))
          : h('span', { class: 'muted', text: 'no check' })),
        h('td', {}, time(p.updated_at), p.updated_by && h('span', { class: 'sub muted', text: `by ${p.updated_by}` })),
        write && h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => changed(editProfile(p, all), 'Profile saved.') }),
          h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => remove(`Delete profile ${p.name}`,
            `Delete ${p.name}? Its assignments and exemptions go with it, and the alerts it raised resolve.`, `/api/v1/profiles/${enc(p.id)}`, 'Profile deleted.') })))))))
      : empty('No threshold profile yet.'));
  }

  function target(a) {
    if (a.level === 'default') return h('span', { text: 'Everything' });
    if (a.level === 'client') return clipped(a.client_name || a.client_id);
    if (a.level === 'folder') return clipped(`${a.client_name || a.client_id} / ${a.folder}`);
    return deviceLink(a.device_id);
  }

  // deviceLink links a device by ID and shows its hostname once known
  // (assignments and windows carry the ID only).
  const names = new Map();
  function deviceLink(id) {
    const n = names.get(id);
    const a = h('a', { href: `/devices/${enc(id)}/alerts`, class: 'clip device-ref', dataset: { device: id }, title: n ? `${n} (${id})` : id, text: n || id });
    if (!names.has(id)) {
      names.set(id, null);
      get(`/api/v1/devices/${enc(id)}`).then((d) => { names.set(id, d.device.hostname); fillNames(); }).catch(() => {});
    }
    return a;
  }
  function fillNames() {
    for (const a of root.querySelectorAll('a.device-ref')) {
      const n = names.get(a.dataset.device);
      if (n) {
        a.textContent = visible(n);
        a.title = visible(`${n} (${a.dataset.device})`);
      }
    }
  }

  function renderAssignments(as) {
    put(assigns, as.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'assignments-table' },
      h('thead', {}, h('tr', {}, ['Level', 'Applies to', 'Profile', 'By', write && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
      h('tbody', {}, as.map((a) => h('tr', { dataset: { level: a.level, profile: a.profile_id } },
        h('td', { text: a.level }), h('td', {}, target(a)), h('td', {}, clipped(a.profile_name || a.profile_id)),
        h('td', {}, a.by && h('span', { class: 'clip', title: a.by, text: a.by }), ' ', time(a.at)),
        write && h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'small', text: 'Remove', onclick: async () => {
          if (!(await confirm('Remove the assignment', `Stop assigning ${a.profile_name} here? Devices fall back to the next level up.`, { ok: 'Remove', danger: true }))) return;
          const req = { level: a.level, profile: '' };
          if (a.level === 'client' || a.level === 'folder') req.client = a.client_id;
          if (a.level === 'folder') req.folder = a.folder;
          if (a.level === 'device') req.device = a.device_id;
          await changed(post('/api/v1/profile-assignments', req), 'Assignment removed.');
        } })))))))
      : empty('No profile is assigned: nothing is monitored.'));
  }

  function windowTarget(w) {
    if (w.level === 'device') return deviceLink(w.device_id);
    return clipped(w.level === 'folder' ? `${w.client_name || w.client_id} / ${w.folder}` : w.client_name || w.client_id);
  }

  function renderWindows(ws) {
    put(windows, ws.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'windows-table' },
      h('thead', {}, h('tr', {}, ['Name', 'For', 'When', 'Now', write && ''].filter((x) => x !== false).map((x) => h('th', { text: x })))),
      h('tbody', {}, ws.map((w) => h('tr', { dataset: { id: w.id } },
        h('td', { class: 'wrap' }, clipped(w.name, 'window-name')), h('td', {}, windowTarget(w)), h('td', { class: 'wrap when', text: windowWhen(w) }),
        h('td', {}, w.active ? h('span', { class: 'badge warn', text: 'in force' }) : h('span', { class: 'muted', text: '—' })),
        write && h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => changed(editWindow(w), 'Maintenance window saved.') }),
          h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => remove(`Delete window ${w.name}`,
            `Delete the maintenance window ${w.name}?`, `/api/v1/maintenance/${enc(w.id)}`, 'Maintenance window deleted.') })))))))
      : empty('No maintenance window.'));
  }

  async function load() {
    const show = (el, f) => (e) => put(el, h('p', { class: 'error', text: `${f}: ${e.message}` }));
    await Promise.all([
      get('/api/v1/profiles').then((ps) => renderProfiles(ps || [])).catch(show(profiles, 'Could not load the profiles')),
      get('/api/v1/profile-assignments').then((as) => renderAssignments(as || [])).catch(show(assigns, 'Could not load the assignments')),
      get('/api/v1/maintenance').then((ws) => renderWindows(ws || [])).catch(show(windows, 'Could not load the windows')),
    ]);
  }
  load();
  return {};
}
