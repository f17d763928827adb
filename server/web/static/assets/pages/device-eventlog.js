// Device page, Event log tab: pages of the device's event log (journald,
// Windows Event Log or the macOS unified log, with the filters each has)
// and a live follow that streams while the tab is shown and stops when it
// is hidden or left.
import { h, put } from '../lib/dom.js';
import { get, ApiError, qs } from '../lib/api.js';
import { full } from '../lib/format.js';
import { empty, field, select, toast } from '../lib/ui.js';

const LEVELS = [['', 'Any level'], ['critical', 'Critical'], ['error', 'Error and worse'], ['warning', 'Warning and worse'], ['info', 'Info and worse'], ['debug', 'Everything']];
const SINCE = [['1', 'Last hour'], ['24', 'Last 24 hours'], ['168', 'Last 7 days'], ['', 'Any time']];
const MAX_ROWS = 2000;

// levelsUpTo lists the levels from critical down to the one chosen.
function levelsUpTo(l) {
  const all = ['critical', 'error', 'warning', 'info', 'debug'];
  return l ? all.slice(0, all.indexOf(l) + 1).join(',') : '';
}

const badge = (l) => h('span', { class: ['badge', l === 'critical' || l === 'error' ? 'bad' : l === 'warning' ? 'warn' : ''], text: l || '' });

export function eventLogPanel(base) {
  const el = h('section', { class: 'panel', id: 'panel-eventlog' });
  const level = select('level', LEVELS, '', { id: 'ev-level' });
  const since = select('since', SINCE, '24', { id: 'ev-since' });
  const inputs = {};
  const input = (name, ph) => (inputs[name] = h('input', { type: 'search', name, id: `ev-${name}`, placeholder: ph, maxlength: '256', autocomplete: 'off' }));
  const status = h('span', { class: 'muted', id: 'ev-status' });
  const rows = h('tbody');
  const more = h('button', { type: 'button', id: 'ev-more', text: 'Older records', hidden: true });
  const followBtn = h('button', { type: 'button', id: 'ev-follow', text: 'Follow' });
  let os = '';
  let cursor = '';
  let follow = null; // AbortController of the live stream
  let count = 0;
  let blocked = '';

  const filters = () => {
    const q = { level: levelsUpTo(level.value) };
    if (since.value) q.since = new Date(Date.now() - Number(since.value) * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const [k, i] of Object.entries(inputs)) if (i.value.trim()) q[k] = i.value.trim();
    return q;
  };
  const row = (r) => h('tr', {}, h('td', { class: 'nowrap', text: full(r.time) }), h('td', {}, badge(r.level)),
    h('td', { text: r.unit && r.unit !== r.source ? `${r.source} (${r.unit})` : r.source || '' }),
    h('td', { text: r.event_id || r.channel ? String(r.event_id ?? '') : '' }), h('td', { class: 'message', text: r.message || '' }));

  async function load(next) {
    stopFollow();
    if (!next) {
      rows.replaceChildren();
      count = 0;
      cursor = '';
    }
    status.textContent = 'Loading…';
    try {
      const q = { ...filters(), limit: 200, cursor: next ? cursor : '' };
      const page = await get(`${base}/eventlog${qs(q)}`);
      for (const r of page.records) rows.append(row(r));
      count += page.records.length;
      cursor = page.cursor || '';
      more.hidden = !cursor;
      more.textContent = page.newest_first ? 'Older records' : 'Later records';
      status.textContent = `${count} records from ${page.system}${cursor ? '' : ' (all shown)'}.`;
    } catch (e) {
      status.textContent = '';
      toast(e.message, 'error');
    }
  }

  function stopFollow() {
    if (!follow) return;
    follow.abort();
    follow = null;
    followBtn.textContent = 'Follow';
    status.textContent = 'Follow stopped.';
  }

  // The stream is NDJSON: one record per line, blank keep-alive lines, an
  // {"error"} line if the device fails.
  async function startFollow() {
    stopFollow();
    follow = new AbortController();
    const ctl = follow;
    followBtn.textContent = 'Stop';
    status.textContent = 'Following: new records appear at the top.';
    const q = filters();
    delete q.since;
    try {
      const res = await fetch(`${base}/eventlog/follow${qs(q)}`, { credentials: 'same-origin', cache: 'no-store', signal: ctl.signal });
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new ApiError(res.status, data?.error || res.statusText);
      }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const r = JSON.parse(line);
          if (r.error) throw new ApiError(502, r.error);
          rows.prepend(row(r));
          while (rows.children.length > MAX_ROWS) rows.lastChild.remove();
        }
      }
      if (follow === ctl) stopFollow();
    } catch (e) {
      if (ctl.signal.aborted) return;
      if (follow === ctl) stopFollow();
      toast(e.message, 'error');
    }
  }

  followBtn.addEventListener('click', () => (follow ? stopFollow() : startFollow()));
  more.addEventListener('click', () => load(true));
  const loadBtn = h('button', { type: 'button', class: 'primary', id: 'ev-load', text: 'Show', onclick: () => load(false) });
  const form = h('div', { class: 'toolbar' });
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact', id: 'eventlog-table' },
    h('thead', {}, h('tr', {}, ['Time', 'Level', 'Source', 'ID', 'Message'].map((x) => h('th', { text: x })))), rows));
  // Stop streaming when the tab is hidden (another tab shown).
  new MutationObserver(() => { if (el.hidden) stopFollow(); }).observe(el, { attributes: true, attributeFilter: ['hidden'] });
  let loaded = false;

  return {
    el,
    dispose: stopFollow,
    shown() {
      if (!loaded && os && !blocked) {
        loaded = true;
        load(false);
      }
    },
    update(d) {
      const v = d.device;
      const why = v.approval === 'pending' ? 'The device is pending approval.' : !v.online ? 'The device is offline; its event log needs it connected.' : '';
      if (os !== v.os) {
        os = v.os;
        for (const k of Object.keys(inputs)) delete inputs[k];
        const extra = os === 'windows' ? [field('Channel', input('channel', 'System')), field('Provider', input('provider', 'e.g. Service Control Manager')),
          field('Event ID', input('event_id', 'e.g. 4625'))]
          : os === 'darwin' ? [field('Process', input('process', 'e.g. loginwindow')), field('Subsystem', input('subsystem', 'e.g. com.apple.xpc')),
            field('Text', input('text', 'message contains'))]
            : [field('Unit', input('unit', 'e.g. ssh.service')), field('Text', input('text', 'message contains'))];
        for (const i of Object.values(inputs)) i.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') load(false); });
        put(form, field('Level', level), field('Time', since), extra, loadBtn, followBtn);
        put(el, form, h('p', { class: 'error', id: 'ev-why' }), status, table, more);
      }
      blocked = why;
      el.querySelector('#ev-why').textContent = why;
      loadBtn.disabled = !!why;
      followBtn.disabled = !!why && !follow;
      if (!rows.children.length && why) put(rows, h('tr', {}, h('td', { colspan: '5' }, empty(why))));
      if (!el.hidden && !loaded) this.shown();
    },
  };
}
