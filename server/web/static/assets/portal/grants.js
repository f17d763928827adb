// Portal section "Access" (customer admins): the provider's requests for
// access to your organisation, answered here (grant roles among those
// asked, until a date at most two years away, or decline); your grants,
// renewed or revoked at any moment (revoking closes the provider's open
// shells and cancels its queued jobs at once); and the history of both
// sides, including every action taken under a grant. A request link
// (/portal/grants/{request}) opens with that request in front.
import { h, put, enc } from '../lib/dom.js';
import { get, post } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, empty } from '../lib/ui.js';
import { ROLES, roleText, statusBadge, grantsTable, historyTable } from '../lib/consent.js';

const MAX_DAYS = 730;

/** dateIn returns YYYY-MM-DD days from now (local). */
function dateIn(days) {
  const d = new Date(Date.now() + days * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** endOf turns a date field into the end of that day, as an ISO time. */
function endOf(value) {
  const d = new Date(`${value}T23:59:59`);
  if (Number.isNaN(d.getTime())) throw new Error('Choose an end date.');
  return d.toISOString();
}

export function mount(root, ctx) {
  const focus = Array.isArray(ctx.params) ? ctx.params[0] : (ctx.params?.request || '');
  const body = h('div', { id: 'portal-grants' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Access for your provider' })), body);
  if (ctx.identity?.viewed_by) {
    put(body, h('p', { class: 'muted', text: 'Grants are shown only to your organisation\'s admins.' }));
    return {};
  }

  async function load() {
    let c;
    try {
      c = await get('/api/v1/portal/grants');
    } catch (e) {
      put(body, h('p', { class: 'error', text: e.message }));
      return;
    }
    const pending = c.requests.filter((r) => r.status === 'pending');
    const shown = focus ? [...pending.filter((r) => r.id === focus), ...pending.filter((r) => r.id !== focus)] : pending;
    const asked = focus && !pending.some((r) => r.id === focus) ? c.requests.find((r) => r.id === focus) : null;
    put(body,
      h('p', { class: 'muted', text: c.required
        ? 'Your provider acts on your devices and data only under an access grant you give here.'
        : 'Your provider does not require a grant to act on your organisation today; grants you give are recorded here.' }),
      asked && h('p', { class: 'panel', id: 'grant-request-answered' }, 'This request is ', statusBadge(asked.status), '.'),
      h('h2', { text: 'Requests' }),
      shown.length ? shown.map((r) => h('div', { class: ['panel', 'grant-request', r.id === focus && 'focus'], dataset: { request: r.id } },
        h('p', {}, h('strong', { text: r.created_by || 'Your provider' }), ' asks for ', h('strong', { text: roleText(r.roles) }),
          ` for ${r.days} days.`),
        r.message && h('blockquote', { class: 'grant-message', text: r.message }),
        h('p', { class: 'muted' }, 'Sent ', time(r.created_at), '; expires ', time(r.expires_at), ' unanswered.'),
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', class: 'primary grant-accept', text: 'Grant access…', onclick: () => accept(r) }),
          h('button', { type: 'button', class: 'grant-decline', text: 'Decline', onclick: () => decline(r) }))))
        : empty('No request waits for an answer.'),
      h('h2', { text: 'Grants' }),
      c.grants.length ? grantsTable(c.grants, (g) => g.status === 'active' || g.status === 'expired' ? [
        g.status === 'active' && h('button', { type: 'button', class: 'small danger grant-revoke', text: 'Revoke', onclick: () => revoke(g) }),
        h('button', { type: 'button', class: 'small grant-renew', text: 'Renew', onclick: () => renew(g) })] : '')
        : empty('You have given no grant.'),
      h('h2', { text: 'History' }),
      c.history.length ? historyTable(c.history) : empty('Nothing yet.'));
  }

  async function accept(r) {
    const boxes = ROLES.filter(([v]) => r.roles.includes(v))
      .map(([v, label]) => h('label', {}, h('input', { type: 'checkbox', name: 'role', value: v, checked: true }), ` ${label}`));
    const until = h('input', { type: 'date', name: 'until', id: 'grant-until', required: true, value: dateIn(r.days), min: dateIn(0), max: dateIn(MAX_DAYS) });
    const g = await modal({ title: 'Grant access', ok: 'Grant access',
      body: h('div', { class: 'stack' }, field('Roles', h('div', { class: 'radios' }, boxes)),
        field('Until', until, 'At most two years; you can revoke it at any moment.')),
      onSubmit: async (form) => post(`/api/v1/portal/grants/requests/${enc(r.id)}/accept`, {
        roles: [...form.querySelectorAll('input[name=role]:checked')].map((b) => b.value), ends_at: endOf(until.value) }) });
    if (g) toast('Access granted.', 'ok');
    load();
  }

  async function decline(r) {
    if (!(await confirm('Decline the request', 'Your provider is told the request was declined.', { ok: 'Decline', danger: true }))) return;
    try {
      await post(`/api/v1/portal/grants/requests/${enc(r.id)}/decline`);
      toast('Request declined.', 'ok');
    } catch (e) {
      toast(e.message, 'error');
    }
    load();
  }

  async function revoke(g) {
    const reason = h('input', { name: 'reason', id: 'grant-reason', maxlength: '500' });
    const ok = await modal({ title: 'Revoke access', ok: 'Revoke now', danger: true,
      body: h('div', { class: 'stack' }, h('p', { text: 'Takes effect at once: your provider\'s open sessions on your devices close and its queued jobs are cancelled.' }),
        field('Reason (shown to your provider)', reason)),
      onSubmit: async () => post(`/api/v1/portal/grants/${enc(g.id)}/revoke`, { reason: reason.value }) });
    if (ok) toast('Access revoked.', 'ok');
    load();
  }

  async function renew(g) {
    const until = h('input', { type: 'date', name: 'until', id: 'grant-renew-until', required: true, value: dateIn(90), min: dateIn(0), max: dateIn(MAX_DAYS) });
    const ok = await modal({ title: 'Renew access', ok: 'Renew',
      body: field('Until', until, 'At most two years from today.'),
      onSubmit: async () => post(`/api/v1/portal/grants/${enc(g.id)}/renew`, { ends_at: endOf(until.value) }) });
    if (ok) toast('Access renewed.', 'ok');
    load();
  }

  load();
  return {};
}
