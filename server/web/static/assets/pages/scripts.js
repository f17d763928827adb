// Script library: named, versioned scripts that jobs can run by name (the
// device page's and bulk "Run script" offer them). Everyone may read the
// library; creating, editing and deleting needs the run permission.
import { h, put, enc } from '../lib/dom.js';
import { get, post, del, can } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, select, empty } from '../lib/ui.js';

const INTERPRETERS = [['sh', 'sh'], ['bash', 'bash'], ['powershell', 'PowerShell'], ['cmd', 'cmd'], ['python', 'Python']];
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function mount(root) {
  const canEdit = can('run');
  const list = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  let scripts = [];
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Script library' }), h('span', { class: 'spacer' }),
    canEdit && h('button', { type: 'button', class: 'primary', id: 'script-new', text: 'New script', onclick: () => edit(null) })),
  h('p', { class: 'muted', text: 'Library scripts run by name from a device\'s "Run script" tab or a bulk action; every save makes a new version, and jobs record the version they ran.' }),
  list);

  async function load() {
    try {
      scripts = ((await get('/api/v1/scripts')) || []).sort((a, b) => a.name.localeCompare(b.name));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(list, scripts.length ? h('table', { class: 'grid', id: 'scripts-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Interpreter', 'Version', 'Description', 'Arguments', 'Updated', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, scripts.map((s) => h('tr', { dataset: { script: s.name } },
        h('td', {}, h('code', { class: 'script-name', text: s.name })),
        h('td', { text: s.interpreter }),
        h('td', { class: 'num', text: `v${s.version}` }),
        h('td', { text: s.description || '' }),
        h('td', {}, (s.args || []).length ? h('code', { text: s.args.join(' ') }) : ''),
        h('td', {}, time(s.updated_at), s.updated_by ? h('span', { class: 'muted', text: ` by ${s.updated_by}` }) : ''),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small script-edit', text: canEdit ? 'Edit' : 'View', onclick: () => edit(s) }),
          canEdit && h('button', { type: 'button', class: 'small script-delete', text: 'Delete', onclick: () => remove(s) }))))))
      : empty(canEdit ? 'The library is empty: add the first script with "New script".' : 'The library is empty.'));
  }

  async function edit(s) {
    const creating = !s;
    const name = h('input', { name: 'name', id: 'lib-name', required: true, maxlength: '64',
      value: s?.name || '', readOnly: !creating, placeholder: 'e.g. disk-report.sh', autocomplete: 'off', spellcheck: 'false' });
    const interp = select('interpreter', INTERPRETERS, s?.interpreter || 'sh', { id: 'lib-interpreter', disabled: !canEdit });
    const descr = h('input', { name: 'description', id: 'lib-description', maxlength: '1000', value: s?.description || '', readOnly: !canEdit });
    const body = h('textarea', { name: 'body', id: 'lib-body', rows: '14', spellcheck: 'false', class: 'code', required: true, readOnly: !canEdit });
    body.value = s?.body || '';
    const args = h('textarea', { name: 'args', id: 'lib-args', rows: '3', spellcheck: 'false', class: 'code', readOnly: !canEdit,
      placeholder: 'one argument per line' });
    args.value = (s?.args || []).join('\n');
    const form = h('div', { class: 'stack' },
      field('Name', name, creating ? 'Letters, digits, dot, underscore and dash; the name jobs use.' : 'A saved script keeps its name; save under a new name to copy it.'),
      field('Interpreter', interp), field('Description', descr), field('Script', body),
      field('Default arguments', args, 'One per line, passed as an argument list (never through a shell). A job may give its own.'));
    const title = creating ? 'New library script' : `${canEdit ? 'Edit' : 'View'} ${s.name} (v${s.version})`;
    if (!canEdit) {
      await modal({ title, body: form, ok: 'Close', cancel: '', wide: true });
      return;
    }
    const saved = await modal({
      title, body: form, ok: 'Save', wide: true,
      onSubmit: async () => {
        const n = name.value.trim();
        if (!NAME_RE.test(n)) throw new Error('The name must be 1-64 letters, digits, dots, underscores or dashes.');
        if (!body.value.trim()) throw new Error('The script is empty.');
        if (creating && scripts.some((x) => x.name === n)
          && !await confirm('Replace script', `A script named ${n} exists. Save this as its next version?`, { ok: 'Replace' })) {
          throw new Error('Not saved: choose another name.');
        }
        const a = args.value.split('\n').map((x) => x.replace(/\r$/, '')).filter((x) => x !== '');
        return post('/api/v1/scripts', { name: n, interpreter: interp.value, description: descr.value.trim(), body: body.value,
          args: a.length ? a : undefined });
      },
    });
    if (saved && saved !== true) {
      toast(`Saved ${saved.name} as version ${saved.version}.`, 'ok');
      load();
    }
  }

  async function remove(s) {
    if (!await confirm('Delete script', `Delete ${s.name} from the library? Jobs that ran it keep their record.`, { ok: 'Delete', danger: true })) return;
    try {
      await del(`/api/v1/scripts/${enc(s.name)}`);
      toast(`Deleted ${s.name}.`, 'ok');
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  return {};
}
