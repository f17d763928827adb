// Client: one client's page. The pinned fields stay above every tab; the
// tabs come from the registry in client-tabs.js, each mounted the first
// time it is shown and kept while the page is open.
import { h, put, enc, throttle } from '../lib/dom.js';
import { get, can } from '../lib/api.js';
import { rankingBadge } from '../lib/clients.js';
import { CLIENT_TABS } from './client-tabs.js';

export function mount(root, ctx) {
  // The URL may name the client (/clients/Acme); tabs get its ID once loaded.
  let clientId = ctx.params[0];
  const tabs = CLIENT_TABS.filter((t) => !t.perm || can(t.perm));
  let tab = tabs.some((t) => t.id === ctx.params[1]) ? ctx.params[1] : tabs[0].id;
  let client = null;
  const mounted = new Map(); // tab id -> { el, page }
  const head = h('div', { class: 'client-head' }, h('h1', { text: 'Client' }));
  const strip = h('div', { class: 'pinned-strip', id: 'pinned-strip', hidden: true });
  const tabBar = h('div', { class: 'tabs', role: 'tablist', id: 'client-tabs' });
  const body = h('div', { class: 'tab-panels' });
  const status = h('p', { class: 'muted', text: 'Loading…' });
  put(root, h('p', { class: 'crumbs' }, h('a', { href: '/clients', text: 'Clients' }), ' / '), head, strip, tabBar, status, body);

  const tabCtx = () => ({ ...ctx, clientId, client, refresh: load });

  function showTab(id, push) {
    tab = id;
    if (push) history.replaceState(null, '', `/clients/${enc(clientId)}/${id}`);
    put(tabBar, tabs.map((t) => h('button', { type: 'button', role: 'tab', class: ['tab', t.id === tab && 'active'],
      'aria-selected': String(t.id === tab), id: `client-tab-${t.id}`, text: t.title, onclick: () => showTab(t.id, true) })));
    if (!mounted.has(id) && client) {
      const el = h('section', { class: 'tab-panel', id: `client-panel-${id}`, role: 'tabpanel' });
      body.append(el);
      const t = tabs.find((x) => x.id === id);
      let page = null;
      try {
        page = t.mount(el, tabCtx()) || null;
      } catch (e) {
        console.error(e);
        put(el, h('p', { class: 'error', text: `This tab failed: ${e.message}` }));
      }
      mounted.set(id, { el, page });
    }
    for (const [k, m] of mounted) m.el.hidden = k !== tab;
  }

  function render() {
    const c = client.client;
    document.title = `${c.name} · Steward`;
    put(head, h('h1', { class: 'wrap', id: 'client-name', text: c.name }), rankingBadge(c.ranking));
    put(strip, (client.pinned || []).map((p) => h('div', { class: 'pin', dataset: { key: p.key } },
      h('span', { class: 'pin-label', text: p.label }),
      h('span', { class: 'pin-value', title: p.value || '', text: p.value || '—' }))));
    strip.hidden = !(client.pinned || []).length;
  }

  let first = true;
  async function load() {
    try {
      client = await get(`/api/v1/clients/${enc(clientId)}`);
    } catch (e) {
      put(head, h('h1', { text: 'Client' }));
      status.className = 'error';
      status.textContent = e.status === 404 ? 'This client does not exist or is outside your clients.' : e.message;
      return;
    }
    clientId = client.client.id;
    status.remove();
    render();
    if (first) {
      first = false;
      showTab(tab, false);
      requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('steward:client-first-paint')));
    }
    for (const m of mounted.values()) m.page?.update?.(client);
  }
  load();
  const reload = throttle(load, 2000);
  return {
    dispose() { for (const m of mounted.values()) m.page?.dispose?.(); },
    onEvent(ev) {
      if (ev.type === 'resync') reload();
      for (const m of mounted.values()) m.page?.onEvent?.(ev);
    },
  };
}

