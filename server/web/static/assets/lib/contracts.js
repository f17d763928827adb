// Contracts and customer activity, drawn the same way on the client page
// (the Contracts and Activity tabs) and in the customer portal: an
// entitlement's use as a bar with sold, used and remaining, and the
// activity report. Every string is set as text.
import { h, visible } from './dom.js';
import { empty } from './ui.js';

const UNITS = { hours: 'hours', tickets: 'tickets', visits: 'on-site visits', training_days: 'training days' };

/** unitLabel names a unit for people. */
export const unitLabel = (u) => UNITS[u] || u || '';

/** qty shows a quantity without float noise. */
export const qty = (n) => String(Math.round((n || 0) * 100) / 100);

/** money shows cents of a currency ('' for none). */
export function money(cents, currency) {
  if (!cents) return '';
  return `${(cents / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency || ''}`.trim();
}

/** statusBadge shows a contract's computed status. */
export function statusBadge(c) {
  const kind = c.status === 'active' ? 'ok' : c.status === 'upcoming' ? 'run' : '';
  return h('span', { class: ['badge', kind, 'contract-status'], text: c.status });
}

/** usageBar shows an entitlement's sold, used and remaining. */
export function usageBar(e) {
  if (!e.consumable) return h('span', { class: 'muted', text: 'benefit (not tracked)' });
  const pct = e.sold > 0 ? Math.min(100, (100 * e.used) / e.sold) : (e.used > 0 ? 100 : 0);
  const fill = h('span', { class: ['meter-fill', e.over_consumed ? 'bad' : pct > 80 ? 'warn' : 'ok'] });
  fill.style.width = `${pct}%`;
  const label = `${qty(e.used)} of ${qty(e.sold)} ${unitLabel(e.unit)} used, ${qty(e.remaining)} left`;
  return h('div', { class: 'meter entitlement-meter' },
    h('span', { class: 'meter-label' }, label, e.over_consumed ? h('span', { class: 'badge bad', text: 'over-consumed' }) : ''),
    h('span', { class: 'meter-track' }, fill));
}

/** expiryText shows an entitlement's expiry with its state. */
export function expiryText(e) {
  if (!e.expiry) return '';
  if (e.expired) return `${e.expiry} (expired)`;
  return e.expires_soon ? `${e.expiry} (soon)` : e.expiry;
}

function consumptionTable(rows, id) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, ['Date', 'Quantity', 'Ticket', 'Technician', 'Source', 'Note'].map((x) => h('th', { text: x })))),
    h('tbody', {}, rows.map((c) => h('tr', {},
      h('td', { class: 'nowrap', text: new Date(c.at).toISOString().slice(0, 10) }),
      h('td', { class: 'num', text: `${qty(c.quantity)} ${unitLabel(c.unit)}` }),
      h('td', { text: c.ticket_number ? `#${c.ticket_number}` : '' }),
      h('td', { text: visible(c.user_name || '') }),
      h('td', { text: (c.source_kind || '').replace('_', ' ') }),
      h('td', { class: 'wrap', text: visible(c.note || '') }))))));
}

/** consumptionList draws an entitlement's drill-down. */
export const consumptionList = (rows) => (rows.length ? consumptionTable(rows, 'consumption-table') : empty('Nothing consumed yet.'));

/** renderActivity draws a customer activity report (GET .../activity). */
export function renderActivity(a) {
  const contracts = (a.contracts || []).map((c) => h('div', { class: 'panel activity-contract', dataset: { contract: c.id } },
    h('div', { class: 'title-row' }, h('h3', { class: 'wrap', text: visible(c.name) }), statusBadge(c)),
    h('p', { class: 'muted', text: `${c.type.replace(/_/g, ' ')} · ${c.start} to ${c.effective_end || 'open-ended'}${c.auto_renew ? ' (renews)' : ''}` }),
    (c.entitlements || []).length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid activity-entitlements' },
      h('thead', {}, h('tr', {}, ['Entitlement', 'Use', 'Expiry'].map((x) => h('th', { text: x })))),
      h('tbody', {}, c.entitlements.map((e) => h('tr', { dataset: { entitlement: e.id } },
        h('td', { class: 'wrap', text: visible(e.name) }), h('td', {}, usageBar(e)), h('td', { class: 'nowrap', text: expiryText(e) }))))))
      : empty('No entitlements.')));
  const soon = a.expiring_soon || [];
  const totals = a.uncovered_totals || [];
  return h('div', { class: 'stack', id: 'activity-report' },
    h('div', { class: 'panel', id: 'activity-expiring' }, h('h3', { text: `Expires within ${a.soon_days} days` }),
      soon.length ? h('ul', {}, soon.map((x) => h('li', { text: `${visible(x.name)}: ${x.date} (${x.days} days)` }))) : empty('Nothing.')),
    contracts.length ? contracts : empty('No contract matches.'),
    h('div', { class: 'panel', id: 'activity-uncovered' }, h('h3', { text: 'Work under no contract' }),
      totals.length ? h('p', { text: totals.map((t) => `${qty(t.quantity)} ${unitLabel(t.unit)}`).join(', ') }) : '',
      (a.uncovered || []).length ? consumptionTable(a.uncovered, 'uncovered-table') : empty('None.')));
}
