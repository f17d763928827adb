// Client tab "Activity" (the customer activity page; admins and users
// with the customer_activity permission): active contracts with their
// dates, each entitlement's use and what remains, what expires within N
// days, and work under no contract; filtered by contract, entitlement and
// active/inactive.
import { h, put, enc } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { select } from '../lib/ui.js';
import { renderActivity } from '../lib/contracts.js';

export const id = 'activity';
export const title = 'Activity';
export const perm = 'customer_activity';

export function mount(root, ctx) {
  const client = ctx.clientId;
  const status = select('status', [['active', 'Active'], ['inactive', 'Inactive'], ['all', 'All']], 'active',
    { id: 'activity-status', 'aria-label': 'Contract status' });
  const contract = select('contract', [['', 'Every contract']], '', { id: 'activity-contract', 'aria-label': 'Contract' });
  const entitlement = select('entitlement', [['', 'Every entitlement']], '', { id: 'activity-entitlement', 'aria-label': 'Entitlement' });
  const days = h('input', { type: 'number', id: 'activity-days', min: '0', max: '3650', value: '30', 'aria-label': 'Expiring within days' });
  const body = h('div', { id: 'activity-body' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Customer activity' }), h('span', { class: 'spacer' })),
    h('div', { class: 'toolbar' }, status, contract, entitlement, h('label', {}, 'expiring within ', days, ' days')), body);
  let all = null; // every contract, for the filters' options
  async function options() {
    all = await get(`/api/v1/clients/${enc(client)}/contracts`).catch(() => ({ contracts: [] }));
    const keep = (sel, opts) => {
      const v = sel.value;
      put(sel, opts.map(([val, label]) => h('option', { value: val, text: label })));
      sel.value = opts.some(([x]) => x === v) ? v : '';
    };
    keep(contract, [['', 'Every contract'], ...all.contracts.map((c) => [c.id, c.name])]);
    const ents = all.contracts.filter((c) => !contract.value || c.id === contract.value).flatMap((c) => c.entitlements || []);
    keep(entitlement, [['', 'Every entitlement'], ...ents.map((e) => [e.id, e.name])]);
  }
  async function load() {
    const q = new URLSearchParams({ status: status.value, days: days.value || '30' });
    if (contract.value) q.set('contract', contract.value);
    if (entitlement.value) q.set('entitlement', entitlement.value);
    try {
      put(body, renderActivity(await get(`/api/v1/clients/${enc(client)}/activity?${q}`)));
    } catch (e) {
      put(body, h('p', { class: 'error', text: e.message }));
    }
  }
  contract.addEventListener('change', () => options().then(load));
  for (const el of [status, entitlement, days]) el.addEventListener('change', load);
  options().then(load);
  return { update() { options().then(load); } };
}
