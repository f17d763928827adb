// Enrollment: create a token for a client and copy the ready-made install
// commands; list and revoke tokens.
import { h, put, enc } from '../lib/dom.js';
import { get, api, can } from '../lib/api.js';
import { time, full } from '../lib/format.js';
import { confirm, toast, field, select, copyButton, empty } from '../lib/ui.js';

const EXPIRY = [[3600, '1 hour'], [86400, '1 day'], [7 * 86400, '7 days'], [30 * 86400, '30 days'], [365 * 86400, '1 year']];
const ORDER = ['linux', 'macos', 'windows', 'agent'];
const order = (k) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
// The server's agent builds per install command (agent: a binary already on
// the device needs none).
const GOOS = { linux: 'linux', macos: 'darwin', windows: 'windows' };
const ARCHES = ['amd64', 'arm64'];

/**
 * agentBuilds says which agent builds this server can hand out, as
 * { linux: { amd64: true, arm64: false }, ... }: from the token response's
 * agent_builds ({ available: ["linux/amd64", ...], missing: [...] }), or
 * from GET /api/v1/agent-builds when a response lacks it (null: unknown).
 */
export async function agentBuilds(t) {
  let b = t && t.agent_builds;
  if (!b || !Array.isArray(b.available)) {
    try {
      b = await get('/api/v1/agent-builds');
    } catch {
      b = null;
    }
  }
  const have = new Set((b && b.available) || []);
  const out = {};
  for (const [k, goos] of Object.entries(GOOS)) {
    for (const arch of ARCHES) (out[k] ||= {})[arch] = b ? have.has(`${goos}/${arch}`) : null;
  }
  return out;
}

/** buildNote says which builds a platform's command can fetch. */
function buildNote(k, builds) {
  const b = builds[k];
  if (!b) return null;
  const missing = ARCHES.filter((a) => b[a] === false);
  if (!missing.length) return null;
  const text = missing.length === ARCHES.length
    ? `This server has no ${LABELS[k]?.split(' ')[0] || k} agent build: this command will fail with "no agent build". Put steward-agent-${GOOS[k]}-amd64${k === 'windows' ? '.exe' : ''} (and the other architectures) in the server's agent folder, or build them with make cross.`
    : `This server has no ${GOOS[k]}/${missing.join(', ')} agent build; devices of that architecture cannot install with this command.`;
  return h('p', { class: ['build-missing', missing.length === ARCHES.length ? 'error' : 'muted'], dataset: { missing: missing.join(' ') }, text });
}

const LABELS = { linux: 'Linux', macos: 'macOS', windows: 'Windows (PowerShell, as administrator)', agent: 'Agent binary already on the device' };

export function mount(root, ctx) {
  if (!can('clients')) {
    put(root, h('h1', { text: 'Enrollment' }), h('p', { class: 'error', text: 'You do not have permission to enroll devices.' }));
    return {};
  }
  const client = h('select', { name: 'client', id: 'token-client', required: true });
  const expiry = select('expires', EXPIRY, 7 * 86400, { id: 'token-expiry' });
  const uses = h('input', { type: 'number', name: 'max_uses', id: 'token-uses', min: '0', max: '1000000', value: '0' });
  const note = h('input', { name: 'note', id: 'token-note', maxlength: '200', placeholder: 'e.g. front office PCs' });
  const approval = h('input', { type: 'checkbox', name: 'require_approval', id: 'token-approval' });
  const btn = h('button', { type: 'submit', class: 'primary', id: 'token-create', text: 'Create token' });
  const form = h('form', { class: 'stack narrow', id: 'token-form' }, field('Client', client), field('Expires after', expiry),
    field('Maximum devices', uses, '0 = no limit until it expires'), field('Note', note),
    h('label', { class: 'check' }, approval, ' Require approval: enrolled devices get no job until a technician approves them'), h('div', {}, btn));
  const result = h('div', { id: 'token-result' });
  const list = h('div', { class: 'panel' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Enrollment' })),
    h('div', { class: 'columns' }, h('section', {}, h('h2', { text: 'New enrollment token' }), form), h('section', {}, result)),
    h('h2', { text: 'Tokens' }), list);

  let clients = [];
  get('/api/v1/clients').then((cs) => {
    clients = (cs || []).sort((a, b) => a.name.localeCompare(b.name));
    const want = ctx.query.get('client');
    put(client, clients.length ? clients.map((c) => h('option', { value: c.id, selected: c.id === want, text: c.name }))
      : h('option', { value: '', text: 'Create a client first' }));
  }).catch((e) => put(client, h('option', { value: '', text: `Could not load the clients: ${e.message}` }))).finally(() => loadTokens());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    try {
      const t = await api('POST', '/api/v1/tokens', { client: client.value, expires_seconds: Number(expiry.value),
        max_uses: Math.max(0, parseInt(uses.value, 10) || 0), note: note.value.trim(), require_approval: approval.checked });
      showToken(t);
      loadTokens();
    } catch (ex) {
      toast(`Could not create the token: ${ex.message}`, 'error');
    } finally {
      btn.disabled = false;
    }
  });

  function showToken(t) {
    const name = clients.find((c) => c.id === t.client_id)?.name || t.client_id;
    put(result, h('h2', { text: `Install commands for ${name}` }),
      h('p', { class: 'muted' }, `This token is shown only now. It expires ${full(t.expires_at)}`, t.max_uses ? ` after ${t.max_uses} device(s)` : '', '.'),
      h('div', { class: 'cmd' }, h('div', { class: 'cmd-head' }, h('strong', { text: 'Token' }), copyButton(() => t.token)), h('pre', { class: 'code', id: 'token-secret', text: t.token })),
      Object.entries(t.install || {}).sort(([a], [b]) => order(a) - order(b)).map(([k, cmd]) => h('div', { class: 'cmd', dataset: { os: k } },
        h('div', { class: 'cmd-head' }, h('strong', { text: LABELS[k] || k }), copyButton(() => cmd)), h('pre', { class: 'code', text: cmd }),
        h('div', { class: 'build-note' }))));
    if (!Object.keys(t.install || {}).length) {
      result.append(h('p', { class: 'error', id: 'no-install', text: 'The server made no install commands for this token (see its log); enroll with the agent binary and the token above.' }));
    }
    agentBuilds(t).then((builds) => {
      for (const el of result.querySelectorAll('.cmd[data-os]')) put(el.querySelector('.build-note'), buildNote(el.dataset.os, builds));
    });
  }

  async function loadTokens() {
    try {
      const ts = (await get('/api/v1/tokens')) || [];
      ts.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
      const cname = (id) => clients.find((c) => c.id === id)?.name || id;
      const status = (t) => (t.revoked ? ['revoked', 'off'] : new Date(t.expires_at) < new Date() ? ['expired', 'off']
        : t.max_uses && t.uses >= t.max_uses ? ['used up', 'off'] : ['active', 'ok']);
      put(list, ts.length ? h('table', { class: 'grid', id: 'tokens-table' },
        h('thead', {}, h('tr', {}, ['Client', 'Note', 'Created', 'By', 'Expires', 'Used', 'Status', 'Approval', ''].map((x) => h('th', { text: x })))),
        h('tbody', {}, ts.map((t) => {
          const [s, cls] = status(t);
          return h('tr', { dataset: { token: t.id } }, h('td', { class: 'wrap', text: cname(t.client_id) }), h('td', { class: 'wrap', text: t.note || '' }), h('td', {}, time(t.created_at)),
            h('td', { text: t.created_by || '' }), h('td', {}, time(t.expires_at)), h('td', { class: 'num', text: `${t.uses}${t.max_uses ? ` / ${t.max_uses}` : ''}` }),
            h('td', {}, h('span', { class: ['badge', cls], text: s })),
            h('td', { text: t.require_approval ? 'required' : '' }),
            h('td', {}, s === 'active' ? h('button', { type: 'button', class: 'small', text: 'Revoke', onclick: () => revoke(t) }) : null));
        }))) : empty('No tokens yet.'));
    } catch (e) {
      put(list, h('p', { class: 'error', text: e.message }));
    }
  }
  async function revoke(t) {
    if (!await confirm('Revoke token', 'Devices can no longer enroll with this token. Devices already enrolled stay.', { ok: 'Revoke', danger: true })) return;
    try {
      await api('DELETE', `/api/v1/tokens/${enc(t.id)}`);
      loadTokens();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  return {};
}
