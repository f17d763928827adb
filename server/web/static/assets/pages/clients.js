// Clients: every client with its ranking and device counts, found by
// name, domain or company number and filtered by ranking; creating
// clients; actions on a whole client's devices; and, for admins, the
// custom client fields and the fields pinned above every client page.
import { h, put, enc, throttle, debounce } from '../lib/dom.js';
import { get, post, can, session, qs } from '../lib/api.js';
import { count, time } from '../lib/format.js';
import { modal, confirm, toast, field, select } from '../lib/ui.js';
import { createJob, scriptForm } from '../lib/jobs.js';
import { RANKINGS, rankingBadge } from '../lib/clients.js';
import { fieldsPanel } from './client/fields-admin.js';

export function mount(root, ctx) {
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  const canCreate = can('clients') && session.me.all_clients;
  const name = h('input', { name: 'name', id: 'client-name', required: true, maxlength: '100', placeholder: 'Client name' });
  const create = h('form', { class: 'toolbar', id: 'client-create' }, name, h('button', { type: 'submit', class: 'primary', text: 'Add client' }));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/v1/clients', { name: name.value.trim() });
      toast(`Client ${name.value.trim()} added.`, 'ok');
      name.value = '';
      load();
    } catch (ex) {
      toast(ex.message, 'error');
    }
  });
  const st = { search: ctx.query.get('search') || '', ranking: ctx.query.get('ranking') || '', page: 0, total: 0 };
  const PAGE = 100;
  const pager = h('div', { class: 'pager', id: 'clients-pager' });
  const search = h('input', { type: 'search', id: 'clients-search', placeholder: 'Search name, domain or company number', 'aria-label': 'Search clients', maxlength: '256', value: st.search });
  const fRank = select('ranking', [['', 'Any ranking'], ...RANKINGS.slice(1).map((r, i) => [i + 1, r])], st.ranking, { id: 'clients-ranking', 'aria-label': 'Ranking' });
  const total = h('span', { class: 'muted', id: 'clients-total' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Clients' }), total), canCreate ? create : null,
    h('div', { class: 'toolbar' }, search, fRank), list, pager,
    can('admin') && session.me.all_clients ? fieldsPanel() : null);

  const who = (c) => `${count(c.stats?.devices)} device${c.stats?.devices === 1 ? '' : 's'} of ${c.name}`;
  async function runScript(c) {
    const form = scriptForm('', c.id);
    const r = await modal({ title: `Run a script on ${who(c)}`, body: form.el, ok: `Run on ${count(c.stats?.devices)} devices`, wide: true, onSubmit: async () => ({ body: form.body() }) });
    if (r?.body) await createJob({ client: c.id, ...r.body }, `Run script on ${c.name}`);
  }
  async function reboot(c) {
    if (await confirm('Reboot a whole client', `Reboot all ${who(c)} now?`, { ok: `Reboot ${count(c.stats?.devices)} devices`, danger: true })) {
      await createJob({ client: c.id, kind: 'power', power: { action: 'reboot' } }, `Reboot ${c.name}`);
    }
  }
  async function patch(c) {
    const rb = select('reboot', [['never', 'Never reboot'], ['if-required', 'Reboot if an update requires it']], 'never');
    const r = await modal({ title: 'Install patches', ok: `Install on ${count(c.stats?.devices)} devices`,
      body: h('div', { class: 'stack' }, h('p', { text: `Install all available patches on ${who(c)}.` }), field('Reboot', rb)),
      onSubmit: async () => ({ reboot: rb.value }) });
    if (r?.reboot) await createJob({ client: c.id, kind: 'patch_install', patch: { reboot: r.reboot } }, `Install patches on ${c.name}`);
  }

  let ctl = null;
  async function load() {
    ctl?.abort();
    ctl = new AbortController();
    history.replaceState(null, '', `/clients${qs({ search: st.search.trim(), ranking: st.ranking })}`);
    try {
      // A page of clients in name order (2,000 clients cost one page of rows).
      const { data, res } = await get(`/api/v1/clients${qs({ search: st.search.trim(), ranking: st.ranking, limit: PAGE, offset: st.page * PAGE })}`,
        { signal: ctl.signal, withResponse: true });
      const rows = data || [];
      st.total = Number(res.headers.get('X-Total-Count') ?? rows.length);
      const alerts = rows.some((c) => c.open_alerts);
      total.textContent = `${count(st.total)} client${st.total === 1 ? '' : 's'}`;
      const last = Math.max(0, Math.ceil(st.total / PAGE) - 1);
      put(pager, st.total > PAGE ? [h('span', { text: `page ${count(st.page + 1)} of ${count(last + 1)}` }),
        h('button', { type: 'button', class: 'small', id: 'clients-prev', text: '‹ Previous', disabled: st.page === 0, onclick: () => { st.page--; load(); } }),
        h('button', { type: 'button', class: 'small', id: 'clients-next', text: 'Next ›', disabled: st.page >= last, onclick: () => { st.page++; load(); } })] : null);
      const filtered = st.search || st.ranking;
      put(list, rows.length ? h('table', { class: 'grid', id: 'clients-table' },
        h('thead', {}, h('tr', {}, ['Client', 'Ranking', 'Devices', 'Online', 'Offline', 'Pending reboot', 'With patches', alerts && 'Open alerts', 'Created', '']
          .filter((x) => x !== false).map((x) => h('th', { text: x })))),
        h('tbody', {}, rows.map((c) => {
          const s = c.stats || {};
          const n = s.devices || 0;
          return h('tr', { dataset: { client: c.id } },
            h('td', { class: 'clip-cell' }, h('a', { href: `/clients/${enc(c.id)}`, class: 'client-link', title: c.name, text: c.name }),
              (c.domains || []).length ? h('span', { class: 'sub', text: c.domains.join(', ') }) : null),
            h('td', {}, rankingBadge(c.ranking) || h('span', { class: 'muted', text: '—' })),
            h('td', { class: 'num' }, h('a', { href: `/devices?client=${enc(c.id)}`, text: count(n) })),
            h('td', { class: 'num', text: count(s.online) }), h('td', { class: 'num', text: count(s.offline) }),
            h('td', { class: 'num', text: count(s.pending_reboot) }), h('td', { class: 'num', text: count(s.with_patches) }),
            alerts && h('td', { text: Object.entries(c.open_alerts || {}).map(([k, v]) => `${k} ${v}`).join(', ') || '—' }),
            h('td', {}, time(c.created_at)),
            h('td', { class: 'actions' },
              can('run') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Run script…', onclick: () => runScript(c) }),
              can('power') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Reboot…', onclick: () => reboot(c) }),
              can('patch') && h('button', { type: 'button', class: 'small', disabled: !n, text: 'Patch…', onclick: () => patch(c) }),
              can('clients') && h('a', { class: 'button small', href: `/enrollment?client=${enc(c.id)}`, text: 'Enroll…' })));
        }))) : h('p', { class: 'empty', text: filtered ? 'No client matches.' : canCreate ? 'No clients yet: add the first one above.' : 'No clients are visible to you.' }));
    } catch (e) {
      if (e.name !== 'AbortError') put(list, h('p', { class: 'error', text: e.message }));
    }
  }
  search.addEventListener('input', debounce(() => { st.search = search.value; st.page = 0; load(); }, 250));
  fRank.addEventListener('change', () => { st.ranking = fRank.value; st.page = 0; load(); });
  const reload = throttle(load, 2000);
  load();
  return { onEvent(ev) { if (ev.type === 'device' || ev.type === 'resync') reload(); } };
}
