// Portal section "Invoices" (customer admins only): the client's sent,
// paid and void invoices, newest first, each with its PDF. Drafts never
// reach the portal (the server leaves them out). Text goes in through
// h() only.
import { h, put, enc } from '../lib/dom.js';
import { get } from '../lib/api.js';

const money = (cents, currency) => {
  const abs = Math.abs(Number(cents || 0));
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')} ${currency}`;
};

export async function mount(root) {
  put(root, h('h2', { text: 'Invoices' }), h('p', { class: 'muted', text: 'Loading…' }));
  let out;
  try {
    out = await get('/api/v1/portal/invoices');
  } catch (e) {
    put(root, h('h2', { text: 'Invoices' }), h('p', { class: 'error', text: e.message }));
    return {};
  }
  const invs = out.invoices || [];
  put(root, h('h2', { text: 'Invoices' }), invs.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'portal-invoices' },
      h('thead', {}, h('tr', {}, ['Number', 'Date', 'Due', 'Status', 'Total', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, invs.map((inv) => h('tr', { dataset: { invoice: inv.id } },
        h('td', { text: inv.number }), h('td', { text: inv.date }), h('td', { text: inv.due_date }), h('td', { text: inv.status }),
        h('td', { class: 'num', text: money(inv.total_cents, inv.currency) }),
        h('td', {}, h('a', { href: `/api/v1/portal/invoices/${enc(inv.id)}/pdf`, download: `${inv.number}.pdf`, text: 'PDF' })))))))
    : h('p', { class: 'empty', text: 'No invoices yet.' }));
  return {};
}
