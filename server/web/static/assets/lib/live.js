// Live updates over server-sent events (/api/v1/events): devices going
// online or offline, runs changing state, jobs created. Pages subscribe;
// a "resync" event (the server dropped events for us) or a reconnect tells
// them to reload what they show.

const subs = new Set();
let es = null;
let status = 'off';
const statusSubs = new Set();
let onClosed = () => {};

/** setClosedHandler sets what runs when the server refuses the stream. */
export function setClosedHandler(fn) { onClosed = fn; }

function setStatus(s) {
  status = s;
  for (const fn of statusSubs) fn(s);
}

/** start opens the stream (once). */
export function start() {
  if (es) return;
  es = new EventSource('/api/v1/events');
  let opened = false;
  es.onopen = () => {
    setStatus('live');
    // After a reconnect, anything may have changed in between.
    if (opened) emit({ type: 'resync' });
    opened = true;
  };
  es.onerror = () => {
    if (es && es.readyState === EventSource.CLOSED) {
      // The server refused the stream (an HTTP error, e.g. the session
      // ended): EventSource gives up, so the app decides what next.
      es = null;
      setStatus('off');
      onClosed();
    } else {
      setStatus('reconnecting');
    }
  };
  es.onmessage = (m) => {
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch {
      return;
    }
    if (ev && typeof ev.type === 'string') emit(ev);
  };
}

/** stop closes the stream. */
export function stop() {
  if (es) es.close();
  es = null;
  setStatus('off');
}

function emit(ev) {
  for (const fn of subs) {
    try {
      fn(ev);
    } catch (e) {
      console.warn('live handler', e);
    }
  }
}

/** on subscribes to events; returns the unsubscribe function. */
export function on(fn) {
  subs.add(fn);
  return () => subs.delete(fn);
}

/** onStatus subscribes to the connection state (live, reconnecting, off). */
export function onStatus(fn) {
  statusSubs.add(fn);
  fn(status);
  return () => statusSubs.delete(fn);
}
