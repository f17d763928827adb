// A client's tab on a page of its own (/clients/ID/passwords, ...): hosts
// the client tab modules (each exporting { id, title, mount(root, ctx) })
// until they join the client page's tab registry.
import { h, put } from '../lib/dom.js';
import { get } from '../lib/api.js';
import * as passwords from './client-passwords.js';
import * as attachments from './client-attachments.js';
import * as assets from './client-assets.js';

const TABS = [passwords, attachments, assets];

export function mount(root, ctx) {
  const [ref, tabID] = ctx.params;
  const tab = TABS.find((t) => t.id === tabID);
  const body = h('div', { id: 'client-tab' }, h('p', { class: 'muted', text: 'Loading…' }));
  const head = h('h1', { text: 'Client' });
  put(root, h('div', { class: 'page-head' }, head), body);
  let inner = null;
  let gone = false;
  (async () => {
    let client;
    try {
      client = ((await get('/api/v1/clients')) || []).find((c) => c.id === ref || c.name === ref);
    } catch (e) {
      put(body, h('p', { class: 'error', text: e.message }));
      return;
    }
    if (gone) return;
    if (!client || !tab) {
      put(body, h('p', { class: 'error', id: 'client-tab-missing', text: client ? 'No such tab.' : 'Client not found.' }));
      return;
    }
    put(head, `${client.name} · ${tab.title}`);
    document.title = `${client.name} · ${tab.title} · Steward`;
    inner = tab.mount(body, { ...ctx, clientId: client.id, client }) || null;
  })();
  return {
    dispose() {
      gone = true;
      inner?.dispose?.();
    },
    onEvent(ev) { inner?.onEvent?.(ev); },
  };
}
