// Client tab "Invoices": the client's invoices (search, filters, CSV), a
// new invoice from the period's work or by hand, and one invoice's view
// with its lines, status actions and PDF. Shown to holders of the
// invoices permission (admins).
import { h, put } from '../lib/dom.js';
import { mountList, mountInvoice, newInvoice } from '../lib/invoices.js';

export const id = 'invoices';
export const title = 'Invoices';
export const perm = 'invoices';

export function mount(root, ctx) {
  const client = ctx.clientId;
  const showList = () => {
    const body = h('div', {});
    put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Invoices' })), body);
    mountList(body, {
      clientId: client,
      onOpen: (inv) => showInvoice(inv.id),
      actions: [h('button', { type: 'button', class: 'primary', id: 'inv-new', text: 'New invoice',
        onclick: async () => { const inv = await newInvoice(client, []); if (inv) showInvoice(inv.id); } })],
    });
  };
  const showInvoice = (id) => {
    const body = h('div', {});
    put(root, body);
    mountInvoice(body, id, { onBack: showList });
  };
  showList();
  return {};
}
