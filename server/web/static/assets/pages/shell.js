// One shell recording, replayed into a read-only xterm. The file is
// asciicast v2 (server/shell.go): a JSON header line, then one
// [seconds, code, data] line per event, where code "o" is output, "i" the
// technician's keystrokes (kept only when the server runs with
// --record-shell-input) and "r" a resize to "COLSxROWS". Output goes to
// the terminal (which interprets it, as the technician's did); keystrokes
// are listed as escaped text. Nothing from the file becomes markup.
import { h, put, enc } from '../lib/dom.js';
import { get, getText, can } from '../lib/api.js';
import { full, bytes } from '../lib/format.js';
import { select } from '../lib/ui.js';
import { deviceNames, sessionLength } from './shells.js';

const MAX_SHOW = 16 << 20; // larger recordings are offered as a download only
const MAX_IDLE = 2; // seconds: longer pauses are shortened in a replay

/** parseCast reads an asciicast v2 text; malformed lines are skipped. */
export function parseCast(text) {
  const lines = text.split('\n');
  let header = {};
  try {
    header = JSON.parse(lines[0]) || {};
  } catch {
    header = {};
  }
  const events = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    let e;
    try {
      e = JSON.parse(lines[i]);
    } catch {
      continue;
    }
    if (Array.isArray(e) && e.length >= 3 && typeof e[0] === 'number' && typeof e[1] === 'string' && typeof e[2] === 'string') {
      events.push({ t: e[0], code: e[1], data: e[2] });
    }
  }
  return { header, events };
}

const clampSize = (n, d) => (Number.isInteger(n) && n > 0 && n <= 1000 ? n : d);

function parseSize(s) {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(s);
  return m ? [clampSize(Number(m[1]), 80), clampSize(Number(m[2]), 24)] : null;
}

/** visible shows control characters of typed input as escapes (\r, ^C, \x1b…). */
export function visible(s) {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    const n = c.charCodeAt(0);
    if (c === '\r') return '⏎';
    if (c === '\t') return '\\t';
    if (c === '\x1b') return '\\e';
    if (c === '\x7f') return '⌫';
    if (n < 0x20) return `^${String.fromCharCode(n + 64)}`;
    return `\\x${n.toString(16).padStart(2, '0')}`;
  });
}

/** typedLines joins the keystroke events into lines, split at Enter. */
export function typedLines(events) {
  const lines = [];
  let line = null;
  for (const e of events) {
    if (e.code !== 'i') continue;
    e.data.split('\r').forEach((part, k) => {
      if (k > 0) {
        line.text += '⏎';
        lines.push(line);
        line = null;
      }
      if (!line) line = { t: e.t, text: '' };
      line.text += visible(part);
    });
  }
  if (line?.text) lines.push(line);
  return lines;
}

export function mount(root, ctx) {
  const id = ctx.params[0];
  if (!can('recordings')) {
    put(root, h('h1', { text: 'Shell recording' }), h('p', { class: 'error', text: 'You do not have permission to review terminals.' }));
    return {};
  }
  const head = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const box = h('div', { class: 'replay-box', id: 'replay' });
  const controls = h('div', { class: 'toolbar' });
  const keys = h('div', { id: 'replay-input' });
  put(root, h('p', { class: 'crumbs' }, h('a', { href: '/shells', text: 'Shell recordings' }), ' / '), head, controls, box, keys);
  let term = null;
  let timer = null;
  let disposed = false;

  const stop = () => {
    clearTimeout(timer);
    timer = null;
  };

  (async () => {
    let rec;
    let text;
    const names = new Map();
    try {
      rec = ((await get('/api/v1/shells')) || []).find((r) => r.id === id);
      if (!rec) throw new Error('This recording does not exist or is outside your clients.');
      await deviceNames([rec.device_id], names);
    } catch (e) {
      put(head, h('h1', { text: 'Shell recording' }), h('p', { class: 'error', text: e.message }));
      return;
    }
    const download = h('a', { class: 'button', href: `/api/v1/shells/${enc(id)}/recording`, download: `${id}.cast`, text: 'Download .cast' });
    const host = names.get(rec.device_id) || rec.device_id;
    document.title = `Shell on ${host} · Steward`;
    put(head, h('h1', {}, 'Shell on ', h('a', { href: `/devices/${enc(rec.device_id)}`, id: 'replay-device', text: host })),
      h('p', { class: 'muted' }, `${rec.user} · ${rec.shell || 'default shell'} · started ${full(rec.started)} · ${sessionLength(rec)}`,
        ` · ${bytes(rec.bytes_in)} typed, ${bytes(rec.bytes_out)} output`,
        rec.reason ? ` · ended: ${rec.reason}${rec.exit_code >= 0 ? ` (exit ${rec.exit_code})` : ''}` : ''));
    if (!rec.recording) {
      put(controls, h('p', { class: 'muted', text: 'This session has no recording.' }));
      return;
    }
    try {
      text = await getText(`/api/v1/shells/${enc(id)}/recording`, MAX_SHOW);
    } catch (e) {
      put(controls, h('p', { class: 'error', text: `Cannot show the recording: ${e.message}` }), download);
      return;
    }
    if (disposed) return;
    const { header, events } = parseCast(text);
    const cols = clampSize(header.width, 80);
    const rows = clampSize(header.height, 24);
    const { Terminal } = await import('../vendor/xterm.mjs');
    if (disposed) return;
    term = new Terminal({
      cols, rows, disableStdin: true, cursorBlink: false, scrollback: 10000, convertEol: false,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', fontSize: 14,
    });
    term.open(box);

    const apply = (e) => {
      if (e.code === 'o') term.write(e.data);
      else if (e.code === 'r') {
        const sz = parseSize(e.data);
        if (sz) term.resize(sz[0], sz[1]);
      }
    };
    const showAll = () => {
      stop();
      term.reset();
      term.resize(cols, rows);
      for (const e of events) apply(e);
      state.textContent = 'Showing the whole session.';
    };
    const speed = select('speed', [['1', '1×'], ['2', '2×'], ['4', '4×'], ['8', '8×']], '2', { id: 'replay-speed', 'aria-label': 'Replay speed' });
    const state = h('span', { class: 'muted', id: 'replay-state' });
    // Replay times: the recording's, with long pauses shortened.
    const at = [];
    for (let i = 0, v = 0; i < events.length; i++) {
      v += i ? Math.min(Math.max(0, events[i].t - events[i - 1].t), MAX_IDLE) : 0;
      at.push(v);
    }
    const play = () => {
      stop();
      term.reset();
      term.resize(cols, rows);
      const rate = Number(speed.value) || 1;
      const t0 = performance.now();
      let i = 0;
      const step = () => {
        const now = ((performance.now() - t0) / 1000) * rate;
        while (i < events.length && at[i] <= now) apply(events[i++]);
        if (i < events.length) {
          timer = setTimeout(step, Math.max(10, ((at[i] - now) / rate) * 1000));
        } else {
          timer = null;
          state.textContent = 'Replay finished.';
        }
      };
      state.textContent = 'Replaying…';
      step();
    };
    put(controls, h('button', { type: 'button', class: 'primary', id: 'replay-play', text: 'Replay', onclick: play }), speed,
      h('button', { type: 'button', id: 'replay-all', text: 'Show all', onclick: showAll }), download, state);

    // The typed input, for review: what the technician sent, as text, one
    // line per Enter, each with the time it was started.
    const lines = typedLines(events);
    if (!rec.input_recorded && !lines.length) {
      put(keys, h('p', { class: 'muted', id: 'replay-no-input',
        text: 'Keystrokes are not recorded (passwords typed at prompts would be among them); the server keeps them only when started with --record-shell-input.' }));
    } else {
      put(keys, h('details', { class: 'keystrokes' }, h('summary', { text: `Keystrokes (${lines.length} line${lines.length === 1 ? '' : 's'})` }),
        lines.length ? h('pre', { class: 'output', id: 'replay-keystrokes' }, lines.map((l) => `${l.t.toFixed(2).padStart(8)} s  ${l.text}\n`))
          : h('p', { class: 'muted', text: 'Nothing was typed.' })));
    }
    showAll();
  })();

  return {
    dispose() {
      disposed = true;
      stop();
      term?.dispose();
    },
  };
}
