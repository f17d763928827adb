// Client tab "Attachments": the client's files. Uploads stream the file
// as the request body (the server refuses past its size limit, keeping
// nothing); names are text; a download is always a download; previews
// (images but SVG, PDF, plain text) open from the server's sandboxed
// preview path in a new tab, where no script can run with the
// dashboard's origin.
import { h, put, enc, debounce } from '../lib/dom.js';
import { get, del, can, session, ApiError } from '../lib/api.js';
import { time, bytes } from '../lib/format.js';
import { confirm, toast, empty } from '../lib/ui.js';

export const id = 'attachments';
export const title = 'Attachments';

async function upload(client, file) {
  const res = await fetch(`/api/v1/clients/${enc(client)}/attachments?name=${enc(file.name)}`, {
    method: 'POST', body: file, credentials: 'same-origin', cache: 'no-store',
    headers: { 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error || `${res.status} ${res.statusText}`, data?.code);
  return data;
}

export function mount(root, ctx) {
  const client = ctx.clientId;
  const canWrite = can('attachments');
  const search = h('input', { type: 'search', id: 'att-search', placeholder: 'Search file names', 'aria-label': 'Search files', autocomplete: 'off' });
  const picker = h('input', { type: 'file', id: 'att-file', multiple: true, hidden: true });
  const status = h('span', { class: 'muted', id: 'att-status', role: 'status' });
  const list = h('div', { class: 'panel', id: 'att-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  search.addEventListener('input', debounce(() => load(), 250));
  picker.addEventListener('change', async () => {
    const files = [...picker.files];
    picker.value = '';
    for (const f of files) {
      put(status, `Uploading ${f.name} (${bytes(f.size)})…`);
      try {
        await upload(client, f);
        toast(`Uploaded ${f.name}.`);
      } catch (e) {
        toast(`${f.name}: ${e.message}`, 'error');
      }
    }
    put(status);
    load();
  });
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Attachments' }), h('span', { class: 'spacer' }), status, ' ', search, ' ',
    canWrite && h('button', { type: 'button', class: 'primary', id: 'att-upload', text: 'Upload files', onclick: () => picker.click() }), picker),
  list);

  async function load() {
    let files;
    try {
      const q = search.value.trim();
      files = (await get(`/api/v1/clients/${enc(client)}/attachments${q ? `?q=${enc(q)}` : ''}`)) || [];
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(list, files.length ? h('table', { class: 'grid', id: 'att-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Size', 'Type', 'Uploaded', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, files.map((a) => h('tr', { dataset: { attachment: a.id } },
        h('td', {}, h('a', { class: 'att-name clip', href: `/api/v1/attachments/${enc(a.id)}/download`, download: '', text: a.name, title: a.name })),
        h('td', { class: 'num', text: bytes(a.size) }),
        h('td', { class: 'muted', text: a.content_type }),
        h('td', {}, time(a.uploaded_at), a.uploaded_by ? h('span', { class: 'muted', text: ` by ${a.uploaded_by}` }) : ''),
        h('td', { class: 'actions' },
          a.preview && h('a', { class: 'button small att-preview', href: `/api/v1/attachments/${enc(a.id)}/preview`, target: '_blank', rel: 'noopener noreferrer', text: 'Preview' }),
          canWrite && h('button', { type: 'button', class: 'small att-delete', text: 'Delete', onclick: () => remove(a) }))))))
      : empty(search.value.trim() ? 'No file matches.' : 'No files yet.'));
  }

  async function remove(a) {
    if (!(await confirm(`Delete ${a.name}?`, 'The file is deleted for good (the deletion is audited).', { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/attachments/${enc(a.id)}`);
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  return {};
}
