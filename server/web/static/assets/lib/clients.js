// Client helpers shared by the clients list and the client page.
import { h } from './dom.js';

/** RANKINGS are the client rankings, 1 (low) to 5 (critical); 0 = none. */
export const RANKINGS = ['', 'low', 'normal', 'high', 'urgent', 'critical'];

/** rankingBadge shows a ranking as a coloured word (nothing when unset). */
export function rankingBadge(n) {
  if (!n || !RANKINGS[n]) return null;
  return h('span', { class: ['badge', n >= 4 ? 'bad' : n === 3 ? 'warn' : 'run'], dataset: { ranking: String(n) }, text: RANKINGS[n] });
}
