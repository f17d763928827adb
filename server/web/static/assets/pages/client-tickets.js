// Client tab "Tickets": the client's tickets, opened from here too.
import { h, put } from '../lib/dom.js';
import { post, can } from '../lib/api.js';
import { ticketList, newTicketDialog } from '../lib/tickets.js';

export const id = 'tickets';
export const title = 'Tickets';

export function mount(root, ctx) {
  const body = h('div');
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Tickets' })), body);
  ticketList(body, {
    base: `/api/v1/clients/${encodeURIComponent(ctx.clientId)}/tickets`, showClient: false,
    actions: [can('tickets') && h('button', { type: 'button', class: 'primary', id: 'ticket-new', text: 'New ticket',
      onclick: async () => { const t = await newTicketDialog(post, ctx.clientId); if (t) ctx.navigate(`/tickets/${t.number}`); } })],
  });
  return {};
}
