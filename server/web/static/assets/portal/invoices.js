// Portal section "Invoices" (customer admins only): what is outstanding
// and overdue, then the client's sent, paid and void invoices, newest
// first, a page at a time ("More" follows the list's cursor), each with
// its PDF. Drafts never reach the portal (the server leaves them out).
// Text goes in through h() only.
import { h, put, enc } from '../lib/dom.js';
import { get } from '../lib/api.js';

const money = (cents, currency) => {
  const abs = Math.abs(Number(cents || 0));
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')} ${currency}`;
};

const row = (inv) => h('tr', { dataset: { invoice: inv.id } },
  h('td', { text: inv.number }), h('td', { text: inv.date }), h('td', { text: inv.due_date }), h('td', { text: inv.status }),
  h('td', { class: 'num', text: money(inv.total_cents, inv.currency) }),
  h('td', {}, h('a', { href: `/api/v1/portal/invoices/${enc(inv.id)}/pdf`, download: `${inv.number}.pdf`, text: 'PDF' })));

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
  let next = out.next || '';
  const tbody = h('tbody', {}, invs.map(row));
  const err = h('p', { class: 'error', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', id: 'portal-invoices-more', text: 'More', hidden: !next });
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await get(`/api/v1/portal/invoices?cursor=${encodeURIComponent(next)}`);
      tbody.append(...(page.invoices || []).map(row));
      next = page.next || '';
      more.hidden = !next;
      err.hidden = true;
    } catch (e) {
      put(err, e.message);
      err.hidden = false;
    } finally {
      more.disabled = false;
    }
  });
  const owed = (out.totals || []).map((t) => h('p', { class: 'portal-owed' },
    h('span', { text: `Outstanding: ${money(t.outstanding_cents, t.currency)} (${t.outstanding})` }),
    t.overdue ? h('strong', { class: 'bad', text: ` — overdue: ${money(t.overdue_cents, t.currency)} (${t.overdue})` }) : null));
  put(root, h('h2', { text: 'Invoices' }), owed, invs.length
    ? [h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'portal-invoices' },
      h('thead', {}, h('tr', {}, ['Number', 'Date', 'Due', 'Status', 'Total', ''].map((x) => h('th', { text: x })))),
      tbody)), err, more]
    : h('p', { class: 'empty', text: 'No invoices yet.' }));
  return {};
}
