// Consent helpers shared by the dashboard and the portal: role labels,
// status badges and the grants and history tables. Every text goes in
// as text (h), never as markup.
import { h } from './dom.js';
import { time } from './format.js';

export const ROLES = [['manage_devices', 'Manage devices'], ['helpdesk_view', 'Read-only help-desk view']];
const LABEL = Object.fromEntries(ROLES);

/** roleText names grant roles for people. */
export const roleText = (roles) => (roles || []).map((r) => LABEL[r] || r).join(', ');

/** statusBadge shows a request's or a grant's status. */
export function statusBadge(status) {
  const kind = { active: 'ok', accepted: 'ok', pending: 'run', revoked: 'bad', declined: 'bad', expired: 'warn' }[status] || '';
  return h('span', { class: ['badge', kind], text: status });
}

/** grantsTable lists grants; actions(g) adds the row's buttons. */
export function grantsTable(grants, actions) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid consent-grants' },
    h('thead', {}, h('tr', {}, ['Status', 'Roles', 'Given', 'Ends', 'Uses', ''].map((x) => h('th', { text: x })))),
    h('tbody', {}, grants.map((g) => h('tr', { dataset: { grant: g.id } },
      h('td', {}, statusBadge(g.status)),
      h('td', { text: roleText(g.roles) }),
      h('td', {}, time(g.starts_at), g.granted_by ? h('span', { class: 'muted', text: ` by ${g.granted_by}` }) : ''),
      h('td', {}, time(g.ends_at), g.revoked_reason ? h('div', { class: 'muted', text: `Revoked: ${g.revoked_reason}` }) : ''),
      h('td', { class: 'num', text: String(g.uses || 0) }),
      h('td', { class: 'actions' }, actions ? actions(g) : ''))))));
}

const ACTIONS = {
  'consent.request': 'Access requested', 'consent.grant': 'Access granted', 'consent.decline': 'Request declined',
  'consent.revoke': 'Grant revoked', 'consent.renew': 'Grant renewed', 'consent.expire': 'Grant ended',
  'consent.use': 'Action under a grant', 'consent.setting': 'Consent setting changed',
};

/** historyTable lists consent events, newest first. */
export function historyTable(events) {
  const detail = (d) => Object.entries(d || {}).filter(([k]) => k !== 'client' && k !== 'contact').map(([k, v]) => `${k}: ${v}`).join('; ');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid consent-history' },
    h('thead', {}, h('tr', {}, ['When', 'What', 'Who', 'Details'].map((x) => h('th', { text: x })))),
    h('tbody', {}, events.map((e) => h('tr', {},
      h('td', {}, time(e.at)), h('td', { text: ACTIONS[e.action] || e.action }), h('td', { text: e.actor }),
      h('td', { class: 'muted clip', text: detail(e.detail), title: detail(e.detail) }))))));
}
