// The overview's notice of password vault reveal bursts (audit events
// vault.reveal_burst: a user revealed more entries in an hour than the
// server's --vault-burst-per-hour) of the last seven days, for users who
// may read the audit log. Until the alerts wing takes them, this is where
// they show.
import { h, put } from './dom.js';
import { get, can } from './api.js';
import { time } from './format.js';

export function vaultNotice() {
  const box = h('section', { class: 'panel notice', id: 'vault-bursts', hidden: true });
  if (!can('audit')) return box;
  get('/api/v1/audit?action=vault.reveal_burst&limit=5000').then((evs) => {
    const since = Date.now() - 7 * 24 * 3600 * 1000;
    const recent = (evs || []).filter((e) => Date.parse(e.at) >= since).slice(-5).reverse();
    if (!recent.length) return;
    put(box, h('h2', { text: 'Password vault: unusual reveals' }),
      h('ul', {}, recent.map((e) => h('li', {}, time(e.at), ' ',
        h('strong', { text: e.actor }), ` revealed ${e.detail?.entries || 'many'} passwords within an hour (limit ${e.detail?.limit || '?'}), from ${e.source || 'unknown'}`))),
      h('p', {}, h('a', { href: '/audit', text: 'See the audit log' })));
    box.hidden = false;
  }).catch(() => {});
  return box;
}
