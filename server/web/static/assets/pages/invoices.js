// Invoices: every invoice of the clients in scope, searched by number or
// batch and filtered by status and date; a new invoice, a batch for every
// client, and one invoice's view (/invoices/{id}) with its lines, status
// actions and PDF. Needs the invoices permission (admins).
import { h, put, enc } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { mountList, mountInvoice, newInvoice, batchForm } from '../lib/invoices.js';

export function mount(root, ctx) {
  const id = ctx.params[0];
  const body = h('div', { id: 'invoices-page' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: id ? 'Invoice' : 'Invoices' })), body);
  if (id) {
    mountInvoice(body, id, { onBack: () => ctx.navigate('/invoices') });
    return {};
  }
  let list;
  const create = async () => {
    const clients = await get('/api/v1/clients').catch(() => []);
    const inv = await newInvoice(null, clients);
    if (inv) ctx.navigate(`/invoices/${enc(inv.id)}`);
  };
  const batch = async () => {
    if (await batchForm()) list.reload();
  };
  list = mountList(body, {
    onOpen: (inv) => ctx.navigate(`/invoices/${enc(inv.id)}`),
    actions: [h('button', { type: 'button', id: 'inv-batch', text: 'Batch…', onclick: batch }), ' ',
      h('button', { type: 'button', class: 'primary', id: 'inv-new', text: 'New invoice', onclick: create })],
  });
  return {};
}
