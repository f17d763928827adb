// Portal section "Activity" (customer admins): what the customer's
// organisation bought under contract, what it used and what remains, what
// expires soon, and work that fell under no contract. Always its own
// client: the server scopes GET /api/v1/portal/usage to the portal
// identity.
import { h, put } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { select } from '../lib/ui.js';
import { renderActivity } from '../lib/contracts.js';

export const id = 'activity';
export const title = 'Activity';

export function mount(root) {
  const status = select('status', [['active', 'Active contracts'], ['inactive', 'Ended contracts'], ['all', 'All contracts']], 'active',
    { id: 'portal-activity-status', 'aria-label': 'Which contracts' });
  const body = h('div', { id: 'portal-usage' }, h('p', { class: 'muted', text: 'Loading…' }));
  put(root, h('div', { class: 'page-head' }, h('h2', { text: 'Contracts and activity' }), h('span', { class: 'spacer' }), status), body);
  let gone = false;
  async function load() {
    try {
      const a = await get(`/api/v1/portal/usage?status=${encodeURIComponent(status.value)}`);
      if (!gone) put(body, renderActivity(a));
    } catch (e) {
      if (!gone) put(body, h('p', { class: 'error', text: e.message }));
    }
  }
  status.addEventListener('change', load);
  load();
  return { dispose() { gone = true; } };
}
