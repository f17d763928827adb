// Client tab "Passwords": the client's password vault. Lists and searches
// never carry a password; Reveal and Copy are separate, audited requests
// that need a fresh second factor (the API client asks for a code). A
// revealed password shows for the time the server says (about 20 s) and
// is then removed from the page; Copy puts it on the clipboard without
// writing it into the page at all.
import { h, put, enc, debounce } from '../lib/dom.js';
import { get, post, api, del, can } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, empty } from '../lib/ui.js';

export const id = 'passwords';
export const title = 'Passwords';

/** extLink is a login URL as a link opening in a new tab without the opener; anything but http(s) stays text. */
function extLink(u) {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(u).protocol);
  } catch {
    ok = false;
  }
  if (!ok) return h('span', { text: u });
  const a = h('a', { class: 'vault-url clip', target: '_blank', rel: 'noopener noreferrer', text: u, title: u });
  a.href = u; // checked above: http or https only (h() takes same-origin paths only)
  return a;
}

export function mount(root, ctx) {
  const client = ctx.clientId;
  const canWrite = can('vault-write');
  const canReveal = can('vault-reveal');
  const timers = new Set();
  let settings = null;
  const search = h('input', { type: 'search', id: 'vault-search', placeholder: 'Search name, URL or username', 'aria-label': 'Search passwords', autocomplete: 'off' });
  const list = h('div', { class: 'panel', id: 'vault-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  const settingsBox = h('div', { id: 'vault-settings' });
  search.addEventListener('input', debounce(() => load(), 250));
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Passwords' }), h('span', { class: 'spacer' }), search, ' ',
    canWrite && h('button', { type: 'button', class: 'primary', id: 'vault-new', text: 'Add password', onclick: () => edit(null) })),
  h('p', { class: 'muted', text: 'Passwords and notes are encrypted at rest. Revealing or copying one is recorded in the audit log with your name and address, and needs a recent two-factor check.' }),
  list, settingsBox);

  async function load() {
    let entries;
    try {
      const q = search.value.trim();
      entries = (await get(`/api/v1/clients/${enc(client)}/vault${q ? `?q=${enc(q)}` : ''}`)) || [];
      if (!settings) settings = await get(`/api/v1/clients/${enc(client)}/vault-settings`);
    } catch (e) {
      put(list, h('p', { class: 'error', id: 'vault-error', text: e.message }));
      return;
    }
    renderSettings();
    put(list, entries.length ? h('table', { class: 'grid', id: 'vault-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Login URL', 'Username', 'Password', 'Updated', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, entries.map(row)))
      : empty(search.value.trim() ? 'No password matches.' : (canWrite ? 'No passwords yet: add one with "Add password".' : 'No passwords yet.')));
  }

  function row(e) {
    const secret = h('span', { class: 'vault-secret muted', text: '••••••••' });
    return h('tr', { dataset: { entry: e.id } },
      h('td', { class: 'vault-name', text: e.name }),
      h('td', {}, e.url ? extLink(e.url) : ''),
      h('td', { class: 'vault-username', text: e.username || '' }),
      h('td', {}, secret),
      h('td', {}, time(e.updated_at), e.updated_by ? h('span', { class: 'muted', text: ` by ${e.updated_by}` }) : ''),
      h('td', { class: 'actions' },
        canReveal && h('button', { type: 'button', class: 'small vault-reveal', text: 'Reveal', onclick: () => reveal(e, secret) }),
        canReveal && h('button', { type: 'button', class: 'small vault-copy', text: 'Copy', onclick: () => copy(e) }),
        canWrite && h('button', { type: 'button', class: 'small vault-edit', text: 'Edit', onclick: () => edit(e) }),
        canWrite && h('button', { type: 'button', class: 'small vault-delete', text: 'Delete', onclick: () => remove(e) })));
  }

  // reason asks for the reason when this client (or the server) requires one.
  async function reason(what) {
    if (!settings?.require_reason && !settings?.server_requires_reason) return '';
    const input = h('input', { name: 'reason', id: 'vault-reason', required: true, maxlength: '500', autocomplete: 'off' });
    const ok = await modal({ title: `Why ${what}?`, body: field('Reason (recorded in the audit log)', input), ok: 'Continue' });
    return ok ? input.value.trim() || null : null;
  }

  async function reveal(e, secret) {
    const why = await reason('reveal this password');
    if (why === null) return;
    let s;
    try {
      s = await post(`/api/v1/vault/${enc(e.id)}/reveal`, { reason: why });
    } catch (ex) {
      toast(ex.message, 'error');
      return;
    }
    const notes = s.notes ? h('pre', { class: 'vault-notes wrap', text: s.notes }) : null;
    put(secret, h('code', { class: 'vault-password', text: s.password }), notes);
    secret.classList.remove('muted');
    const hide = () => {
      put(secret, '••••••••');
      secret.classList.add('muted');
    };
    const t = setTimeout(() => { timers.delete(t); hide(); }, (s.hide_after || 20) * 1000);
    timers.add(t);
    s.password = '';
    s.notes = '';
  }

  async function copy(e) {
    const why = await reason('copy this password');
    if (why === null) return;
    try {
      const s = await post(`/api/v1/vault/${enc(e.id)}/copy`, { reason: why });
      await navigator.clipboard.writeText(s.password);
      s.password = '';
      toast(`Password of ${e.name} copied.`);
    } catch (ex) {
      toast(ex.message, 'error');
    }
  }

  async function edit(e) {
    const creating = !e;
    const name = h('input', { name: 'name', id: 'vault-f-name', required: true, maxlength: '200', value: e?.name || '', autocomplete: 'off' });
    const url = h('input', { name: 'url', id: 'vault-f-url', type: 'url', maxlength: '2048', value: e?.url || '', placeholder: 'https://…', autocomplete: 'off' });
    const user = h('input', { name: 'username', id: 'vault-f-username', maxlength: '256', value: e?.username || '', autocomplete: 'off' });
    const pw = h('input', { name: 'password', id: 'vault-f-password', type: 'password', maxlength: '4096', autocomplete: 'new-password' });
    const notes = h('textarea', { name: 'notes', id: 'vault-f-notes', rows: '4', maxlength: '65536' });
    const body = h('div', { class: 'stack' }, field('Name', name), field('Login URL', url, 'http or https; opens in a new tab'),
      field('Username', user), field('Password', pw, creating ? '' : 'leave empty to keep the current password'),
      field('Notes', notes, creating ? 'encrypted like the password' : 'leave empty to keep the current notes'));
    await modal({
      title: creating ? 'Add password' : `Edit ${e.name}`, body, ok: creating ? 'Add' : 'Save',
      onSubmit: async () => {
        const req = { name: name.value, url: url.value.trim(), username: user.value };
        if (creating || pw.value) req.password = pw.value;
        if (creating || notes.value) req.notes = notes.value;
        if (creating) await post(`/api/v1/clients/${enc(client)}/vault`, req);
        else await api('PUT', `/api/v1/vault/${enc(e.id)}`, req);
        pw.value = '';
        notes.value = '';
      },
    }).then((ok) => ok && load());
  }

  async function remove(e) {
    if (!(await confirm(`Delete ${e.name}?`, 'The entry and its password are deleted for good.', { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/vault/${enc(e.id)}`);
      load();
    } catch (ex) {
      toast(ex.message, 'error');
    }
  }

  function renderSettings() {
    if (!settings || !can('users')) {
      put(settingsBox);
      return;
    }
    const box = (key, label, hint) => {
      const cb = h('input', { type: 'checkbox', id: `vault-set-${key}`, checked: !!settings[key] });
      cb.addEventListener('change', async () => {
        try {
          settings = await api('PUT', `/api/v1/clients/${enc(client)}/vault-settings`, { [key]: cb.checked });
          toast('Vault settings saved.');
        } catch (ex) {
          cb.checked = !cb.checked;
          toast(ex.message, 'error');
        }
      });
      return h('label', { class: 'check' }, cb, ` ${label}`, h('span', { class: 'hint muted', text: ` ${hint}` }));
    };
    put(settingsBox, h('div', { class: 'panel' }, h('h3', { text: 'Vault settings' }),
      box('require_reason', 'Require a reason for every reveal and copy', settings.server_requires_reason ? '(the server requires one anyway)' : ''),
      h('br'),
      box('portal_access', 'Let this client\'s portal users see the vault', '(off by default; the client portal is not available yet)')));
  }

  load();
  return {
    dispose() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
