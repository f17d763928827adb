// Notifications (admins of every client): the channels alerts go to
// (signed webhooks, e-mail), the rules that route alert changes to them,
// and the outbox of recent deliveries with their status, attempts and
// last error; a channel can be sent a test, a dead delivery retried.
import { h, put, enc } from '../lib/dom.js';
import { get, post, del, can } from '../lib/api.js';
import { time } from '../lib/format.js';
import { modal, confirm, toast, field, select, empty, copyButton } from '../lib/ui.js';

const SEVERITIES = [['information', 'Information'], ['warning', 'Warning'], ['critical', 'Critical']];
const KINDS = ['raised', 'escalated', 'resolved', 'snoozed', 'reopened'];
const STATUSES = [['', 'Any status'], ['pending', 'Pending'], ['sent', 'Sent'], ['dead', 'Dead'], ['merged', 'Merged into another']];

export function mount(root) {
  if (!can('notifications')) {
    put(root, h('h1', { text: 'Notifications' }), h('p', { class: 'error', text: 'You do not have permission to manage notifications.' }));
    return {};
  }
  let channels = [];
  let clients = [];
  const chanBox = h('div', { class: 'table-wrap' }, h('p', { class: 'muted', text: 'Loading…' }));
  const ruleBox = h('div', { class: 'table-wrap' });
  const dlBox = h('div', { class: 'table-wrap' });
  const statusIn = select('status', STATUSES, '', { id: 'deliveries-status', 'aria-label': 'Delivery status' });
  statusIn.addEventListener('change', () => loadDeliveries());
  /** group labels a set of checkboxes (a <label> may not hold labels). */
  const group = (label, control, hint) => h('div', { class: 'field' }, h('span', { class: 'label', text: label }), control,
    hint && h('span', { class: 'hint', text: hint }));
  const chanName = (id) => channels.find((c) => c.id === id)?.name || id;
  const clientName = (id) => clients.find((c) => c.id === id)?.name || id;

  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Notifications' })),
    h('p', { class: 'muted', text: 'Alert changes go to channels by the rules below. Every delivery is stored before it is sent and retried with backoff for a day; webhooks are signed (X-Steward-Signature) and carry a delivery ID (X-Steward-Delivery) receivers de-duplicate on.' }),
    h('section', { class: 'panel' }, h('div', { class: 'page-head' }, h('h2', { text: 'Channels' }),
      h('button', { type: 'button', class: 'primary small', id: 'channel-add', text: 'Add channel', onclick: addChannel })), chanBox),
    h('section', { class: 'panel' }, h('div', { class: 'page-head' }, h('h2', { text: 'Rules' }),
      h('button', { type: 'button', class: 'primary small', id: 'rule-add', text: 'Add rule', onclick: addRule })), ruleBox),
    h('section', { class: 'panel' }, h('div', { class: 'page-head' }, h('h2', { text: 'Recent deliveries' }), h('div', { class: 'toolbar' }, statusIn)), dlBox));

  async function load() {
    try {
      [channels, clients] = await Promise.all([get('/api/v1/notifications/channels'), get('/api/v1/clients')]);
      channels ||= [];
      clients ||= [];
    } catch (e) {
      put(chanBox, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(chanBox, channels.length ? h('table', { class: 'grid', id: 'channels-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Target', 'Status', 'Created', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, channels.map((c) => h('tr', { dataset: { channel: c.id } },
        h('td', { text: c.name }),
        h('td', { text: c.type === 'email' ? 'E-mail' : 'Webhook' }),
        h('td', { class: 'wrap', text: c.type === 'email' ? (c.to || []).join(', ') : c.url }),
        h('td', { text: c.disabled ? 'disabled' : 'active' }),
        h('td', {}, time(c.created_at)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small channel-test', text: 'Send test', onclick: () => testChannel(c) }),
          h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => removeChannel(c) }))))))
      : empty('No channels yet: add a webhook or an e-mail channel.'));
    await Promise.all([loadRules(), loadDeliveries()]);
  }

  async function loadRules() {
    let rules = [];
    try {
      rules = (await get('/api/v1/notifications/rules')) || [];
    } catch (e) {
      put(ruleBox, h('p', { class: 'error', text: e.message }));
      return;
    }
    const any = (l, f = (x) => x) => (l && l.length ? l.map(f).join(', ') : 'any');
    put(ruleBox, rules.length ? h('table', { class: 'grid', id: 'rules-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Min. severity', 'Clients', 'Profiles', 'Changes', 'Channels', 'Re-notify', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, rules.map((r) => h('tr', { dataset: { rule: r.id } },
        h('td', { text: r.name }),
        h('td', { text: r.min_severity }),
        h('td', { class: 'wrap', text: any(r.clients, clientName) }),
        h('td', { class: 'wrap', text: any(r.profiles) }),
        h('td', { class: 'wrap', text: any(r.kinds) }),
        h('td', { class: 'wrap', text: r.channels.map(chanName).join(', ') }),
        h('td', { text: r.renotify_minutes ? `every ${r.renotify_minutes} min` : 'no' }),
        h('td', { class: 'actions' }, h('button', { type: 'button', class: 'small danger', text: 'Delete', onclick: () => removeRule(r) }))))))
      : empty('No rules yet: without one, alerts notify no one.'));
  }

  async function loadDeliveries() {
    let ds = [];
    try {
      ds = (await get(`/api/v1/notifications/deliveries?limit=100${statusIn.value ? `&status=${enc(statusIn.value)}` : ''}`)) || [];
    } catch (e) {
      put(dlBox, h('p', { class: 'error', text: e.message }));
      return;
    }
    put(dlBox, ds.length ? h('table', { class: 'grid', id: 'deliveries-table' },
      h('thead', {}, h('tr', {}, ['Created', 'Channel', 'Status', 'Alerts', 'Attempts', 'Next attempt', 'Last error', 'Subject', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, ds.map((d) => h('tr', { dataset: { delivery: d.id, status: d.status } },
        h('td', {}, time(d.created_at)),
        h('td', { text: d.channel_name || d.channel_id }),
        h('td', {}, h('span', { class: ['badge', d.status === 'dead' ? 'bad' : d.status === 'sent' ? 'ok' : ''], text: d.status })),
        h('td', { class: 'num', text: String(d.count) }),
        h('td', { class: 'num', text: String(d.attempts) }),
        h('td', {}, d.status === 'pending' ? time(d.next_attempt) : ''),
        h('td', { class: 'wrap', text: d.last_error || '' }),
        h('td', { class: 'wrap', text: d.subject }),
        h('td', { class: 'actions' }, d.status === 'dead'
          ? h('button', { type: 'button', class: 'small delivery-retry', text: 'Retry', onclick: () => retry(d) }) : null)))))
      : empty('No deliveries.'));
  }

  async function addChannel() {
    const typeIn = select('type', [['webhook', 'Webhook'], ['email', 'E-mail']], 'webhook', { id: 'channel-type' });
    const nameIn = h('input', { name: 'name', id: 'channel-name', required: true, maxlength: '80', autocomplete: 'off' });
    const urlIn = h('input', { name: 'url', id: 'channel-url', type: 'url', placeholder: 'https://hooks.example.com/steward', maxlength: '2000' });
    const secretIn = h('input', { name: 'secret', id: 'channel-secret', autocomplete: 'off', placeholder: 'empty: a random one, shown once', maxlength: '256' });
    const toIn = h('input', { name: 'to', id: 'channel-to', placeholder: 'ops@example.com, oncall@example.com' });
    const hook = h('div', { class: 'stack' }, field('URL', urlIn), field('Signing secret', secretIn, '16 to 256 characters'));
    const mail = h('div', { class: 'stack', hidden: true }, field('To', toIn, 'comma-separated addresses; sent through the server\'s --smtp-host'));
    typeIn.addEventListener('change', () => { hook.hidden = typeIn.value !== 'webhook'; mail.hidden = !hook.hidden; });
    const made = await modal({ title: 'Add channel', ok: 'Add', body: h('div', { class: 'stack' }, field('Name', nameIn), field('Type', typeIn), hook, mail),
      onSubmit: () => post('/api/v1/notifications/channels', { name: nameIn.value, type: typeIn.value, url: urlIn.value || undefined,
        secret: secretIn.value || undefined, to: typeIn.value === 'email' ? toIn.value.split(',').map((s) => s.trim()).filter(Boolean) : undefined }) });
    if (!made) return;
    if (made.secret) {
      await modal({ title: 'Webhook secret', cancel: null, ok: 'Done', body: h('div', { class: 'stack' },
        h('p', { text: 'Give this secret to the receiver now: it is not shown again. The receiver checks X-Steward-Signature: sha256=HMAC(secret, timestamp + "." + body).' }),
        h('code', { class: 'secret', id: 'channel-secret-shown', text: made.secret }), copyButton(() => made.secret)) });
    }
    toast(`Channel ${made.name} added`);
    load();
  }

  async function testChannel(c) {
    try {
      await post(`/api/v1/notifications/channels/${enc(c.id)}/test`);
      toast(`Test queued to ${c.name}`);
      setTimeout(loadDeliveries, 1500);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function removeChannel(c) {
    if (!(await confirm('Delete channel', `Delete ${c.name}? Rules naming it stop sending to it.`, { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/notifications/channels/${enc(c.id)}`);
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function addRule() {
    if (!channels.length) {
      toast('Add a channel first', 'error');
      return;
    }
    const nameIn = h('input', { name: 'name', id: 'rule-name', required: true, maxlength: '80', autocomplete: 'off' });
    const sevIn = select('min_severity', SEVERITIES, 'warning', { id: 'rule-severity' });
    const box = (name, items, label) => items.map(([v, t]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value: v }), ` ${label ? label(t) : t}`));
    const chanChecks = h('div', { class: 'checks', id: 'rule-channels' }, box('channel', channels.map((c) => [c.id, c.name])));
    const clientChecks = h('div', { class: 'checks', id: 'rule-clients' }, box('client', clients.map((c) => [c.id, c.name])));
    const kindChecks = h('div', { class: 'checks', id: 'rule-kinds' }, box('kind', KINDS.map((k) => [k, k])));
    const renotifyIn = h('input', { name: 'renotify', id: 'rule-renotify', type: 'number', min: '0', max: '10080', value: '0' });
    const checked = (el) => [...el.querySelectorAll('input:checked')].map((i) => i.value);
    const made = await modal({ title: 'Add rule', ok: 'Add', wide: true,
      body: h('div', { class: 'stack' }, field('Name', nameIn), field('Minimum severity', sevIn),
        group('Channels', chanChecks), group('Clients', clientChecks, 'none checked: every client'),
        group('Changes', kindChecks, 'none checked: every change'), field('Re-notify every (minutes)', renotifyIn, '0: never; repeats while the alert stays open')),
      onSubmit: () => post('/api/v1/notifications/rules', { name: nameIn.value, min_severity: sevIn.value, channels: checked(chanChecks),
        clients: checked(clientChecks), kinds: checked(kindChecks), renotify_minutes: Number(renotifyIn.value) || 0 }) });
    if (made) {
      toast(`Rule ${made.name} added`);
      loadRules();
    }
  }

  async function removeRule(r) {
    if (!(await confirm('Delete rule', `Delete the rule ${r.name}?`, { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/notifications/rules/${enc(r.id)}`);
      loadRules();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function retry(d) {
    try {
      await post(`/api/v1/notifications/deliveries/${enc(d.id)}/retry`);
      toast('Delivery queued again');
      loadDeliveries();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  return {};
}
