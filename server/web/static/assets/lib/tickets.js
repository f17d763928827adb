// The ticket list shared by the global Tickets page and a client's
// Tickets tab: search by title or #number, filters (status, default open
// and pending; technician; priority; impact; type; spam; SLA breached or
// at risk, sorted by due time, most overdue first), columns chosen
// per user (saved in the user's preferences), time left or overdue on
// the SLA, and cursor paging.
import { h, put, enc, debounce } from './dom.js';
import { get, session, savePrefs } from './api.js';
import { select, empty, modal, field } from './ui.js';
import { ago } from './format.js';

export const PRIORITIES = ['low', 'medium', 'high', 'critical'];
export const IMPACTS = ['none', 'customer down', 'server issue', 'minor', 'major', 'crisis'];
export const TYPES = ['incident', 'problem', 'request', 'change'];
export const ACTIVITIES = ['unread', 'read', 'waiting for requester', 'waiting for technician'];

// COLUMNS are every column a user may show: [key, label, cell(ticket)].
export const COLUMNS = [
  ['number', '#', (t) => h('a', { href: `/tickets/${enc(t.number)}`, class: 'ticket-number', text: `#${t.number}` })],
  ['title', 'Title', (t) => h('a', { href: `/tickets/${enc(t.number)}`, class: 'ticket-title', text: t.title })],
  ['client', 'Client', (t) => h('a', { href: `/clients/${enc(t.client_id)}/tickets`, text: t.client_name || t.client_id })],
  ['status', 'Status', (t) => h('span', { class: 'badge', text: t.status })],
  ['priority', 'Priority', (t) => h('span', { class: ['badge', t.priority === 'critical' ? 'bad' : t.priority === 'high' ? 'warn' : ''], text: t.priority })],
  ['impact', 'Impact', (t) => t.impact],
  ['type', 'Type', (t) => t.type],
  ['activity', 'Activity', (t) => t.activity],
  ['technician', 'Technician', (t) => t.technician_name || ''],
  ['modified', 'Modified', (t) => h('span', { title: t.modified_at, text: ago(t.modified_at) })],
  ['created', 'Created', (t) => h('span', { title: t.created_at, text: ago(t.created_at) })],
  ['sla', 'SLA', (t) => h('span', {}, t.due_in ? h('span', { class: ['badge', 'ticket-due', t.overdue || t.due_in === 'breached' ? 'bad' : ''], text: t.due_in }) : '',
    t.sla_state ? h('span', { class: ['badge', 'ticket-sla-state', t.sla_state === 'breached' ? 'bad' : 'warn'], text: t.sla_state === 'breached' ? 'SLA breached' : 'SLA at risk' }) : '')],
];
const DEFAULT_COLUMNS = ['number', 'title', 'client', 'status', 'priority', 'technician', 'modified', 'sla'];

export function chosenColumns() {
  const c = session.prefs?.ticketColumns;
  const keys = Array.isArray(c) ? c.filter((k) => COLUMNS.some(([key]) => key === k)) : [];
  return keys.length ? keys : DEFAULT_COLUMNS;
}

/** ticketList mounts the list into root; base is the list's API path. */
export function ticketList(root, { base, showClient = true, actions = [] }) {
  const search = h('input', { type: 'search', id: 'ticket-search', placeholder: 'Search title or #number', 'aria-label': 'Search tickets', autocomplete: 'off' });
  const opt = (all, xs) => [['', all], ...xs.map((x) => [x, x])];
  const status = select('status', [['', 'Open and pending'], ['all', 'Any status'], ['open', 'Open'], ['pending', 'Pending'],
    ['resolved', 'Resolved'], ['closed', 'Closed'], ['deleted', 'Deleted']], '', { id: 'ticket-status', 'aria-label': 'Status' });
  const tech = select('technician', [['', 'Any technician'], ['me', 'Mine'], ['-', 'Unassigned']], '', { id: 'ticket-technician', 'aria-label': 'Technician' });
  const prio = select('priority', opt('Any priority', PRIORITIES), '', { id: 'ticket-priority', 'aria-label': 'Priority' });
  const impact = select('impact', opt('Any impact', IMPACTS), '', { id: 'ticket-impact', 'aria-label': 'Impact' });
  const type = select('type', opt('Any type', TYPES), '', { id: 'ticket-type', 'aria-label': 'Type' });
  const spam = select('spam', [['', 'Not spam'], ['1', 'Spam'], ['all', 'Spam or not']], '', { id: 'ticket-spam', 'aria-label': 'Spam' });
  const sla = select('sla', [['', 'Any SLA state'], ['breached', 'SLA breached'], ['at-risk', 'SLA at risk']], '', { id: 'ticket-sla', 'aria-label': 'SLA state' });
  const colsBtn = h('button', { type: 'button', id: 'ticket-columns', text: 'Columns', onclick: chooseColumns });
  const list = h('div', { class: 'table-wrap', id: 'ticket-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  const more = h('div', { class: 'pager' });
  for (const el of [status, tech, prio, impact, type, spam, sla]) el.addEventListener('change', () => load());
  search.addEventListener('input', debounce(() => load(), 250));
  put(root, h('div', { class: 'toolbar filters' }, search, status, tech, prio, impact, type, spam, sla, colsBtn, ...actions), list, more);
  let rows = [];

  async function load(cursor = '') {
    const q = new URLSearchParams();
    for (const [k, el] of [['q', search], ['status', status], ['technician', tech], ['priority', prio], ['impact', impact], ['type', type], ['spam', spam], ['sla', sla]]) {
      if (el.value.trim()) q.set(k, el.value.trim());
    }
    if (cursor) q.set('cursor', cursor);
    let out;
    try {
      out = await get(`${base}?${q}`);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    rows = cursor ? rows.concat(out.tickets) : out.tickets;
    draw();
    put(more, out.next ? h('button', { type: 'button', id: 'ticket-more', text: 'More', onclick: () => load(out.next) }) : null);
  }

  function draw() {
    const cols = COLUMNS.filter(([k]) => chosenColumns().includes(k) && (showClient || k !== 'client'));
    put(list, rows.length ? h('table', { class: 'grid', id: 'ticket-table' },
      h('thead', {}, h('tr', {}, cols.map(([, label]) => h('th', { text: label })))),
      h('tbody', {}, rows.map((t) => h('tr', { dataset: { ticket: t.id }, class: t.overdue || t.sla_state === 'breached' ? 'overdue' : '' },
        cols.map(([key, , cell]) => h('td', { dataset: { col: key } }, cell(t)))))))
      : empty(search.value.trim() ? 'No ticket matches.' : 'No tickets here.'));
  }

  async function chooseColumns() {
    const boxes = COLUMNS.map(([k, label]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: k, checked: chosenColumns().includes(k) }), ` ${label === '#' ? 'Number' : label}`));
    const ok = await modal({ title: 'Columns', body: h('div', { class: 'stack', id: 'ticket-columns-form' }, boxes), ok: 'Show' });
    if (!ok) return;
    const keys = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.name);
    savePrefs({ ticketColumns: keys.length ? keys : DEFAULT_COLUMNS });
    draw();
  }

  load();
  return { reload: () => load() };
}

/** newTicket asks for a new ticket's fields and posts it to the client. */
export async function newTicketDialog(post, clientRef) {
  const title = h('input', { name: 'title', id: 'ticket-f-title', required: true, maxlength: '200', autocomplete: 'off' });
  const desc = h('textarea', { name: 'description', id: 'ticket-f-description', rows: '5', maxlength: '20000' });
  const prio = select('priority', PRIORITIES.map((p) => [p, p]), 'medium', { id: 'ticket-f-priority' });
  const impact = select('impact', IMPACTS.map((p) => [p, p]), 'none', { id: 'ticket-f-impact' });
  const type = select('type', TYPES.map((p) => [p, p]), 'incident', { id: 'ticket-f-type' });
  const clientIn = clientRef ? null : h('input', { name: 'client', id: 'ticket-f-client', required: true, autocomplete: 'off' });
  let made = null;
  await modal({
    title: 'New ticket', ok: 'Open ticket',
    body: h('div', { class: 'stack' }, clientIn && field('Client (name or ID)', clientIn), field('Title', title), field('Description', desc),
      field('Priority', prio), field('Impact', impact), field('Type', type)),
    onSubmit: async () => {
      made = await post(`/api/v1/clients/${enc(clientRef || clientIn.value.trim())}/tickets`,
        { title: title.value, description: desc.value, priority: prio.value, impact: impact.value, type: type.value });
    },
  });
  return made;
}
