// Portal section: open alerts of the customer's devices.
import { h, put } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { time } from '../lib/format.js';
import { table, empty } from '../lib/ui.js';

const SEV = { critical: 'bad', warning: 'warn', information: 'muted' };

export function mount(root) {
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Open alerts' })), list);
  get('/api/v1/portal/alerts').then((alerts) => {
    put(list, alerts.length ? table(['Severity', 'Device', 'Alert', 'Since'], alerts.map((a) => [
      h('span', { class: ['badge', SEV[a.severity] || 'muted'], text: a.severity }), a.device_name, a.title, time(a.created_at)]))
      : empty('No open alerts.'));
  }).catch((e) => put(list, h('p', { class: 'error', role: 'alert', text: e.message })));
  return {};
}
