// Client attachments shared by the client's Attachments tab and the
// records files belong to (a ticket): uploading a file as the request
// body, and the table of files (names as text; a download is always a
// download; previews open from the server's sandboxed preview path).
import { h, enc } from './dom.js';
import { session, ApiError } from './api.js';
import { time, bytes } from './format.js';

/** upload sends file to the client's attachments, owned by owner
 * ({kind, id}) when given; it answers the stored attachment. */
export async function upload(client, file, owner) {
  const of = owner ? `&owner_kind=${enc(owner.kind)}&owner_id=${enc(owner.id)}` : '';
  const res = await fetch(`/api/v1/clients/${enc(client)}/attachments?name=${enc(file.name)}${of}`, {
    method: 'POST', body: file, credentials: 'same-origin', cache: 'no-store',
    headers: { 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error || `${res.status} ${res.statusText}`, data?.code);
  return data;
}

/** fileTable is the table of files; remove(a) is offered when given. */
export function fileTable(id, files, remove) {
  return h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, ['Name', 'Size', 'Type', 'Uploaded', ''].map((x) => h('th', { text: x })))),
    h('tbody', {}, files.map((a) => h('tr', { dataset: { attachment: a.id } },
      h('td', {}, h('a', { class: 'att-name clip', href: `/api/v1/attachments/${enc(a.id)}/download`, download: '', text: a.name, title: a.name })),
      h('td', { class: 'num', text: bytes(a.size) }),
      h('td', { class: 'muted', text: a.content_type }),
      h('td', {}, time(a.uploaded_at), a.uploaded_by ? h('span', { class: 'muted', text: ` by ${a.uploaded_by}` }) : ''),
      h('td', { class: 'actions' },
        a.preview && h('a', { class: 'button small att-preview', href: `/api/v1/attachments/${enc(a.id)}/preview`, target: '_blank', rel: 'noopener noreferrer', text: 'Preview' }),
        remove && h('button', { type: 'button', class: 'small att-delete', text: 'Delete', onclick: () => remove(a) }))))));
}
