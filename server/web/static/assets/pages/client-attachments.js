// Client tab "Attachments": the client's files. Uploads stream the file
// as the request body (the server refuses past its size limit, keeping
// nothing); names are text; a download is always a download; previews
// (images but SVG, PDF, plain text) open from the server's sandboxed
// preview path in a new tab, where no script can run with the
// dashboard's origin.
import { h, put, enc, debounce } from '../lib/dom.js';
import { get, del, can } from '../lib/api.js';
import { bytes } from '../lib/format.js';
import { upload, fileTable } from '../lib/attachments.js';
import { confirm, toast, empty } from '../lib/ui.js';

export const id = 'attachments';
export const title = 'Attachments';

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
    put(list, files.length ? fileTable('att-table', files, canWrite && remove)
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
