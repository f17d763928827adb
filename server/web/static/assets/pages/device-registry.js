// Device page, Registry tab (Windows devices): browse keys page by page
// in the 64 or 32-bit view, read values of every type, and (with
// registry_write and a recent two-factor check) write and delete values
// and create and delete keys.
import { h, put } from '../lib/dom.js';
import { get, post, api, can, qs } from '../lib/api.js';
import { confirm, modal, toast, field, select, empty } from '../lib/ui.js';

const TYPES = ['REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_BINARY'];

const hex = (b64) => Array.from(atob(b64 || ''), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');

// dataText shows a value's data as regedit does.
export function dataText(v) {
  if (v.number) {
    const n = BigInt(v.number);
    return `0x${n.toString(16)} (${v.number})`;
  }
  if (v.strings) return v.strings.join(' | ');
  if (v.data !== undefined && v.data !== null) return hex(v.data);
  return v.string || '';
}

// valueBody turns the form's text into the API's value.
function valueBody(name, type, text) {
  const v = { name, type };
  if (type === 'REG_MULTI_SZ') v.strings = text.split('\n').map((s) => s.replace(/\r$/, '')).filter((s) => s !== '');
  else if (type === 'REG_DWORD' || type === 'REG_QWORD') v.number = text.trim();
  else if (type === 'REG_BINARY') {
    const clean = text.replace(/[\s,:]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('REG_BINARY takes hex bytes (00 ff 10)');
    v.data = btoa(clean.match(/../g)?.map((x) => String.fromCharCode(parseInt(x, 16))).join('') || '');
  } else v.string = text;
  return v;
}

function formText(v) {
  if (!v) return '';
  if (v.strings) return v.strings.join('\n');
  if (v.number) return v.number;
  if (v.data) return hex(v.data);
  return v.string || '';
}

export function registryPanel(base) {
  const el = h('section', { class: 'panel', id: 'panel-registry' });
  const path = h('input', { type: 'search', name: 'path', id: 'reg-path', value: 'HKLM\\SOFTWARE', maxlength: '2048', autocomplete: 'off' });
  const view = select('view', [['64', '64-bit view'], ['32', '32-bit view (WOW6432Node)']], '64', { id: 'reg-view' });
  const status = h('span', { class: 'muted', id: 'reg-status' });
  const out = h('div', { id: 'reg-out' });
  const write = can('registry_write');
  let keys = [];
  let values = [];
  let next = 0;
  let loaded = false;
  let blocked = '';

  const key = () => path.value.trim().replace(/\\+$/, '');
  const go = (p) => { path.value = p; load(false); };

  async function load(more) {
    if (!more) {
      keys = [];
      values = [];
      next = 0;
    }
    status.textContent = 'Loading…';
    try {
      const r = await get(`${base}/registry${qs({ path: key(), view: view.value, cursor: next || '' })}`);
      path.value = r.path;
      keys.push(...r.keys);
      values.push(...r.values);
      next = r.next || 0;
      status.textContent = `${r.total_keys} subkeys, ${r.total_values} values.`;
      draw();
    } catch (e) {
      status.textContent = '';
      put(out, h('p', { class: 'error', text: e.message }));
    }
  }

  async function edit(v) {
    const name = h('input', { name: 'name', id: 'reg-value-name', value: v ? v.name : '', maxlength: '16383', readOnly: !!v, autocomplete: 'off' });
    const type = select('type', TYPES.map((t) => [t, t]), v && TYPES.includes(v.type) ? v.type : 'REG_SZ', { id: 'reg-value-type' });
    const data = h('textarea', { name: 'data', id: 'reg-value-data', rows: '5' });
    data.value = formText(v);
    const r = await modal({
      title: v ? `Edit ${v.name || '(Default)'}` : `New value in ${key()}`, ok: 'Save',
      body: h('div', { class: 'stack' }, field('Name', name, 'Empty for the default value.'), field('Type', type),
        field('Data', data, 'Strings as typed; REG_MULTI_SZ one per line; REG_DWORD/REG_QWORD decimal or 0x hex; REG_BINARY hex bytes.')),
      onSubmit: async () => api('PUT', `${base}/registry/value`, { path: key(), view: view.value, value: valueBody(name.value, type.value, data.value) }),
    });
    if (r) {
      toast(`Saved ${r.name || '(Default)'}.`, 'ok');
      load(false);
    }
  }

  async function removeValue(v) {
    if (!await confirm('Delete value', `Delete ${v.name || '(Default)'} from ${key()}?`, { ok: 'Delete', danger: true })) return;
    try {
      await post(`${base}/registry/value/delete`, { path: key(), view: view.value, name: v.name });
      toast('Value deleted.', 'ok');
      load(false);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function newKey() {
    const name = h('input', { name: 'key', id: 'reg-key-name', maxlength: '255', autocomplete: 'off' });
    const r = await modal({ title: `New key in ${key()}`, ok: 'Create', body: field('Name', name),
      onSubmit: async () => post(`${base}/registry/key`, { path: `${key()}\\${name.value}`, view: view.value }) });
    if (r) go(r.path);
  }

  async function deleteKey() {
    const k = key();
    if (!await confirm('Delete key', `Delete ${k} with all its subkeys and values?`, { ok: 'Delete', danger: true })) return;
    try {
      await post(`${base}/registry/key/delete`, { path: k, view: view.value, recursive: true });
      toast('Key deleted.', 'ok');
      go(k.includes('\\') ? k.slice(0, k.lastIndexOf('\\')) : k);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function draw() {
    const k = key();
    const parent = k.includes('\\') ? k.slice(0, k.lastIndexOf('\\')) : '';
    put(out,
      h('div', { class: 'toolbar' }, parent && h('button', { type: 'button', class: 'small', id: 'reg-up', text: 'Up', onclick: () => go(parent) }),
        write && h('button', { type: 'button', class: 'small', id: 'reg-new-value', text: 'New value', onclick: () => edit(null) }),
        write && h('button', { type: 'button', class: 'small', id: 'reg-new-key', text: 'New key', onclick: newKey }),
        write && parent && h('button', { type: 'button', class: 'small danger', id: 'reg-delete-key', text: 'Delete key', onclick: deleteKey })),
      keys.length || values.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact', id: 'registry-table' },
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Data', ''].map((x) => h('th', { text: x })))),
        h('tbody', {},
          keys.map((s) => h('tr', {}, h('td', {}, h('button', { type: 'button', class: 'link', text: `${s}\\`, onclick: () => go(`${k}\\${s}`) })),
            h('td', { text: 'key' }), h('td'), h('td'))),
          values.map((v) => h('tr', {}, h('td', { text: v.name || '(Default)' }), h('td', { text: v.type }), h('td', { class: 'message', text: dataText(v) }),
            h('td', {}, write && TYPES.includes(v.type) && h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => edit(v) }),
              write && h('button', { type: 'button', class: 'small', text: 'Delete', onclick: () => removeValue(v) })))))))
        : empty('This key is empty.'),
      next ? h('button', { type: 'button', id: 'reg-more', text: 'More', onclick: () => load(true) }) : null);
  }

  path.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') load(false); });
  view.addEventListener('change', () => load(false));
  const open = h('button', { type: 'button', class: 'primary', id: 'reg-open', text: 'Open', onclick: () => load(false) });
  put(el, h('div', { class: 'toolbar' }, field('Key', path), field('View', view), open, status), out);
  return {
    el,
    shown() {
      if (!loaded && !blocked) {
        loaded = true;
        load(false);
      }
    },
    update(d) {
      const v = d.device;
      blocked = v.os !== 'windows' ? 'The registry exists on Windows devices only.'
        : v.approval === 'pending' ? 'The device is pending approval.' : !v.online ? 'The device is offline; the registry is read live.' : '';
      open.disabled = !!blocked;
      if (blocked) put(out, empty(blocked));
      else if (!el.hidden && !loaded) this.shown();
    },
  };
}
