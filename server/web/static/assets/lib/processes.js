// The device page's Processes tab: the device's processes, sorted and
// filtered, refreshed every few seconds while the tab is open (and only
// then), with End and End tree after a confirmation.
import { h, put, debounce } from './dom.js';
import { get, post, can } from './api.js';
import { bytes, time } from './format.js';
import { confirm, toast, table, empty, select } from './ui.js';

const EVERY = 3000;

/** processesPanel builds the Processes tab for a device. */
export function processesPanel(base) {
  const el = h('section', { class: 'panel', id: 'panel-processes' });
  const filter = h('input', { type: 'search', id: 'processes-filter', placeholder: 'Filter by name, user, command or PID', 'aria-label': 'Filter' });
  const sort = select('sort', [['cpu', 'CPU'], ['memory', 'Memory'], ['pid', 'PID'], ['name', 'Name'], ['user', 'User'], ['started', 'Started']], 'cpu',
    { id: 'processes-sort', 'aria-label': 'Sort by' });
  const state = h('p', { class: 'muted', id: 'processes-state' });
  const list = h('div', { id: 'processes-list', class: 'table-wrap' });
  let timer = null;
  let busy = false;
  let online = true;

  async function load() {
    if (busy || el.hidden || !el.isConnected || document.hidden) return;
    busy = true;
    try {
      const q = new URLSearchParams({ sort: sort.value, limit: '300', ...(filter.value.trim() ? { q: filter.value.trim() } : {}) });
      const r = await get(`${base}/processes?${q}`);
      state.textContent = `${r.processes.length} of ${r.total} processes · refreshed every ${EVERY / 1000} s while this tab is open`;
      render(r.processes);
    } catch (e) {
      state.textContent = e.message;
    } finally {
      busy = false;
    }
  }

  function render(ps) {
    if (!ps.length) {
      put(list, empty('No process matches.'));
      return;
    }
    const killer = can('processes');
    put(list, table(['PID', 'Name', 'User', 'CPU', 'Memory', 'Started', 'Command', ''], ps.map((p) => ({
      props: { dataset: { pid: String(p.pid) } },
      cells: [String(p.pid), h('span', { class: 'clip', text: p.name, title: p.name }), h('span', { class: 'clip', text: p.user || '', title: p.user || '' }),
        `${p.cpu_percent.toFixed(1)} %`, bytes(p.memory_rss), time(p.started),
        h('span', { class: 'clip cmdline', text: p.cmdline || '', title: p.cmdline || '' }),
        killer && h('span', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: 'End', onclick: () => end(p, false) }),
          h('button', { type: 'button', class: 'small danger', text: 'End tree', onclick: () => end(p, true) }))],
    })), { class: 'processes-table' }));
  }

  async function end(p, tree) {
    const what = tree ? `${p.name} (PID ${p.pid}) and every process it started` : `${p.name} (PID ${p.pid})`;
    if (!await confirm(tree ? 'End process tree' : 'End process', `End ${what}? Unsaved work in it is lost.`, { ok: 'End', danger: true })) return;
    try {
      const r = await post(`${base}/processes/${p.pid}/kill`, { tree });
      toast(`Ended ${r.killed.length} process${r.killed.length === 1 ? '' : 'es'}.`, 'ok');
    } catch (e) {
      toast(e.message, 'error');
    }
    load();
  }

  function start() {
    stop();
    if (!online) return;
    load();
    timer = setInterval(() => {
      // Closed tab or page: no more requests.
      if (el.hidden || !el.isConnected) stop();
      else load();
    }, EVERY);
  }
  function stop() {
    clearInterval(timer);
    timer = null;
  }
  filter.addEventListener('input', debounce(load, 300));
  sort.addEventListener('change', load);
  put(el, h('div', { class: 'toolbar' }, filter, sort), state, list);
  return {
    el,
    shown: start,
    dispose: stop,
    update(d) {
      online = d.device.online;
      if (!online) {
        stop();
        state.textContent = 'The device is offline; its processes show while it is connected.';
      } else if (!timer && !el.hidden) start();
    },
  };
}
