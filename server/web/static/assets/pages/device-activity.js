// Device page, User activity tab: the users on the device with their
// state (active, online, disconnected), idle time and screen lock, read
// from the device when the tab is shown or refreshed (not polled).
import { h, put } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { full, duration } from '../lib/format.js';
import { empty } from '../lib/ui.js';

const STATE = { active: 'ok', online: '', disconnected: 'warn', closing: 'off' };

export function activityPanel(base) {
  const el = h('section', { class: 'panel', id: 'panel-activity' });
  const out = h('div', { id: 'activity-out' });
  const status = h('span', { class: 'muted', id: 'activity-status' });
  const refresh = h('button', { type: 'button', id: 'activity-refresh', text: 'Refresh' });
  let device = null;
  let loaded = false;

  async function load() {
    if (!device?.online) return;
    status.textContent = 'Reading…';
    try {
      const r = await get(`${base}/sessions`);
      status.textContent = `As of ${new Date(r.time).toLocaleTimeString()}.`;
      const yesNo = (b) => (b === true ? h('span', { class: 'badge warn', text: 'locked' }) : b === false ? 'no' : h('span', { class: 'muted', text: 'unknown' }));
      put(out, r.sessions.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'activity-table' },
        h('thead', {}, h('tr', {}, ['User', 'Session', 'Type', 'From', 'State', 'Locked', 'Idle', 'Last input', 'Logged in'].map((x) => h('th', { text: x })))),
        h('tbody', {}, r.sessions.map((s) => h('tr', {},
          h('td', { text: s.domain ? `${s.domain}\\${s.user}` : s.user }), h('td', { text: s.id }), h('td', { text: s.type || '' }),
          h('td', { text: s.host || s.terminal || '' }), h('td', {}, h('span', { class: ['badge', STATE[s.state]], text: s.state })),
          h('td', {}, yesNo(s.locked)), h('td', { text: s.idle_seconds == null ? '—' : duration(s.idle_seconds) }),
          h('td', { text: s.last_activity ? full(s.last_activity) : '' }), h('td', { text: s.login_time ? full(s.login_time) : '' }))))))
        : empty('Nobody is logged in.'),
      (r.notes || []).map((n) => h('p', { class: 'muted', text: n })));
    } catch (e) {
      status.textContent = '';
      put(out, h('p', { class: 'error', text: e.message }));
    }
  }
  refresh.addEventListener('click', load);
  put(el, h('div', { class: 'toolbar' }, refresh, status), out);
  return {
    el,
    shown() {
      if (!loaded && device) {
        loaded = true;
        load();
      }
    },
    update(d) {
      const first = !device;
      device = d.device;
      const why = device.approval === 'pending' ? 'The device is pending approval.' : !device.online ? 'The device is offline; user activity is read live.' : '';
      refresh.disabled = !!why;
      if (why) put(out, empty(why));
      if (first && !el.hidden) this.shown();
    },
  };
}
