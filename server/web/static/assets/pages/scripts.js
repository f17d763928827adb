// Script library: named, versioned scripts that jobs can run by name (the
// device page's and bulk "Run script" offer them). A script belongs to one
// client or is global. Everyone reads the global scripts and those of their
// clients; creating, editing and deleting needs the run permission, and a
// global script a user of every client.
import { h, put, enc } from '../lib/dom.js';
import { get, post, del, can, session } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, select, empty } from '../lib/ui.js';

const INTERPRETERS = [['sh', 'sh'], ['bash', 'bash'], ['powershell', 'PowerShell'], ['cmd', 'cmd'], ['python', 'Python']];
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function mount(root) {
  const canRun = can('run');
  const allClients = !!session.me?.all_clients;
  // A scoped user may edit their clients' scripts, not the global ones.
  const canEdit = (s) => canRun && (s ? (s.client_id ? true : allClients) : true);
  const list = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const owner = h('select', { id: 'scripts-owner', 'aria-label': 'Whose scripts' }, h('option', { value: '', text: 'All scripts' }));
  owner.addEventListener('change', () => load());
  let scripts = [];
  let clients = [];
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Script library' }), h('span', { class: 'spacer' }), owner, ' ',
    canRun && h('button', { type: 'button', class: 'primary', id: 'script-new', text: 'New script', onclick: () => edit(null) })),
  h('p', { class: 'muted', text: 'Library scripts run by name from a device\'s "Run script" tab or a bulk action. A client\'s script runs only on that client\'s devices; a global script on every client\'s. Every save makes a new version, and jobs record the version and hash they ran.' }),
  list);

  const ownerName = (s) => (s.client_id ? (s.client_name || s.client_id) : 'Global');

  async function load() {
    try {
      if (!clients.length) {
        clients = ((await get('/api/v1/clients')) || []).sort((a, b) => a.name.localeCompare(b.name));
        const keep = owner.value;
        put(owner, h('option', { value: '', text: 'All scripts' }), h('option', { value: 'global', text: 'Global only' }),
          clients.map((c) => h('option', { value: c.id, text: c.name, title: c.name })));
        owner.value = keep;
      }
      const q = owner.value === 'global' ? '?global=1' : owner.value ? `?client=${enc(owner.value)}` : '';
      scripts = ((await get(`/api/v1/scripts${q}`)) || []).sort((a, b) => a.name.localeCompare(b.name) || ownerName(a).localeCompare(ownerName(b)));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(list, scripts.length ? h('table', { class: 'grid', id: 'scripts-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Owner', 'Interpreter', 'Version', 'Description', 'Arguments', 'Updated', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, scripts.map((s) => h('tr', { dataset: { script: s.name, id: s.id, owner: s.client_id || 'global' } },
        h('td', {}, h('code', { class: 'script-name', text: s.name })),
        h('td', {}, h('span', { class: `owner clip${s.client_id ? '' : ' global'}`, text: ownerName(s), title: ownerName(s) })),
        h('td', { text: s.interpreter }),
        h('td', { class: 'num', text: `v${s.version}`, title: `sha256 ${s.sha256 || ''}` }),
        h('td', { text: s.description || '' }),
        h('td', {}, (s.args || []).length ? h('code', { text: s.args.join(' ') }) : ''),
        h('td', {}, time(s.updated_at), s.updated_by ? h('span', { class: 'muted', text: ` by ${s.updated_by}` }) : ''),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small script-edit', text: canEdit(s) ? 'Edit' : 'View', onclick: () => edit(s) }),
          canEdit(s) && h('button', { type: 'button', class: 'small script-delete', text: 'Delete', onclick: () => remove(s) }))))))
      : empty(canRun ? 'No scripts here yet: add one with "New script".' : 'The library is empty.'));
  }

  async function edit(s) {
    const creating = !s;
    const editable = canEdit(s);
    // Whose script a new one is: the page's client, else the first one a
    // scoped user has; "Global" only for users of every client.
    const owners = [...(allClients ? [['', 'Global (every client)']] : []), ...clients.map((c) => [c.id, c.name])];
    const pre = owner.value && owner.value !== 'global' ? owner.value : (owners[0]?.[0] ?? '');
    const ownerSel = select('client', owners, creating ? pre : (s.client_id || ''), { id: 'lib-owner', disabled: !creating });
    if (!creating) put(ownerSel, h('option', { value: s.client_id || '', text: ownerName(s) }));
    const name = h('input', { name: 'name', id: 'lib-name', required: true, maxlength: '64',
      value: s?.name || '', readOnly: !creating, placeholder: 'e.g. disk-report.sh', autocomplete: 'off', spellcheck: 'false' });
    const interp = select('interpreter', INTERPRETERS, s?.interpreter || 'sh', { id: 'lib-interpreter', disabled: !editable });
    const descr = h('input', { name: 'description', id: 'lib-description', maxlength: '1000', value: s?.description || '', readOnly: !editable });
    const body = h('textarea', { name: 'body', id: 'lib-body', rows: '14', spellcheck: 'false', class: 'code', required: true, readOnly: !editable });
    body.value = s?.body || '';
    const args = h('textarea', { name: 'args', id: 'lib-args', rows: '3', spellcheck: 'false', class: 'code', readOnly: !editable,
      placeholder: 'one argument per line' });
    args.value = (s?.args || []).join('\n');
    const form = h('div', { class: 'stack' },
      field('Name', name, creating ? 'Letters, digits, dot, underscore and dash; the name jobs use.' : 'A saved script keeps its name; save under a new name to copy it.'),
      field('Owner', ownerSel, creating ? 'A client\'s script runs only on its devices; a global one on every client\'s.' : 'A saved script keeps its owner.'),
      field('Interpreter', interp), field('Description', descr), field('Script', body),
      field('Default arguments', args, 'One per line, passed as an argument list (never through a shell). A job may give its own.'));
    const title = creating ? 'New library script' : `${editable ? 'Edit' : 'View'} ${s.name} (${ownerName(s)}, v${s.version})`;
    if (!editable) {
      await modal({ title, body: form, ok: 'Close', cancel: '', wide: true });
      return;
    }
    const saved = await modal({
      title, body: form, ok: 'Save', wide: true,
      onSubmit: async () => {
        const n = name.value.trim();
        if (!NAME_RE.test(n)) throw new Error('The name must be 1-64 letters, digits, dots, underscores or dashes.');
        if (!body.value.trim()) throw new Error('The script is empty.');
        if (creating && scripts.some((x) => x.name === n && (x.client_id || '') === ownerSel.value)
          && !await confirm('Replace script', `A script named ${n} exists. Save this as its next version?`, { ok: 'Replace' })) {
          throw new Error('Not saved: choose another name.');
        }
        const a = args.value.split('\n').map((x) => x.replace(/\r$/, '')).filter((x) => x !== '');
        return post('/api/v1/scripts', { id: creating ? undefined : s.id, client: creating ? (ownerSel.value || undefined) : undefined,
          name: n, interpreter: interp.value, description: descr.value.trim(), body: body.value, args: a.length ? a : undefined });
      },
    });
    if (saved && saved !== true) {
      toast(`Saved ${saved.name} as version ${saved.version}.`, 'ok');
      load();
    }
  }

  async function remove(s) {
    if (!await confirm('Delete script', `Delete ${s.name} (${ownerName(s)}) from the library? Jobs that ran it keep their record.`, { ok: 'Delete', danger: true })) return;
    try {
      await del(`/api/v1/scripts/${enc(s.id)}`);
      toast(`Deleted ${s.name}.`, 'ok');
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  return {};
}
