// The device page's Files tab: browse a folder page by page with
// breadcrumbs, download a file or a folder (as an archive built on the
// device), upload, create a folder, rename and delete with confirmation.
// Names come from the device: they go into the page as text only, long ones
// truncated with the full name on hover.
import { h, put, enc } from './dom.js';
import { get, post, can, session, verifyTOTP } from './api.js';
import { bytes, time } from './format.js';
import { confirm, modal, toast, field, table, empty } from './ui.js';

const PAGE = 500;

/** splitPath cuts an absolute path into crumbs [{label, path}]. */
export function splitPath(p, windows) {
  const sep = windows ? '\\' : '/';
  if (!windows) {
    const parts = p.split('/').filter(Boolean);
    return [{ label: '/', path: '/' }, ...parts.map((s, i) => ({ label: s, path: `/${parts.slice(0, i + 1).join('/')}` }))];
  }
  const unc = p.startsWith('\\\\');
  const parts = p.split(sep).filter(Boolean);
  const rootN = unc ? 2 : 1;
  const root = unc ? `\\\\${parts.slice(0, 2).join(sep)}\\` : `${parts[0] || 'C:'}\\`;
  return [{ label: root, path: root }, ...parts.slice(rootN).map((s, i) => ({ label: s, path: root + parts.slice(rootN, rootN + i + 1).join(sep) }))];
}

/** join appends a name to a folder path. */
export function join(dir, name, windows) {
  const sep = windows ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

// upload PUTs a file with progress; a stale second factor asks for a code
// and sends the file once more.
function upload(url, file, onProgress) {
  const send = () => new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.setRequestHeader('X-CSRF-Token', session.csrf);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    x.onload = () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch { /* not JSON */ }
      resolve({ status: x.status, data });
    };
    x.onerror = () => resolve({ status: 0, data: { error: 'the upload was interrupted' } });
    x.send(file);
  });
  return send().then(async (r) => {
    if (r.status === 401 && r.data?.code === 'fresh_2fa') {
      const { totpPrompt } = await import('./ui.js');
      if (!await totpPrompt(verifyTOTP, 'Uploading needs a recent two-factor check.')) return { status: 401, data: { error: 'cancelled' } };
      return send();
    }
    return r;
  });
}

/** filesPanel builds the Files tab for a device. */
export function filesPanel(base, device) {
  const windows = device.os === 'windows';
  const writable = can('files_write');
  const el = h('section', { class: 'panel', id: 'panel-files' });
  const crumbs = h('nav', { class: 'crumbs files-crumbs', id: 'files-crumbs', 'aria-label': 'Folder' });
  const state = h('p', { class: 'muted', id: 'files-state' });
  const list = h('div', { id: 'files-list', class: 'table-wrap' });
  const more = h('button', { type: 'button', id: 'files-more', text: 'Show more', hidden: true });
  const pathInput = h('input', { type: 'text', id: 'files-path', 'aria-label': 'Path', placeholder: windows ? 'C:\\Users' : '/var/log', autocomplete: 'off' });
  const fileInput = h('input', { type: 'file', id: 'files-upload-input', hidden: true });
  let cwd = windows ? 'C:\\' : '/';
  let entries = [];
  let next = '';
  let loaded = false;

  const api = (op, q) => `${base}/files${op ? `/${op}` : ''}?${new URLSearchParams(q)}`;

  async function open(path, cursor = '') {
    state.textContent = 'Loading…';
    try {
      const page = await get(api('', { path, limit: PAGE, ...(cursor ? { cursor } : {}) }));
      cwd = page.path;
      pathInput.value = cwd;
      entries = cursor ? entries.concat(page.entries) : page.entries;
      next = page.next || '';
      state.textContent = `${page.total.toLocaleString()} entries${entries.length < page.total ? `, ${entries.length.toLocaleString()} shown` : ''}`;
      render();
    } catch (e) {
      state.textContent = e.message;
      if (!cursor) put(list);
    }
  }

  function render() {
    put(crumbs, splitPath(cwd, windows).flatMap((c, i, all) => [
      h('button', { type: 'button', class: 'link crumb', text: c.label, title: c.path, onclick: () => open(c.path) }),
      i < all.length - 1 && !c.label.endsWith('\\') && c.label !== '/' ? h('span', { text: windows ? '\\' : '/' }) : null]));
    more.hidden = !next;
    if (!entries.length) {
      put(list, empty('This folder is empty.'));
      return;
    }
    put(list, table(['Name', 'Size', 'Modified', 'Mode', ''], entries.map((e) => {
      const full = join(cwd, e.name, windows);
      const browsable = e.type === 'dir' || (e.type === 'symlink' && e.target_dir);
      const name = browsable
        ? h('button', { type: 'button', class: 'link clip file-name', text: e.name, title: e.name, onclick: () => open(full) })
        : h('span', { class: 'clip file-name', text: e.name, title: e.name });
      const kind = e.type === 'file' ? '' : e.type === 'symlink' ? ` → ${e.target}` : ` (${e.type})`;
      const actions = h('span', { class: 'row-actions' },
        (e.type === 'file' || e.type === 'dir') && h('a', { href: api('download', { path: full }), download: '', class: 'button small', text: 'Download' }),
        writable && h('button', { type: 'button', class: 'small', text: 'Rename', onclick: () => rename(e, full) }),
        writable && h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => remove(e, full) }));
      return { props: { dataset: { name: e.name, type: e.type } },
        cells: [h('span', {}, name, kind && h('span', { class: 'muted clip', text: kind, title: kind })), e.type === 'dir' ? '' : bytes(e.size),
          time(e.modified), h('code', { text: e.mode }), actions] };
    }), { class: 'files-table' }));
  }

  async function rename(e, full) {
    const input = h('input', { name: 'name', id: 'files-rename-input', value: e.name, autocomplete: 'off' });
    const r = await modal({ title: 'Rename', ok: 'Rename', body: field('New name', input),
      onSubmit: async () => post(`${base}/files/rename`, { from: full, to: join(cwd, input.value.trim(), windows) }) });
    if (r) {
      toast(`Renamed to ${input.value.trim()}.`, 'ok');
      open(cwd);
    }
  }

  async function remove(e, full) {
    const dir = e.type === 'dir';
    const msg = dir ? `Delete the folder ${e.name} and everything in it? Links inside are removed, not followed.` : `Delete ${e.name}?`;
    if (!await confirm('Delete', msg, { ok: 'Delete', danger: true })) return;
    try {
      await post(`${base}/files/delete`, { path: full, recursive: dir });
      toast(`Deleted ${e.name}.`, 'ok');
      open(cwd);
    } catch (ex) {
      toast(ex.message, 'error');
    }
  }

  async function mkdir() {
    const input = h('input', { name: 'name', id: 'files-mkdir-input', autocomplete: 'off' });
    const r = await modal({ title: 'New folder', ok: 'Create', body: field('Name', input),
      onSubmit: async () => post(`${base}/files/mkdir`, { path: join(cwd, input.value.trim(), windows) }) });
    if (r) open(cwd);
  }

  fileInput.addEventListener('change', async () => {
    const f = fileInput.files[0];
    fileInput.value = '';
    if (!f) return;
    const target = join(cwd, f.name, windows);
    let r = await upload(api('upload', { path: target }), f, (p) => { state.textContent = `Uploading ${f.name}: ${Math.round(p * 100)}%`; });
    if (r.status === 409 && await confirm('Replace?', `${f.name} already exists here. Replace it?`, { ok: 'Replace', danger: true })) {
      r = await upload(api('upload', { path: target, overwrite: '1' }), f, (p) => { state.textContent = `Uploading ${f.name}: ${Math.round(p * 100)}%`; });
    }
    if (r.status === 201) toast(`Uploaded ${f.name}.`, 'ok');
    else if (r.status !== 409) toast(`Upload failed: ${r.data?.error || r.status}`, 'error');
    open(cwd);
  });

  more.addEventListener('click', () => next && open(cwd, next));
  const up = () => {
    const c = splitPath(cwd, windows);
    if (c.length > 1) open(c[c.length - 2].path);
  };
  put(el,
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); if (pathInput.value.trim()) open(pathInput.value.trim()); } },
      h('button', { type: 'button', id: 'files-up', text: 'Up', onclick: up }), pathInput, h('button', { type: 'submit', text: 'Go' }),
      h('button', { type: 'button', id: 'files-refresh', text: 'Refresh', onclick: () => open(cwd) }),
      writable && h('button', { type: 'button', id: 'files-mkdir', text: 'New folder', onclick: mkdir }),
      writable && h('button', { type: 'button', id: 'files-upload', class: 'primary', text: 'Upload', onclick: () => fileInput.click() }),
      h('a', { class: 'button', id: 'files-download-folder', text: 'Download folder', href: '#',
        onclick: (e) => { e.preventDefault(); location.assign(api('download', { path: cwd })); } }),
      fileInput),
    crumbs, state, list, more,
    h('p', { class: 'muted', text: 'Every action is audited. Uploading, renaming and deleting need a recent two-factor check; an interrupted upload leaves no file behind.' }));
  return {
    el,
    update(d) {
      if (!d.device.online) state.textContent = 'The device is offline; its files can be browsed while it is connected.';
      else if (!loaded) {
        loaded = true;
        open(cwd);
      }
    },
  };
}
