// Portal section: the customer's devices and their health.
import { h, put } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { time, onlineBadge, osText, plural } from '../lib/format.js';
import { table, empty } from '../lib/ui.js';

export function mount(root) {
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Devices' })), list);
  get('/api/v1/portal/devices').then((devs) => {
    if (!devs.length) {
      put(list, empty('No devices yet.'));
      return;
    }
    const offline = devs.filter((d) => !d.online).length;
    put(list, h('p', { class: 'muted', id: 'portal-devices-summary', text: `${plural(devs.length, 'device')}, ${offline} offline` }),
      table(['Device', 'Status', 'Last seen', 'Operating system', 'Reboot', 'Updates', 'Disk', 'Alerts'], devs.map((d) => ({
        props: { dataset: { device: d.id } },
        cells: [h('strong', { text: d.hostname }), onlineBadge(d.online), time(d.last_seen), osText(d),
          d.pending_reboot ? h('span', { class: 'badge warn', text: 'pending' }) : '—',
          d.patches_available ? `${d.patches_available}${d.security_patches ? ` (${d.security_patches} security)` : ''}` : 'up to date',
          d.disk_percent ? `${Math.round(d.disk_percent)}% used` : '—',
          d.open_alerts ? h('span', { class: 'badge bad', text: String(d.open_alerts) }) : '—'],
      })), { class: 'portal-devices' }));
  }).catch((e) => put(list, h('p', { class: 'error', role: 'alert', text: e.message })));
  return {};
}
