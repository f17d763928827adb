// Client tab "Portal": the client's customer portal accounts (invite a
// contact, disable, reset two-factor, new link, delete) and "View as
// customer", which opens the client's portal read only while the
// customer's consent allows it, and otherwise says why it is not
// available.
import { h, put, enc } from '../lib/dom.js';
import { get, post, patch, del, can } from '../lib/api.js';
import { time } from '../lib/format.js';
import { confirm, toast, empty, table, modal, field, select, copyButton } from '../lib/ui.js';

export const id = 'portal';
export const title = 'Portal';
export const perm = 'view';

const STATUS = { active: 'ok', invited: 'run', disabled: 'off' };

/** showLink shows a set-password link once, to copy. */
function showLink(inv) {
  if (inv.emailed) {
    toast(`Invite e-mailed to ${inv.user.email}.`);
    return;
  }
  modal({
    title: 'Set-password link', ok: 'Done', cancel: null,
    body: h('div', { class: 'stack' },
      h('p', { text: `Give this link to ${inv.user.email}. It works once, for 7 days, and is not shown again.` }),
      h('code', { class: 'secret', id: 'portal-invite-link', text: inv.set_password_url }),
      copyButton(() => inv.set_password_url, 'Copy link')),
  });
}

export function mount(root, ctx) {
  const client = ctx.clientId;
  const manage = can('clients');
  const view = h('div', { class: 'toolbar', id: 'portal-view' }, h('span', { class: 'muted', text: 'Checking…' }));
  const list = h('div', { class: 'panel', id: 'portal-users' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Customer portal' }), h('span', { class: 'spacer' }),
    manage && h('button', { type: 'button', class: 'primary', id: 'portal-invite', text: 'Give portal access', onclick: invite })),
  view, list);

  async function loadView() {
    try {
      const st = await get(`/api/v1/clients/${enc(client)}/portal-view`);
      const btn = h('button', { type: 'button', id: 'portal-view-as', text: 'View as customer', disabled: !st.available, onclick: openView });
      put(view, btn, st.available ? h('span', { class: 'muted', text: 'Read only; the customer sees every view in their activity.' })
        : h('span', { class: 'muted', id: 'portal-view-why', text: `Not available: ${st.reason}.` }));
    } catch (e) {
      put(view, h('span', { class: 'error', text: e.message }));
    }
  }

  async function openView() {
    try {
      const v = await post(`/api/v1/clients/${enc(client)}/portal-view`, {});
      window.open(v.url, '_blank', 'noopener');
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function load() {
    let users;
    try {
      users = (await get(`/api/v1/clients/${enc(client)}/portal-users`)) || [];
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    if (!users.length) {
      put(list, empty('No portal accounts. Give a contact portal access to let them see their devices, alerts and your activity.'));
      return;
    }
    put(list, table(['Contact', 'E-mail', 'Role', 'Status', 'Two-factor', 'Last sign-in', ''], users.map((u) => ({
      props: { dataset: { portalUser: u.id } },
      cells: [u.contact_name || '—', u.email, u.admin ? 'customer admin' : 'customer user',
        h('span', { class: ['badge', STATUS[u.status] || 'muted'], text: u.status }), u.totp_enabled ? 'on' : 'not yet', time(u.last_login_at),
        manage ? h('span', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: u.status === 'disabled' ? 'Enable' : 'Disable',
            onclick: () => act(u, () => patch(`${base(u)}`, { disabled: u.status !== 'disabled' })) }),
          h('button', { type: 'button', class: 'small', text: 'New link', onclick: () => relink(u) }),
          u.totp_enabled && h('button', { type: 'button', class: 'small', text: 'Reset 2FA',
            onclick: async () => (await confirm('Reset two-factor', `${u.email} enrols a new authenticator at the next sign-in; their sessions end.`))
              && act(u, () => post(`${base(u)}/reset-2fa`, {})) }),
          h('button', { type: 'button', class: 'small', text: 'Delete',
            onclick: async () => (await confirm('Delete portal account', `${u.email} can no longer sign in to the portal.`, { ok: 'Delete', danger: true }))
              && act(u, () => del(base(u))) })) : ''],
    })), { class: 'portal-users' }));
  }

  const base = (u) => `/api/v1/clients/${enc(client)}/portal-users/${enc(u.id)}`;

  async function act(u, fn) {
    try {
      await fn();
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function relink(u) {
    if (!(await confirm('New set-password link', `${u.email}'s password and sessions end; they set a new password with the link.`))) return;
    try {
      showLink(await post(`${base(u)}/invite`, { send_email: true }));
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function invite() {
    let contacts;
    try {
      contacts = ((await get(`/api/v1/clients/${enc(client)}/contacts?status=active`)) || {}).contacts || [];
    } catch (e) {
      toast(e.message, 'error');
      return;
    }
    const withMail = contacts.filter((c) => c.email);
    if (!withMail.length) {
      toast('Add a contact with an e-mail address first.', 'error');
      return;
    }
    const who = select('contact', withMail.map((c) => [c.id, `${c.name} <${c.email}>`]), withMail[0].id, { id: 'portal-invite-contact' });
    const role = select('role', [['user', 'Customer user'], ['admin', 'Customer admin']], 'user', { id: 'portal-invite-role' });
    const mail = h('input', { type: 'checkbox', id: 'portal-invite-mail', checked: true });
    modal({
      title: 'Give portal access', ok: 'Give access',
      body: h('div', { class: 'stack' }, field('Contact', who), field('Role', role),
        h('label', {}, mail, ' E-mail the set-password link (otherwise it is shown once here)')),
      onSubmit: async () => {
        const inv = await post(`/api/v1/clients/${enc(client)}/portal-users`, { contact: who.value, admin: role.value === 'admin', send_email: mail.checked });
        showLink(inv);
        load();
      },
    });
  }

  loadView();
  load();
  return {};
}
