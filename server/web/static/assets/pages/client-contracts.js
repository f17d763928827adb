// Client tab "Contracts": the client's contracts with their status,
// dates, fees and SLA; each one's entitlements with a sold/used/remaining
// bar; a contract added, edited or ended early in a dialog; entitlements
// added and edited; a manual delivery (an on-site visit, a training day)
// recorded; and an entitlement's drill-down with a CSV link.
import { h, put, enc, visible } from '../lib/dom.js';
import { get, post, api, can } from '../lib/api.js';
import { modal, toast, field, select, empty } from '../lib/ui.js';
import { money, statusBadge, usageBar, expiryText, consumptionList, unitLabel } from '../lib/contracts.js';

export const id = 'contracts';
export const title = 'Contracts';

const TYPES = [['standard', 'Standard'], ['block_of_hours', 'Block of hours'], ['monitoring', 'Monitoring'], ['project', 'Project']];
const UNITS = [['hours', 'Hours'], ['tickets', 'Tickets'], ['visits', 'On-site visits'], ['training_days', 'Training days'], ['custom', 'Other…']];

export function mount(root, ctx) {
  const client = ctx.clientId;
  const canWrite = can('clients');
  const status = select('status', [['', 'All'], ['active', 'Active'], ['inactive', 'Inactive']], '', { id: 'contract-status', 'aria-label': 'Contract status' });
  const list = h('div', { id: 'contract-list' }, h('p', { class: 'muted', text: 'Loading…' }));
  status.addEventListener('change', () => load());
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Contracts' }), h('span', { class: 'spacer' }), status, ' ',
    canWrite && h('button', { type: 'button', class: 'primary', id: 'contract-new', text: 'Add contract', onclick: () => edit(null) })), list);
  let slas = null; // GET /api/v1/slas once the tickets wing serves it; null: type an ID

  async function load() {
    let out;
    try {
      out = await get(`/api/v1/clients/${enc(client)}/contracts${status.value ? `?status=${status.value}` : ''}`);
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(list, out.contracts.length ? out.contracts.map(card) : empty('No contracts yet.'));
  }

  function card(c) {
    const facts = [['Type', c.type.replace(/_/g, ' ')], ['Dates', `${c.start} to ${c.effective_end || 'open-ended'}${c.auto_renew ? ` (renews every ${c.renewal_months} months)` : ''}`],
      c.notice_by && ['Notice by', c.notice_by], c.ended_on && ['Ended on', c.ended_on], ['Monthly fee', money(c.monthly_fee_cents, c.currency) || '—'],
      ['Hourly rate', money(c.hourly_rate_cents, c.currency) || '—'], c.sla_id && ['SLA', c.sla_id]].filter(Boolean);
    return h('div', { class: 'panel contract-card', dataset: { contract: c.id } },
      h('div', { class: 'title-row' }, h('h3', { class: 'wrap contract-name', text: c.name }), statusBadge(c),
        c.default ? h('span', { class: 'badge run', text: 'default' }) : '', h('span', { class: 'spacer' }),
        canWrite && h('button', { type: 'button', class: 'small contract-edit', text: 'Edit', onclick: () => edit(c) }),
        canWrite && c.active && h('button', { type: 'button', class: 'small contract-end', text: 'End early', onclick: () => end(c) })),
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
      c.notes ? h('p', { class: 'wrap muted', text: visible(c.notes) }) : '',
      (c.entitlements || []).length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid entitlement-table' },
        h('thead', {}, h('tr', {}, ['Entitlement', 'Use', 'Expiry', ''].map((x) => h('th', { text: x })))),
        h('tbody', {}, c.entitlements.map((e) => h('tr', { dataset: { entitlement: e.id } },
          h('td', { class: 'wrap', text: e.name }), h('td', {}, usageBar(e)), h('td', { class: 'nowrap', text: expiryText(e) }),
          h('td', { class: 'actions' },
            e.consumable && h('button', { type: 'button', class: 'small entitlement-usage', text: 'Consumption', onclick: () => drill(c, e) }),
            canWrite && e.consumable && h('button', { type: 'button', class: 'small entitlement-deliver', text: 'Record delivery', onclick: () => deliver(c, e) }),
            canWrite && h('button', { type: 'button', class: 'small entitlement-edit', text: 'Edit', onclick: () => editEntitlement(c, e) })))))))
        : empty('No entitlements.'),
      canWrite && h('button', { type: 'button', class: 'small entitlement-new', text: 'Add entitlement', onclick: () => editEntitlement(c, null) }));
  }

  async function edit(c) {
    if (slas === null) slas = await get('/api/v1/slas').then((x) => x.slas || x || []).catch(() => false);
    const f = {};
    const input = (k, props = {}) => { f[k] = h('input', { name: k, id: `contract-f-${k}`, value: c?.[k] ?? '', autocomplete: 'off', ...props }); return f[k]; };
    const cents = (k) => { f[k] = h('input', { name: k, id: `contract-f-${k}`, type: 'number', min: '0', step: '0.01', value: c?.[k] ? c[k] / 100 : '' }); return f[k]; };
    const check = (k) => { f[k] = h('input', { type: 'checkbox', name: k, id: `contract-f-${k}`, checked: !!c?.[k] }); return f[k]; };
    f.type = select('type', TYPES, c?.type || 'standard', { id: 'contract-f-type' });
    f.sla_id = Array.isArray(slas) && slas.length ? select('sla_id', [['', 'None'], ...slas.map((s) => [s.id, s.name])], c?.sla_id || '', { id: 'contract-f-sla_id' })
      : input('sla_id', { maxlength: '64', placeholder: 'SLA ID (optional)' });
    const body = h('div', { class: 'stack' },
      field('Name', input('name', { required: true, maxlength: '200' })), field('Type', f.type),
      field('Start', input('start', { type: 'date' })), field('End', input('end', { type: 'date' }), 'empty: open-ended'),
      field('SLA', f.sla_id),
      h('label', {}, check('auto_renew'), ' Renews automatically'), field('Renewal term (months)', input('renewal_months', { type: 'number', min: '0', max: '120' })),
      field('Notice (days before the end)', input('notice_days', { type: 'number', min: '0', max: '3650' })),
      h('label', {}, check('default'), ' The client\'s default contract (for new tickets)'),
      field('Monthly fee', cents('monthly_fee_cents')), field('Hourly rate', cents('hourly_rate_cents')),
      field('Currency', input('currency', { maxlength: '3', placeholder: 'EUR' })),
      field('Notes', f.notes = h('textarea', { name: 'notes', id: 'contract-f-notes', rows: '3', text: c?.notes || '' })));
    await modal({
      title: c ? `Edit ${c.name}` : 'Add contract', body, ok: c ? 'Save' : 'Add', wide: true,
      onSubmit: async () => {
        const req = {};
        for (const [k, el] of Object.entries(f)) {
          if (el.type === 'checkbox') req[k] = el.checked;
          else if (k.endsWith('_cents')) req[k] = Math.round(Number(el.value || 0) * 100);
          else if (k === 'renewal_months' || k === 'notice_days') req[k] = Number(el.value || 0);
          else req[k] = el.value;
        }
        if (c) await api('PUT', `/api/v1/contracts/${enc(c.id)}`, req);
        else await post(`/api/v1/clients/${enc(client)}/contracts`, req);
      },
    }).then((ok) => ok && load());
  }

  async function end(c) {
    const date = h('input', { type: 'date', id: 'contract-end-date', name: 'date' });
    const ok = await modal({ title: `End ${c.name} early`, ok: 'End contract', danger: true,
      body: h('div', { class: 'stack' }, h('p', { text: 'From this day on the contract is not active and does not renew.' }), field('Date', date, 'empty: today')),
      onSubmit: async () => post(`/api/v1/contracts/${enc(c.id)}/end`, { date: date.value }) });
    if (ok) load();
  }

  async function editEntitlement(c, e) {
    const name = h('input', { name: 'name', id: 'ent-f-name', value: e?.name || '', required: true, maxlength: '200' });
    const consumable = h('input', { type: 'checkbox', id: 'ent-f-consumable', checked: e ? e.consumable : true });
    const known = UNITS.some(([u]) => u === (e?.unit || 'hours'));
    const unit = select('unit', UNITS, known ? (e?.unit || 'hours') : 'custom', { id: 'ent-f-unit' });
    const custom = h('input', { id: 'ent-f-custom', maxlength: '32', placeholder: 'unit, e.g. backups', value: known ? '' : e.unit, hidden: known });
    unit.addEventListener('change', () => { custom.hidden = unit.value !== 'custom'; });
    const quantity = h('input', { type: 'number', id: 'ent-f-quantity', min: '0', step: 'any', value: e?.sold ?? '' });
    const expiry = h('input', { type: 'date', id: 'ent-f-expiry', value: e?.expiry && e.expiry !== c.effective_end ? e.expiry : '' });
    const over = h('input', { type: 'checkbox', id: 'ent-f-over', checked: !!e?.allow_over });
    const body = h('div', { class: 'stack' }, field('Name', name),
      h('label', {}, consumable, ' Consumable (tracked); unticked: a benefit, listed only'),
      field('Unit', h('span', {}, unit, ' ', custom)), field('Quantity sold', quantity), field('Expiry', expiry, 'empty: the contract\'s end'),
      h('label', {}, over, ' Allow use beyond what was sold (flagged); unticked: refused'));
    const ok = await modal({ title: e ? `Edit ${e.name}` : `Add entitlement to ${c.name}`, body, ok: e ? 'Save' : 'Add',
      onSubmit: async () => {
        const req = { name: name.value, consumable: consumable.checked, unit: unit.value === 'custom' ? custom.value : unit.value,
          quantity: Number(quantity.value || 0), expiry: expiry.value, allow_over: over.checked };
        if (e) return api('PUT', `/api/v1/contracts/${enc(c.id)}/entitlements/${enc(e.id)}`, req);
        return post(`/api/v1/contracts/${enc(c.id)}/entitlements`, req);
      } });
    if (ok) load();
  }

  async function deliver(c, e) {
    const quantity = h('input', { type: 'number', id: 'deliver-quantity', min: '0', step: 'any', value: '1', required: true });
    const date = h('input', { type: 'date', id: 'deliver-date' });
    const ticket = h('input', { type: 'number', id: 'deliver-ticket', min: '0' });
    const note = h('input', { id: 'deliver-note', maxlength: '2000' });
    const ok = await modal({ title: `Record ${unitLabel(e.unit)} delivered: ${e.name}`, ok: 'Record',
      body: h('div', { class: 'stack' }, field(`Quantity (${unitLabel(e.unit)})`, quantity), field('Date', date, 'empty: today'),
        field('Ticket number', ticket, 'optional'), field('Note', note)),
      onSubmit: async () => post(`/api/v1/contracts/${enc(c.id)}/entitlements/${enc(e.id)}/consumptions`,
        { quantity: Number(quantity.value), date: date.value, ticket_number: Number(ticket.value || 0), note: note.value }) });
    if (ok) {
      toast(`Recorded ${ok.quantity} ${unitLabel(ok.unit)}${ok.over ? ' (beyond what was sold)' : ''}.`);
      load();
    }
  }

  async function drill(c, e) {
    const base = `/api/v1/contracts/${enc(c.id)}/entitlements/${enc(e.id)}/consumptions`;
    let out;
    try {
      out = await get(base);
    } catch (err) {
      toast(err.message, 'error');
      return;
    }
    await modal({ title: `${e.name}: consumption`, ok: 'Close', cancel: '', wide: true,
      body: h('div', { class: 'stack', id: 'consumption-drill' }, usageBar(out.entitlement), consumptionList(out.consumptions),
        h('a', { href: `${base}?format=csv`, id: 'consumption-csv', download: '', text: 'Download CSV' })) });
  }

  load();
  return { update() {} };
}
