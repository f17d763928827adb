// Portal section: every action the service provider took on the
// customer's organisation, newest first, from the audit log.
import { h, put, add } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { full } from '../lib/format.js';
import { table, empty } from '../lib/ui.js';

// Plain words for the common actions; others show their name.
const WORDS = {
  'job.create': 'Ran a job', 'run.cancel': 'Cancelled a job', 'shell.open': 'Opened a remote shell',
  'files.upload': 'Uploaded a file', 'device.approve': 'Approved a device', 'device.move': 'Moved a device',
  'device.update': 'Changed a device', 'device.revoke': 'Removed a device', 'client.update': 'Changed your organisation\'s details',
  'contact.create': 'Added a contact', 'contact.import': 'Imported contacts', 'asset.delete': 'Deleted an asset',
  'attachment.upload': 'Added a document', 'attachment.delete': 'Deleted a document', 'alert.resolve': 'Resolved an alert',
  'alert.snooze': 'Snoozed an alert', 'update.offer': 'Offered an agent update', 'portal.view': 'Viewed your portal (read only)',
  'portal.user_create': 'Gave a portal account', 'portal.user_update': 'Changed a portal account',
  'portal.user_delete': 'Deleted a portal account', 'portal.user_2fa_reset': 'Reset a portal account\'s two-factor',
  'portal.user_reinvite': 'Sent a new portal invite', 'portal.user_invite_sent': 'E-mailed a portal invite',
};

function details(it) {
  const d = it.detail || {};
  return Object.keys(d).sort().map((k) => h('span', { class: 'sub' }, h('span', { class: 'muted', text: `${k}: ` }), d[k]));
}

export function mount(root) {
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  const more = h('button', { type: 'button', id: 'portal-activity-more', text: 'Older', hidden: true });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Activity' })),
    h('p', { class: 'muted', text: 'Everything your service provider did on your organisation, newest first.' }), list, more);
  let tbody = null;
  let before = 0;
  async function load() {
    more.disabled = true;
    try {
      const page = await get(`/api/v1/portal/activity${before ? `?before=${before}` : ''}`);
      const rows = page.items.map((it) => ({
        props: { dataset: { action: it.action } },
        cells: [full(it.at), it.actor, h('span', {}, h('strong', { text: WORDS[it.action] || it.action }), ' ', h('code', { class: 'muted', text: it.action })),
          (it.devices || []).join(', ') || '—', h('div', {}, details(it))],
      }));
      if (!tbody) {
        if (!rows.length) {
          put(list, empty('Nothing yet.'));
          return;
        }
        const t = table(['When', 'Who', 'What', 'Devices', 'Details'], rows, { class: 'portal-activity' });
        tbody = t.querySelector('tbody');
        put(list, t);
      } else {
        add(tbody, table([], rows).querySelector('tbody').children);
      }
      before = page.before || 0;
      more.hidden = !before;
    } catch (e) {
      put(list, h('p', { class: 'error', role: 'alert', text: e.message }));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', load);
  load();
  return {};
}
