// The contacts CSV import: choose a file, see its columns and first rows
// with a proposed mapping, change the mapping, import, and read what was
// created, updated, unchanged and which lines were not imported and why.
import { h, put, enc } from '../../lib/dom.js';
import { post } from '../../lib/api.js';
import { modal, select, toast } from '../../lib/ui.js';

const LABELS = { name: 'Name', first_name: 'First name', last_name: 'Last name', job_title: 'Job title', email: 'E-mail', phone: 'Phone', mobile: 'Mobile', sip: 'SIP address' };

/** importDialog runs an import into ctx's client; done() reloads the list. */
export async function importDialog(ctx, done) {
  const base = `/api/v1/clients/${enc(ctx.clientId)}/contacts/import`;
  const file = h('input', { type: 'file', accept: '.csv,text/csv', id: 'import-file' });
  const previewBox = h('div', { id: 'import-preview' });
  let text = null;
  let preview = null;
  let selects = [];
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    put(previewBox, h('p', { class: 'muted', text: 'Reading…' }));
    try {
      text = await f.text();
      preview = await post(`${base}/preview`, { csv: text });
    } catch (e) {
      preview = null;
      put(previewBox, h('p', { class: 'error', id: 'import-error', text: e.message }));
      return;
    }
    selects = preview.columns.map((col, i) => select(`map-${i}`, [['', '(ignore)'], ...preview.fields.map((x) => [x, LABELS[x] || x])],
      preview.mapping[i], { 'aria-label': `Field for column ${col}`, dataset: { column: col } }));
    put(previewBox, h('p', { text: `${preview.total_rows} row${preview.total_rows === 1 ? '' : 's'}; the first ${preview.rows.length} below. Rows are matched on e-mail.` }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact', id: 'import-table' },
        h('thead', {}, h('tr', {}, preview.columns.map((c) => h('th', { text: c }))), h('tr', {}, selects.map((s) => h('th', {}, s)))),
        h('tbody', {}, preview.rows.map((r) => h('tr', {}, preview.columns.map((_, i) => h('td', { class: 'clip-cell', text: r[i] ?? '' }))))))));
  });
  const result = await modal({ title: 'Import contacts from a CSV', ok: 'Import', wide: true,
    body: h('div', { class: 'stack' }, h('p', { class: 'muted', text: 'A CSV with a header line. Existing contacts are matched on e-mail: only what differs changes, so importing the same file again changes nothing.' }),
      file, previewBox),
    onSubmit: async () => {
      if (!preview) throw new Error('Choose a CSV file first.');
      return post(base, { csv: text, mapping: selects.map((s) => s.value) });
    } });
  if (!result || result === true) return;
  done();
  const r = result;
  toast(`Imported: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.invalid} not imported.`, r.invalid ? 'info' : 'ok');
  await modal({ title: 'Import finished', cancel: null, ok: 'Close', wide: true,
    body: h('div', { class: 'stack', id: 'import-result' },
      h('p', { id: 'import-counts', text: `${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.invalid} not imported.` }),
      (r.errors || []).length ? h('div', { class: 'import-errors table-wrap' }, h('table', { class: 'grid compact', id: 'import-errors' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Line' }), h('th', { text: 'Not imported because' }))),
        h('tbody', {}, r.errors.map((e) => h('tr', {}, h('td', { class: 'num', text: String(e.line) }), h('td', { text: e.reason })))))) : null) });
}
