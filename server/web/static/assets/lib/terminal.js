// The device terminal: xterm.js over the shell websocket
// (/api/v1/devices/{id}/shell), opened with a one-time ticket minted just
// before by POST /api/v1/devices/{id}/shell/ticket. Keystrokes go up as binary frames, resizes
// as JSON text frames; output comes down as binary frames and the session's
// end or failure as a JSON text frame. Loaded on demand (xterm is large).
import { Terminal } from '../vendor/xterm.mjs';
import { FitAddon } from '../vendor/addon-fit.mjs';
import { ensureFresh, post, get } from './api.js';
import { enc, debounce } from './dom.js';

/**
 * openTerminal connects a terminal in box to a shell on the device (shell
 * "" is the device's default: the agent user's login shell). onState
 * receives a status line and whether the session is connected.
 */
export async function openTerminal(box, deviceID, shell, onState) {
  onState('Checking two-factor…', false);
  if (!await ensureFresh('Opening a terminal needs a fresh two-factor check.')) {
    throw new Error('Not connected: two-factor check cancelled.');
  }
  // The websocket opens only with a ticket this session minted (a cookie
  // alone is refused); it is good for one connection and 30 seconds.
  let ticket;
  try {
    ({ ticket } = await post(`/api/v1/devices/${enc(deviceID)}/shell/ticket`));
  } catch (e) {
    throw new Error(`Not connected: ${e.message}`);
  }
  box.replaceChildren();
  const term = new Terminal({
    cursorBlink: true, convertEol: false, scrollback: 5000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', fontSize: 14,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(box);
  try {
    fit.fit();
  } catch {
    // A hidden box has no size yet; the resize observer fits it later.
  }
  const q = new URLSearchParams({ cols: String(term.cols), rows: String(term.rows) });
  if (shell) q.set('shell', shell);
  q.set('ticket', ticket);
  const url = `wss://${location.host}/api/v1/devices/${enc(deviceID)}/shell?${q}`;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  let opened = false;
  let ended = false;
  onState('Connecting…', false);

  const send = (data) => { if (ws.readyState === WebSocket.OPEN) ws.send(data); };
  const subs = [
    term.onData((d) => send(encoder.encode(d))),
    term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff))),
    term.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows }))),
  ];
  const refit = debounce(() => {
    if (box.offsetParent === null) return;
    try {
      fit.fit();
    } catch {
      // Not laid out yet.
    }
  }, 100);
  const ro = new ResizeObserver(refit);
  ro.observe(box);

  ws.onopen = () => {
    opened = true;
    onState('Connected.', true);
    term.focus();
  };
  ws.onmessage = (m) => {
    if (typeof m.data !== 'string') {
      term.write(new Uint8Array(m.data));
      return;
    }
    let c;
    try {
      c = JSON.parse(m.data);
    } catch {
      return;
    }
    if (c.type === 'error') {
      term.write(`\r\n\x1b[31m${String(c.message || 'error').replace(/[\x00-\x1f\x7f]/g, ' ')}\x1b[0m\r\n`);
      onState(`Error: ${c.message || 'unknown'}`, false);
    } else if (c.type === 'exit') {
      ended = true;
      onState(`Session ended${c.reason ? `: ${c.reason}` : ''}${c.code >= 0 ? ` (exit code ${c.code})` : ''}.`, false);
    }
  };
  ws.onclose = () => {
    if (!opened) {
      // The ticket was good (it needs a fresh two-factor check), so the
      // relay refused: ask the server which way the device is now.
      onState('Could not open a shell; checking why…', false);
      get(`/api/v1/devices/${enc(deviceID)}`).then((d) => {
        const v = d.device || {};
        onState(v.approval === 'pending' ? 'Could not open a shell: the device is pending approval.'
          : !v.online ? 'Could not open a shell: the device is offline.'
            : 'Could not open a shell: the device refused it (it may be busy with other sessions, or the shell is not installed).', false);
      }).catch((e) => onState(`Could not open a shell: ${e.message}`, false));
    } else if (!ended) {
      onState('Disconnected.', false);
    }
    term.options.disableStdin = true;
  };

  return {
    fit: refit,
    connected: () => opened && !ended && ws.readyState === WebSocket.OPEN,
    close() { ws.close(1000, 'closed by technician'); },
    dispose() {
      ro.disconnect();
      for (const s of subs) s.dispose();
      if (ws.readyState <= WebSocket.OPEN) ws.close(1000, 'closed by technician');
      term.dispose();
    },
  };
}
