// Tickets: every ticket in the caller's scope, open and pending first.
import { h, put } from '../lib/dom.js';
import { post, can } from '../lib/api.js';
import { ticketList, newTicketDialog } from '../lib/tickets.js';

export function mount(root, ctx) {
  const body = h('div');
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Tickets' })), body);
  ticketList(body, {
    base: '/api/v1/tickets',
    actions: [can('tickets') && h('button', { type: 'button', class: 'primary', id: 'ticket-new', text: 'New ticket',
      onclick: async () => { const t = await newTicketDialog(post, ''); if (t) ctx.navigate(`/tickets/${t.number}`); } })],
  });
  return {};
}
