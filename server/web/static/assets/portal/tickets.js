// Portal section "Tickets": the customer's own tickets (a customer admin
// sees all of the organisation's), each with its public replies; opening
// a ticket and replying. Internal notes and time never reach the portal
// (the API leaves them out). A technician viewing as the customer reads
// only: the forms are not shown.
import { h, put, enc } from '../lib/dom.js';
import { get, post } from '../lib/api.js';

export function mount(root, ctx) {
  const readOnly = !!ctx.identity?.viewed_by;
  const list = h('div', { class: 'table-wrap', id: 'portal-tickets' }, h('p', { class: 'muted', text: 'Loading…' }));
  const detail = h('div', { id: 'portal-ticket' });
  const status = h('select', { id: 'portal-ticket-status', 'aria-label': 'Which tickets' },
    h('option', { value: 'open', text: 'Open' }), h('option', { value: 'all', text: 'All' }));
  status.addEventListener('change', () => load());
  const title = h('input', { id: 'portal-ticket-title', maxlength: '200', required: true, 'aria-label': 'Subject', placeholder: 'Subject' });
  const desc = h('textarea', { id: 'portal-ticket-description', rows: '4', maxlength: '20000', 'aria-label': 'Description', placeholder: 'What is wrong?' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = readOnly ? h('p', { class: 'muted', text: 'Read only: you are viewing the portal as the customer.' })
    : h('form', { class: 'stack', id: 'portal-ticket-form', onsubmit: (e) => { e.preventDefault(); create(); } },
      h('h3', { text: 'Open a ticket' }), title, desc, h('button', { type: 'submit', class: 'primary', text: 'Send' }), msg);
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Tickets' }), h('span', { class: 'spacer' }), status), list, detail, form);

  async function load() {
    let out;
    try {
      out = await get(`/api/v1/portal/tickets?status=${enc(status.value)}`);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(list, out.tickets.length ? h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['#', 'Subject', 'Status', 'Updated'].map((x) => h('th', { text: x })))),
      h('tbody', {}, out.tickets.map((t) => h('tr', { dataset: { ticket: t.id } },
        h('td', { text: `#${t.number}` }),
        h('td', {}, h('a', { href: '#', text: t.title, onclick: (e) => { e.preventDefault(); open(t.id); } })),
        h('td', { text: t.status }), h('td', { text: new Date(t.modified_at).toLocaleString() })))))
      : h('p', { class: 'empty', text: 'No tickets.' }));
  }

  async function open(id) {
    let d;
    try {
      d = await get(`/api/v1/portal/tickets/${enc(id)}`);
    } catch (e) {
      put(detail, h('p', { class: 'error', text: e.message }));
      return;
    }
    const reply = h('textarea', { rows: '3', maxlength: '20000', 'aria-label': 'Reply', id: 'portal-reply' });
    put(detail, h('section', { class: 'panel' },
      h('h3', { class: 'wrap', text: `#${d.ticket.number} ${d.ticket.title}` }),
      d.ticket.description && h('p', { class: 'wrap pre', text: d.ticket.description }),
      h('ul', { class: 'ticket-timeline' }, d.comments.map((c) => h('li', {},
        h('div', { class: 'muted', text: `${c.author_name || ''} · ${new Date(c.at).toLocaleString()}` }),
        h('p', { class: 'wrap pre', text: c.body })))),
      !readOnly && h('form', { class: 'stack', onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post(`/api/v1/portal/tickets/${enc(id)}/comments`, { body: reply.value });
          open(id);
        } catch (err) {
          put(msg, err.message);
        }
      } }, reply, h('button', { type: 'submit', text: 'Reply' }))));
  }

  async function create() {
    put(msg);
    try {
      const t = await post('/api/v1/portal/tickets', { title: title.value, description: desc.value });
      title.value = '';
      desc.value = '';
      await load();
      open(t.id);
    } catch (e) {
      put(msg, e.message);
    }
  }

  load();
  return {};
}
