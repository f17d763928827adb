// API client: JSON over fetch with the session cookie, the CSRF header on
// every non-GET, and the fresh two-factor retry.
import { totpPrompt } from './ui.js';

/** session holds what /api/v1/me said, kept in memory only. */
export const session = { me: null, csrf: '', prefs: {} };

/** ApiError is a refused request. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || '';
  }
}

let onLoggedOut = () => {};
/** setLoggedOutHandler sets what happens when the session ends. */
export function setLoggedOutHandler(fn) { onLoggedOut = fn; }

async function raw(method, path, body, signal) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(path, {
    method, headers, signal, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    data = await res.json().catch(() => null);
  }
  return { res, data };
}

/**
 * api calls the server and returns the decoded body (and the response as
 * .res on request). A 401 fresh_2fa asks for a code and retries once.
 */
export async function api(method, path, body, opts = {}) {
  let { res, data } = await raw(method, path, body, opts.signal);
  if (res.status === 401 && data?.code === 'fresh_2fa' && !opts.noFresh) {
    const ok = await totpPrompt(verifyTOTP, data.error ? `${data.error}.` : undefined);
    if (!ok) throw new ApiError(401, 'cancelled: two-factor check needed', 'fresh_2fa');
    ({ res, data } = await raw(method, path, body, opts.signal));
  }
  if (res.status === 401 && data?.code !== 'fresh_2fa' && !opts.noLogout && session.me) {
    session.me = null;
    onLoggedOut();
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error || `${res.status} ${res.statusText}`, data?.code);
  }
  return opts.withResponse ? { data, res } : data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body ?? {}, opts);
export const patch = (path, body, opts) => api('PATCH', path, body ?? {}, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

/**
 * getText fetches a non-JSON resource (a shell recording) as text, refusing
 * bodies larger than maxBytes. Errors and an ended session are handled like
 * api().
 */
export async function getText(path, maxBytes) {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    const data = (res.headers.get('Content-Type') || '').includes('json') ? await res.json().catch(() => null) : null;
    if (res.status === 401 && session.me) {
      session.me = null;
      onLoggedOut();
    }
    throw new ApiError(res.status, data?.error || `${res.status} ${res.statusText}`, data?.code);
  }
  const len = Number(res.headers.get('Content-Length') || 0);
  if (maxBytes && len > maxBytes) {
    res.body?.cancel();
    throw new ApiError(413, `too large to show here (${len} bytes)`);
  }
  const text = await res.text();
  if (maxBytes && text.length > maxBytes) throw new ApiError(413, 'too large to show here');
  return text;
}

/** verifyTOTP proves two-factor for this session (login step or fresh). */
export async function verifyTOTP(code) {
  const r = await api('POST', '/api/v1/auth/totp', { code }, { noFresh: true, noLogout: true });
  if (r?.csrf) session.csrf = r.csrf;
  if (session.me) session.me.fresh_until = new Date(Date.now() + 5 * 60e3).toISOString();
  return r;
}

/**
 * ensureFresh asks for a code first when the session's last two-factor
 * check is too old, for actions whose refusal the page cannot see (a
 * websocket upgrade answered 401).
 */
export async function ensureFresh(why) {
  const me = await get('/api/v1/me').catch(() => null);
  if (me) Object.assign(session.me || {}, me);
  const until = me?.fresh_until ? new Date(me.fresh_until).getTime() : 0;
  if (me && me.via !== 'session') return true;
  if (until > Date.now() + 15e3) return true;
  return totpPrompt(verifyTOTP, why);
}

/** can reports whether the user has a permission. */
export const can = (perm) => !!session.me?.perms?.includes(perm);

/** loadMe reads the session; false when not logged in. */
export async function loadMe() {
  // Both at once: the first page waits for them.
  const [{ res, data }, prefs] = await Promise.all([raw('GET', '/api/v1/me'),
    raw('GET', '/api/v1/me/prefs').then((r) => (r.res.ok ? r.data : {})).catch(() => ({}))]);
  if (!res.ok) {
    session.me = null;
    return false;
  }
  session.me = data;
  if (data.csrf) session.csrf = data.csrf;
  session.prefs = prefs && typeof prefs === 'object' ? prefs : {};
  return true;
}

let prefTimer;
/** savePrefs merges a change into the user's server-side preferences. */
export function savePrefs(patch) {
  session.prefs = { ...session.prefs, ...patch };
  clearTimeout(prefTimer);
  prefTimer = setTimeout(() => {
    api('PUT', '/api/v1/me/prefs', session.prefs, { noLogout: true }).catch(() => {});
  }, 400);
}

/** qs builds a query string from an object, skipping empty values. */
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
