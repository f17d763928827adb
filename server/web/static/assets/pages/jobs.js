// Jobs: recent jobs and how their runs ended, live.
import { h, put, throttle } from '../lib/dom.js';
import { get, qs } from '../lib/api.js';
import { select } from '../lib/ui.js';
import { jobsTable, loadClientNames } from '../lib/jobs.js';

export function mount(root) {
  const kind = select('kind', [['', 'All kinds'], ['script', 'Scripts'], ['power', 'Power'], ['patch_install', 'Patch installs'],
    ['patch_scan', 'Patch checks'], ['service', 'Services'], ['software_uninstall', 'Uninstalls']], '', { 'aria-label': 'Kind' });
  const list = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Jobs' })), h('div', { class: 'toolbar' }, kind), list);
  const load = throttle(async () => {
    try {
      const [list0, names] = await Promise.all([get(`/api/v1/jobs${qs({ limit: 100, kind: kind.value })}`), loadClientNames()]);
      put(list, jobsTable(list0 || [], names));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
    }
  }, 1000);
  kind.addEventListener('change', load);
  load();
  return { onEvent(ev) { if (ev.type === 'job' || ev.type === 'run' || ev.type === 'resync') load(); } };
}
