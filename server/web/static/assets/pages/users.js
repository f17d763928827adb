// Users: accounts the caller manages (those within their own client
// scope), with role, client scope, two-factor state and status; adding a
// user, changing role or scope, disabling, resetting a password or a lost
// second factor. The server decides what the caller may grant; making an
// admin needs a fresh two-factor check, which api() asks for and retries.
import { h, put, enc } from '../lib/dom.js';
import { api, get, post, patch, can, session } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, select, empty } from '../lib/ui.js';

const ROLES = [['technician', 'Technician'], ['helpdesk', 'Helpdesk'], ['read-only', 'Read-only'], ['admin', 'Admin']];
const ROLE_HINT = {
  admin: 'everything, including users, audit and server administration',
  technician: 'scripts, terminal, power, patches, services, clients and enrollment',
  helpdesk: 'view devices and manage services',
  'read-only': 'view only',
};
const MIN_PASSWORD = 12;
// SEATS are the seat modules an admin toggles per user (Seats & devices).
const SEATS = [['remote_support', 'Remote support'], ['service_desk', 'Service desk']];

export function mount(root, ctx) {
  // ?seat=MODULE lists only the holders of that seat (the Seats page links here).
  const seatFilter = SEATS.some(([m]) => m === ctx?.query?.get('seat')) ? ctx.query.get('seat') : '';
  if (!can('users')) {
    put(root, h('h1', { text: 'Users' }), h('p', { class: 'error', text: 'You do not have permission to manage users.' }));
    return {};
  }
  const me = session.me;
  let clients = [];
  let users = [];
  const list = h('div', { class: 'panel' }, h('p', { class: 'muted', text: 'Loading…' }));
  const clientName = (id) => clients.find((c) => c.id === id)?.name || id;

  /** scopeFields is the "all clients" switch plus one checkbox per client. */
  function scopeFields(prefix, all, chosen) {
    const allBox = h('input', { type: 'checkbox', id: `${prefix}-all-clients`, checked: !!all, disabled: !me.all_clients });
    const boxes = clients.map((c) => h('input', { type: 'checkbox', value: c.id, checked: chosen.includes(c.id), dataset: { client: c.name } }));
    const listEl = h('div', { class: 'checks', id: `${prefix}-clients` },
      clients.length ? boxes.map((b, i) => h('label', { class: 'check' }, b, ` ${clients[i].name}`)) : h('span', { class: 'muted', text: 'No clients yet.' }));
    const sync = () => { listEl.hidden = allBox.checked; };
    allBox.addEventListener('change', sync);
    sync();
    return {
      el: h('div', { class: 'stack' },
        h('label', { class: 'check', title: me.all_clients ? '' : 'Only users scoped to all clients can grant all clients' }, allBox, ' All clients, including future ones'),
        listEl),
      value: () => ({ all_clients: allBox.checked, clients: allBox.checked ? [] : boxes.filter((b) => b.checked).map((b) => b.value) }),
    };
  }

  const roleSelect = (id, value) => select('role', ROLES, value, { id });

  // Add a user.
  const nameIn = h('input', { name: 'name', id: 'user-name', required: true, maxlength: '64', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'e.g. jane.doe' });
  const pwIn = h('input', { name: 'password', id: 'user-password', type: 'password', required: true, minlength: String(MIN_PASSWORD),
    maxlength: '72', autocomplete: 'new-password' });
  const emailIn = h('input', { name: 'email', id: 'user-email', type: 'email', maxlength: '254', autocomplete: 'off', placeholder: 'e.g. jane@example.com' });
  const roleIn = roleSelect('user-role', 'technician');
  const roleHint = h('span', { class: 'hint' });
  const showHint = () => { roleHint.textContent = ROLE_HINT[roleIn.value] || ''; };
  roleIn.addEventListener('change', showHint);
  showHint();
  const scopeBox = h('div');
  let newScope = null;
  const createBtn = h('button', { type: 'submit', class: 'primary', id: 'user-create', text: 'Add user' });
  const form = h('form', { class: 'stack narrow', id: 'user-form' },
    field('User name', nameIn, 'Letters, digits and . _ @ -'), field('Password', pwIn, `At least ${MIN_PASSWORD} characters; they can change it after logging in.`),
    field('E-mail', emailIn, 'Optional: SLA warnings and breaches of their tickets are mailed there.'),
    h('label', { class: 'field' }, h('span', { class: 'label', text: 'Role' }), roleIn, roleHint),
    h('div', { class: 'field' }, h('span', { class: 'label', text: 'Clients' }), scopeBox),
    h('div', {}, createBtn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const scope = newScope.value();
    if (!scope.all_clients && !scope.clients.length) {
      toast('Choose the clients this user may see, or all clients.', 'error');
      return;
    }
    createBtn.disabled = true;
    try {
      const u = await post('/api/v1/users', { name: nameIn.value.trim(), password: pwIn.value, role: roleIn.value, email: emailIn.value.trim(), ...scope });
      toast(`User ${u.name} added.`, 'ok');
      nameIn.value = '';
      pwIn.value = '';
      emailIn.value = '';
      load();
    } catch (ex) {
      toast(`Could not add the user: ${ex.message}`, 'error');
    } finally {
      createBtn.disabled = false;
    }
  });

  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Users' }), h('span', { class: 'muted', id: 'user-count' }),
    seatFilter && h('span', { class: 'badge', id: 'seat-filter', text: `active, holding a ${SEATS.find(([m]) => m === seatFilter)[1].toLowerCase()} seat` }),
    seatFilter && h('a', { href: '/users', class: 'small', text: 'Show every user' })),
    h('div', { class: 'columns users-layout' },
      h('section', {}, list),
      h('section', { class: 'panel' }, h('h2', { class: 'first', text: 'Add a user' }), form)));

  const scopeText = (u) => (u.all_clients ? h('span', { class: 'badge', text: 'all clients' })
    : (u.clients || []).map((c) => h('span', { class: 'badge clip', title: clientName(c), text: clientName(c) })));

  async function load() {
    try {
      [users, clients] = await Promise.all([get('/api/v1/users'), get('/api/v1/clients')]);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    clients = (clients || []).sort((a, b) => a.name.localeCompare(b.name));
    users = (users || []).sort((a, b) => a.name.localeCompare(b.name));
    // The holders the Seats page counts: active users with the seat.
    if (seatFilter) users = users.filter((u) => !u.disabled && (u.seats || []).includes(seatFilter));
    if (!newScope || !scopeBox.childElementCount) {
      newScope = scopeFields('user', me.all_clients && !clients.length, []);
      put(scopeBox, newScope.el);
    }
    document.getElementById('user-count').textContent = `${users.length} user${users.length === 1 ? '' : 's'}`;
    put(list, users.length ? h('table', { class: 'grid', id: 'users-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Role', 'Clients', 'Seats', 'Two-factor', 'Status', 'Created', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, users.map((u) => {
        const self = u.id === me.id;
        const why = self ? 'You cannot change your own account here' : '';
        return h('tr', { dataset: { user: u.name, id: u.id }, class: u.disabled ? 'is-disabled' : '' },
          h('td', {}, h('strong', { class: 'user-name', text: u.name }), self ? h('span', { class: 'muted', text: ' (you)' }) : '',
            u.email ? h('div', { class: 'muted user-email wrap', text: u.email }) : ''),
          h('td', { class: 'user-role', text: u.role }),
          h('td', { class: 'user-scope' }, scopeText(u)),
          h('td', { class: 'user-seats' }, h('span', { class: 'seat-toggles' }, SEATS.map(([m, label]) => {
            const cb = h('input', { type: 'checkbox', class: 'seat-toggle', dataset: { module: m }, checked: (u.seats || []).includes(m),
              'aria-label': `${label} seat of ${u.name}` });
            cb.addEventListener('change', () => setSeat(u, m, label, cb));
            return h('label', { class: 'check', title: `${label} seat` }, cb, ` ${label}`);
          }))),
          h('td', { class: 'user-2fa' }, h('span', { class: ['badge', u.totp_enabled ? 'ok' : 'warn'], text: u.totp_enabled ? 'enrolled' : 'not enrolled' })),
          h('td', { class: 'user-status' }, h('span', { class: ['badge', u.disabled ? 'off' : 'ok'], text: u.disabled ? 'disabled' : 'active' })),
          h('td', {}, time(u.created_at)),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'small user-edit', text: 'Role and clients…', disabled: self, title: why, onclick: () => editAccess(u) }),
            h('button', { type: 'button', class: ['small', 'user-toggle', !u.disabled && 'danger-text'], text: u.disabled ? 'Enable' : 'Disable',
              disabled: self, title: why, onclick: () => toggle(u) }),
            h('button', { type: 'button', class: 'small user-password', text: 'Set password…', disabled: self, title: why, onclick: () => setPassword(u) }),
            h('button', { type: 'button', class: 'small user-reset-2fa', text: 'Reset two-factor', disabled: self || !u.totp_enabled,
              title: self ? why : u.totp_enabled ? '' : 'Not enrolled', onclick: () => reset2FA(u) })));
      }))) : empty('No users you manage.'));
  }

  async function update(u, body, what) {
    try {
      const r = await patch(`/api/v1/users/${enc(u.id)}`, body);
      toast(`${u.name}: ${what}.`, 'ok');
      load();
      return r;
    } catch (e) {
      toast(`${u.name}: ${e.message}`, 'error');
      return null;
    }
  }

  async function setSeat(u, m, label, cb) {
    cb.disabled = true;
    try {
      await api('PUT', `/api/v1/users/${enc(u.id)}/seats/${enc(m)}`, { enabled: cb.checked });
      toast(`${u.name}: ${label.toLowerCase()} seat ${cb.checked ? 'given' : 'taken away'}.`, 'ok');
      load();
    } catch (e) {
      cb.checked = !cb.checked;
      toast(`${u.name}: ${e.message}`, 'error');
    } finally {
      cb.disabled = false;
    }
  }

  async function editAccess(u) {
    const role = roleSelect('edit-role', u.role);
    const scope = scopeFields('edit', u.all_clients, u.clients || []);
    const email = h('input', { name: 'email', id: 'edit-email', type: 'email', maxlength: '254', autocomplete: 'off', value: u.email || '' });
    const r = await modal({
      title: `Role and clients of ${u.name}`, ok: 'Save',
      body: h('div', { class: 'stack' }, field('Role', role), field('E-mail', email, 'SLA warnings and breaches of their tickets.'), h('div', { class: 'field' }, h('span', { class: 'label', text: 'Clients' }), scope.el),
        h('p', { class: 'muted', text: 'Saving ends the user\'s sessions and tokens, so nothing open keeps permissions it lost.' })),
      onSubmit: async () => {
        const s = scope.value();
        if (!s.all_clients && !s.clients.length) throw new Error('Choose at least one client, or all clients.');
        // Errors (and the two-factor prompt for a new admin) stay in the dialog.
        return patch(`/api/v1/users/${enc(u.id)}`, { role: role.value, email: email.value.trim(), ...s });
      },
    });
    if (r && r !== true) {
      toast(`${u.name}: role and clients saved.`, 'ok');
      load();
    }
  }

  async function toggle(u) {
    if (!u.disabled && !await confirm('Disable user', `Disable ${u.name}? Their sessions, tokens, event streams and open terminals end at once.`,
      { ok: 'Disable', danger: true })) return;
    await update(u, { disabled: !u.disabled }, u.disabled ? 'enabled' : 'disabled');
  }

  async function setPassword(u) {
    const pw = h('input', { type: 'password', name: 'password', id: 'set-password', required: true, minlength: String(MIN_PASSWORD), maxlength: '72', autocomplete: 'new-password' });
    const r = await modal({
      title: `New password for ${u.name}`, ok: 'Set password',
      body: h('div', { class: 'stack' }, field('Password', pw, `At least ${MIN_PASSWORD} characters. Their sessions end.`)),
      onSubmit: async () => patch(`/api/v1/users/${enc(u.id)}`, { password: pw.value }),
    });
    if (r && r !== true) toast(`${u.name}: password set.`, 'ok');
  }

  async function reset2FA(u) {
    if (!await confirm('Reset two-factor', `Clear ${u.name}'s authenticator and recovery codes (a lost phone)? They enrol again at their next login.`,
      { ok: 'Reset', danger: true })) return;
    try {
      await post(`/api/v1/users/${enc(u.id)}/reset-2fa`, {});
      toast(`${u.name}: two-factor reset.`, 'ok');
      load();
    } catch (e) {
      toast(`${u.name}: ${e.message}`, 'error');
    }
  }

  load();
  return {};
}
