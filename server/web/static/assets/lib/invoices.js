// Invoices, shared by the global Invoices page and the client page's
// Invoices tab: the list with search and filters, an invoice with its
// lines and status actions, the new-invoice form and the batch form.
// Every text goes in through h() (text nodes), PDF and CSV are links to
// the API.
import { h, put, enc, debounce } from './dom.js';
import { get, post, del } from './api.js';
import { modal, confirm, toast, field, select, empty } from './ui.js';

export const STATUSES = ['draft', 'sent', 'paid', 'void'];

/** money shows cents as a decimal amount with the currency. */
export function money(cents, currency = '') {
  const neg = cents < 0;
  const abs = Math.abs(Number(cents || 0));
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  return `${neg ? '-' : ''}${whole}.${String(abs % 100).padStart(2, '0')}${currency ? ` ${currency}` : ''}`;
}

const badge = (s) => h('span', { class: ['badge', { sent: 'run', paid: 'ok', void: 'bad' }[s]], text: s });

const today = () => new Date().toISOString().slice(0, 10);
function lastMonth() {
  const d = new Date();
  const to = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return [from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)];
}

/** totalsLine says what the sent invoices add up to (the list's totals). */
function totalsLine(totals) {
  if (!totals || !totals.length) return null;
  return h('p', { class: 'muted', id: 'inv-totals' }, totals.map((t, i) => [i ? '; ' : '',
    h('span', { text: `Outstanding ${money(t.outstanding_cents, t.currency)} (${t.outstanding})` }),
    t.overdue ? [', ', h('strong', { class: 'inv-overdue', text: `overdue ${money(t.overdue_cents, t.currency)} (${t.overdue})` })] : null]));
}

const PAGE = 50;

/**
 * mountList shows invoices (of one client when clientId is set) with
 * search, filters, the outstanding and overdue totals and the CSV link, a
 * page at a time ("Load more" follows the list's cursor). onOpen(invoice)
 * opens one.
 */
export function mountList(root, { clientId, onOpen, actions = [] }) {
  const search = h('input', { type: 'search', id: 'inv-search', placeholder: 'Number or batch', 'aria-label': 'Search invoices', autocomplete: 'off' });
  const status = select('status', [['', 'Any status'], ...STATUSES.map((s) => [s, s])], '', { id: 'inv-status', 'aria-label': 'Status' });
  const from = h('input', { type: 'date', id: 'inv-from', 'aria-label': 'Dated from' });
  const to = h('input', { type: 'date', id: 'inv-to', 'aria-label': 'Dated before' });
  const csv = h('a', { href: '/api/v1/invoices?format=csv', id: 'inv-csv', class: 'button small', download: 'invoices.csv', text: 'CSV' });
  const list = h('div', { class: 'panel', id: 'inv-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  search.addEventListener('input', debounce(() => load(), 250));
  for (const el of [status, from, to]) el.addEventListener('change', () => load());
  put(root, h('div', { class: 'page-head inv-head' }, h('span', { class: 'spacer' }), search, ' ', status, ' ', from, ' ', to, ' ', csv, ' ', actions),
    list);

  const row = (inv) => h('tr', { dataset: { invoice: inv.id } },
    h('td', {}, h('a', { href: `/invoices/${enc(inv.id)}`, class: 'inv-number', text: inv.number, onclick: (ev) => { ev.preventDefault(); onOpen(inv); } })),
    h('td', { text: inv.client_name }), h('td', { text: inv.date }), h('td', { text: inv.due_date }),
    h('td', {}, badge(inv.status)), h('td', { text: inv.batch || '' }),
    h('td', { class: 'num', text: money(inv.total_cents, inv.currency) }));
  // gen discards an answer that arrives after the filters changed.
  let gen = 0;
  let query = null;
  let next = '';
  let shown = 0;
  let total = 0;
  let tbody = null;
  const count = h('p', { class: 'muted', id: 'inv-count' });
  const more = h('button', { type: 'button', id: 'inv-more', text: 'Load more', hidden: true, onclick: () => page() });
  const footer = () => {
    put(count, total > shown ? `${shown} of ${total}` : '');
    more.hidden = !next;
  };

  async function page() {
    const my = gen;
    const q = new URLSearchParams(query);
    q.set('cursor', next);
    more.disabled = true;
    try {
      const out = await get(`/api/v1/invoices?${q}`);
      if (my !== gen) return;
      for (const inv of out.invoices || []) tbody.append(row(inv));
      shown += (out.invoices || []).length;
      next = out.next || '';
      footer();
    } catch (e) {
      if (my === gen) toast(e.message, 'error');
    } finally {
      more.disabled = false;
    }
  }

  async function load() {
    const my = ++gen;
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('q', search.value.trim());
    if (status.value) q.set('status', status.value);
    if (from.value) q.set('from', from.value);
    if (to.value) q.set('to', to.value);
    if (clientId) q.set('client', clientId);
    const csvQ = new URLSearchParams(q);
    csvQ.set('format', 'csv');
    csv.setAttribute('href', `/api/v1/invoices?${csvQ}`);
    q.set('limit', String(PAGE));
    let out;
    try {
      out = await get(`/api/v1/invoices?${q}`);
    } catch (e) {
      if (my === gen) put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    if (my !== gen) return;
    query = q;
    const invs = out.invoices || [];
    next = out.next || '';
    shown = invs.length;
    total = out.total;
    tbody = h('tbody', {}, invs.map(row));
    put(list, totalsLine(out.totals), invs.length ? [h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'inv-table' },
      h('thead', {}, h('tr', {}, ['Number', 'Client', 'Date', 'Due', 'Status', 'Batch', 'Total'].map((x) => h('th', { text: x })))),
      tbody)), h('div', { class: 'inv-pager' }, count, more)]
      : empty(search.value.trim() ? 'No invoice matches.' : 'No invoices yet.'));
    footer();
  }
  load();
  return { reload: load };
}

/** mountInvoice shows one invoice with its lines and actions. */
export async function mountInvoice(root, id, { onChange, onBack }) {
  let inv;
  try {
    inv = await get(`/api/v1/invoices/${enc(id)}`);
  } catch (e) {
    put(root, h('p', { class: 'error', text: e.message }));
    return;
  }
  const setStatus = async (s) => {
    if (s === 'void' && !(await confirm(`Void ${inv.number}?`, 'A void invoice keeps its number; its time entries can be billed again.', { ok: 'Void', danger: true }))) return;
    try {
      await post(`/api/v1/invoices/${enc(inv.id)}/status`, { status: s });
      toast(`${inv.number} is ${s}`);
      onChange?.();
      mountInvoice(root, id, { onChange, onBack });
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  const remove = async () => {
    if (!(await confirm(`Delete draft ${inv.number}?`, 'Its number is not given again.', { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/invoices/${enc(inv.id)}`);
      onChange?.();
      onBack?.();
    } catch (e) {
      toast(e.message, 'error');
    }
  };
  const kv = (k, v) => v ? h('div', { class: 'kv' }, h('span', { class: 'muted', text: `${k}: ` }), h('span', { text: v })) : null;
  put(root, h('div', { class: 'panel', id: 'inv-view', dataset: { invoice: inv.id } },
    h('div', { class: 'page-head' },
      onBack && h('button', { type: 'button', class: 'small', id: 'inv-back', text: '← Invoices', onclick: onBack }),
      h('h2', { id: 'inv-title', text: `Invoice ${inv.number}` }), ' ', badge(inv.status), h('span', { class: 'spacer' }),
      (inv.next || []).map((s) => [h('button', { type: 'button', class: s === 'void' ? 'danger' : 'primary', dataset: { status: s },
        text: { sent: 'Mark sent', paid: 'Mark paid', void: 'Void' }[s] || s, onclick: () => setStatus(s) }), ' ']),
      inv.status === 'draft' && h('button', { type: 'button', id: 'inv-delete', text: 'Delete draft', onclick: remove }), ' ',
      h('a', { href: `/api/v1/invoices/${enc(inv.id)}/pdf`, class: 'button', id: 'inv-pdf', download: `${inv.number}.pdf`, text: 'PDF' })),
    h('div', { class: 'inv-meta' },
      kv('Client', inv.client_name), kv('Date', inv.date), kv('Due', inv.due_date),
      kv('Period', inv.period_from ? `${inv.period_from} to ${inv.period_to} (excluded)` : ''), kv('Batch', inv.batch), kv('Currency', inv.currency)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'inv-lines' },
      h('thead', {}, h('tr', {}, ['Kind', 'Description', 'Qty', 'Unit', 'Tax', 'Amount'].map((x) => h('th', { text: x })))),
      h('tbody', {}, (inv.lines || []).map((l) => h('tr', {},
        h('td', { text: l.kind.replace('_', ' ') }), h('td', { class: 'inv-desc', text: l.description }), h('td', { class: 'num', text: String(l.quantity) }),
        h('td', { class: 'num', text: money(l.unit_price_cents) }), h('td', { class: 'num', text: `${l.tax_rate}%` }),
        h('td', { class: 'num', text: money(l.amount_cents) })))),
      h('tfoot', {},
        [['Subtotal', inv.subtotal_cents], ['Tax', inv.tax_cents], ['Total', inv.total_cents]].map(([k, v]) => h('tr', {},
          h('th', { colspan: '5', class: 'num', text: k }), h('td', { class: 'num', id: `inv-${k.toLowerCase()}`, text: money(v, inv.currency) })))))),
    inv.notes && h('p', { class: 'inv-notes', text: inv.notes })));
}

/** newInvoice asks for a new invoice of a client (from work or by hand). */
export async function newInvoice(clientId, clients) {
  const [pf, pt] = lastMonth();
  const client = clientId ? null : select('client', clients.map((c) => [c.id, c.name]), '', { id: 'inv-f-client' });
  const fromWork = h('input', { type: 'checkbox', id: 'inv-f-work', checked: true });
  const periodFrom = h('input', { type: 'date', id: 'inv-f-from', value: pf });
  const periodTo = h('input', { type: 'date', id: 'inv-f-to', value: pt });
  const date = h('input', { type: 'date', id: 'inv-f-date', value: today() });
  const batch = h('input', { id: 'inv-f-batch', maxlength: '100', autocomplete: 'off' });
  const desc = h('input', { id: 'inv-f-desc', maxlength: '500', autocomplete: 'off', placeholder: 'optional manual line' });
  const qty = h('input', { type: 'number', id: 'inv-f-qty', step: '0.001', value: '1' });
  const price = h('input', { type: 'number', id: 'inv-f-price', step: '0.01', placeholder: '0.00' });
  const notes = h('textarea', { id: 'inv-f-notes', rows: '2', maxlength: '4000' });
  const body = h('div', { class: 'stack' }, client && field('Client', client),
    h('label', { class: 'check' }, fromWork, ' Bill the period’s billable time entries and contract fees'),
    field('Period from', periodFrom), field('Period to (excluded)', periodTo), field('Invoice date', date), field('Batch', batch),
    field('Manual line', desc), field('Quantity', qty), field('Unit price', price), field('Notes', notes));
  let made = null;
  await modal({
    title: 'New invoice', body, ok: 'Create draft',
    onSubmit: async () => {
      const req = { from_work: fromWork.checked, period_from: periodFrom.value, period_to: periodTo.value, date: date.value,
        batch: batch.value, notes: notes.value };
      if (desc.value.trim()) req.lines = [{ description: desc.value, quantity: Number(qty.value || 0), unit_price_cents: Math.round(Number(price.value || 0) * 100) }];
      if (!req.from_work) { delete req.period_from; delete req.period_to; }
      made = await post(`/api/v1/clients/${enc(clientId || client.value)}/invoices`, req);
    },
  });
  return made;
}

/** batchForm runs a batch for every client in scope and shows each result. */
export async function batchForm() {
  const [pf, pt] = lastMonth();
  const name = h('input', { id: 'inv-b-name', maxlength: '100', required: true, value: `Invoices ${pf.slice(0, 7)}` });
  const periodFrom = h('input', { type: 'date', id: 'inv-b-from', value: pf });
  const periodTo = h('input', { type: 'date', id: 'inv-b-to', value: pt });
  const date = h('input', { type: 'date', id: 'inv-b-date', value: today() });
  let res = null;
  await modal({
    title: 'Batch: invoice every client', ok: 'Create invoices',
    body: h('div', { class: 'stack' }, field('Batch name', name), field('Period from', periodFrom), field('Period to (excluded)', periodTo),
      field('Invoice date', date), h('p', { class: 'muted', text: 'Clients with nothing to bill are skipped.' })),
    onSubmit: async () => {
      res = await post('/api/v1/invoices/batch', { batch: name.value, period_from: periodFrom.value, period_to: periodTo.value, date: date.value });
    },
  });
  if (!res) return null;
  await modal({
    title: `Batch ${res.batch}: ${res.created} created, ${res.skipped} skipped, ${res.failed} failed`, wide: true, ok: 'Close',
    body: h('div', { class: 'table-wrap', id: 'inv-batch-result' }, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['Client', 'Result', 'Number', 'Total', 'Error'].map((x) => h('th', { text: x })))),
      h('tbody', {}, res.items.map((it) => h('tr', {}, h('td', { text: it.client_name }), h('td', { text: it.result }),
        h('td', { text: it.number || '' }), h('td', { class: 'num', text: it.result === 'created' ? money(it.total_cents) : '' }),
        h('td', { text: it.error || '' })))))),
  });
  return res;
}
