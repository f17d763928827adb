// DOM helpers. Every piece of text, device-reported or not, goes into the
// page as a text node or an attribute value: this module has no way to
// parse HTML, and nothing in the dashboard may turn data into markup.

// Bidirectional controls (U+202A–E, U+2066–9, U+200E/F, U+061C) in data
// would reorder what a technician reads ("invoice\u202efdp.exe" shows as
// "invoiceexe.pdf"), so text shows them as visible escapes, as the CLI and
// CSV exports do. Copy buttons take the data itself, not the page's text.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** visible returns s with bidirectional controls shown as \uXXXX. */
export const visible = (s) => String(s).replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate', 'open', 'readOnly', 'multiple', 'required']);

/**
 * h builds an element. props: class (string or array), text, on<event>
 * handlers, dataset, boolean/value properties, other attributes. Children
 * are nodes or strings (strings become text nodes); null/false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'text') el.textContent = visible(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'style' || k.startsWith('on')) throw new Error(`h: ${k} is not allowed (CSP)`);
      else if (PROPS.has(k)) el[k] = v;
      else if ((k === 'href' || k === 'src') && !safeURL(String(v))) throw new Error(`h: refused ${k}`);
      else el.setAttribute(k, v === true ? '' : k === 'title' ? visible(v) : String(v));
    }
  }
  add(el, children);
  return el;
}

function safeURL(u) {
  return u.startsWith('/') || u.startsWith('#') || u.startsWith('data:image/png;base64,');
}

/** add appends children (nodes or text) to el. */
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : visible(c));
  }
  return el;
}

/** clear removes every child of el and appends the given ones. */
export function put(el, ...children) {
  el.replaceChildren();
  return add(el, ...children);
}

/** $ finds one element below root. */
export const $ = (sel, root = document) => root.querySelector(sel);

/** link is an in-app link; the router intercepts clicks on it. */
export function link(href, ...children) {
  return h('a', { href }, ...children);
}

/** enc encodes one path segment. */
export const enc = (s) => encodeURIComponent(String(s));

/** debounce delays fn until calls stop for ms. */
export function debounce(fn, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** throttle runs fn at most once per ms, trailing call included. */
export function throttle(fn, ms) {
  let last = 0;
  let t = null;
  return (...a) => {
    const wait = last + ms - Date.now();
    if (wait <= 0 && !t) {
      last = Date.now();
      fn(...a);
      return;
    }
    if (!t) {
      t = setTimeout(() => {
        t = null;
        last = Date.now();
        fn(...a);
      }, Math.max(wait, 0));
    }
  };
}

/**
 * extLink is a link to another site (a map, a client's web site): only
 * http and https addresses become links, opened in a new tab without the
 * opener or a referrer; anything else is shown as plain text.
 */
export function extLink(href, text, props = {}) {
  let u = null;
  try {
    u = new URL(String(href));
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) return h('span', { ...props, text: text ?? href });
  const a = h('a', { ...props, target: '_blank', rel: 'noopener noreferrer', text: text ?? href });
  a.setAttribute('href', u.href); // checked above: h() admits in-app paths only
  return a;
}
