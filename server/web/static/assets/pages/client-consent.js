// Client tab "Consent": whether the client requires the customer's
// consent, what its active grants cover, requesting access (a link to
// give the customer), and its requests, grants and history.
import { h, put, enc } from '../lib/dom.js';
import { get, post, api, can } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, toast, field, empty, copyButton } from '../lib/ui.js';
import { ROLES, roleText, statusBadge, grantsTable, historyTable } from '../lib/consent.js';

export const id = 'consent';
export const title = 'Consent';

export function mount(root, ctx) {
  const client = ctx.clientId;
  const body = h('div', { id: 'consent-body' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Consent' }), h('span', { class: 'spacer' }),
    can('clients') && h('button', { type: 'button', class: 'primary', id: 'consent-request', text: 'Request access', onclick: request })),
  body);

  async function load() {
    let c;
    try {
      c = await get(`/api/v1/clients/${enc(client)}/consent`);
    } catch (e) {
      put(body, h('p', { class: 'error', text: e.message }));
      return;
    }
    const covered = c.covered.length ? `Active grants cover: ${roleText(c.covered)}.` : 'No active grant.';
    put(body,
      h('div', { class: 'panel', id: 'consent-status' },
        h('p', {}, c.required ? h('span', { class: 'badge warn', text: 'Requires consent' }) : h('span', { class: 'badge', text: 'Consent not required' }),
          ' ', h('span', { id: 'consent-covered', text: covered })),
        h('p', { class: 'muted', text: c.required
          ? 'Technicians act on this client\'s devices and data only under an active grant the customer gave in the portal.'
          : 'Technicians act on this client as on any other; grants are kept for when consent is required.' }),
        can('users') && h('button', { type: 'button', id: 'consent-toggle', text: c.required ? 'Stop requiring consent' : 'Require consent',
          onclick: () => setRequired(!c.required) })),
      h('h3', { text: 'Requests' }),
      c.requests.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid consent-requests' },
        h('thead', {}, h('tr', {}, ['Status', 'Roles asked', 'Sent', 'Expires', 'Link'].map((x) => h('th', { text: x })))),
        h('tbody', {}, c.requests.map((r) => h('tr', { dataset: { request: r.id } },
          h('td', {}, statusBadge(r.status)),
          h('td', { text: `${roleText(r.roles)} for ${r.days} days` }),
          h('td', {}, time(r.created_at), r.created_by ? h('span', { class: 'muted', text: ` by ${r.created_by}` }) : ''),
          h('td', {}, time(r.expires_at)),
          h('td', { class: 'actions' }, r.status === 'pending' ? copyButton(() => r.link, 'Copy link') : ''))))))
        : empty('No request sent yet.'),
      h('h3', { text: 'Grants' }),
      c.grants.length ? grantsTable(c.grants) : empty('The customer has given no grant.'),
      h('h3', { text: 'History' }),
      c.history.length ? historyTable(c.history) : empty('Nothing yet.'));
  }

  async function request() {
    const boxes = ROLES.map(([v, label]) => h('label', {}, h('input', { type: 'checkbox', name: 'role', value: v, checked: true }), ` ${label}`));
    const days = h('input', { name: 'days', id: 'consent-days', type: 'number', min: '1', max: '730', value: '90', required: true });
    const msg = h('textarea', { name: 'message', id: 'consent-message', rows: '3', maxlength: '2000' });
    const r = await modal({ title: 'Request access', ok: 'Create request',
      body: h('div', { class: 'stack' }, field('Roles', h('div', { class: 'radios' }, boxes)),
        field('Duration (days, at most 730)', days), field('Message to the customer', msg)),
      onSubmit: async (form) => post(`/api/v1/clients/${enc(client)}/consent/requests`, {
        roles: [...form.querySelectorAll('input[name=role]:checked')].map((b) => b.value),
        days: parseInt(days.value, 10), message: msg.value }) });
    if (!r) return;
    await modal({ title: 'Give this link to the customer', cancel: null, ok: 'Done',
      body: h('div', { class: 'stack' }, h('p', { text: 'A customer admin signs in to the portal and answers the request there. It expires after 90 days unanswered.' }),
        h('code', { class: 'consent-link', id: 'consent-link', text: r.link }), copyButton(() => r.link, 'Copy link')) });
    load();
  }

  async function setRequired(required) {
    try {
      await api('PUT', `/api/v1/clients/${enc(client)}/consent`, { required });
      toast(required ? 'The client now requires consent.' : 'The client no longer requires consent.', 'ok');
    } catch (e) {
      toast(e.message, 'error');
    }
    load();
  }

  load();
  return {};
}
