// Help-desk search results: what one box finds across every client the
// user may see (GET /api/v1/search), grouped into clients, contacts and
// devices, each with its client. "Search in this client" narrows to one
// client; a client offers "View as customer" (the customer portal, read
// only, while the customer allows it: the server says why not
// otherwise); a contact offers "Verify caller" (a one-time code e-mailed
// to the contact, checked when the caller reads it back).
import { h, put, enc } from '../lib/dom.js';
import { get, post, can } from '../lib/api.js';
import { onlineBadge, time } from '../lib/format.js';

const KINDS = { name: 'name', email: 'e-mail', phone: 'phone', sip: 'SIP', mac: 'MAC', ip: 'IP', serial: 'serial', domain: 'domain', id: 'ID' };
const matchedText = (m) => (m || []).map((k) => KINDS[k] || k).join(', ');

function searchHref(q, client) {
  return `/search?q=${enc(q)}${client ? `&client=${enc(client)}` : ''}`;
}

export function mount(root, ctx) {
  const q = (ctx.query.get('q') || '').trim();
  const client = ctx.query.get('client') || '';
  if (!can('helpdesk')) {
    put(root, h('h1', { text: 'Search' }), h('p', { class: 'error', text: 'The help-desk search needs the help-desk role or above.' }));
    return {};
  }
  const input = h('input', { type: 'search', id: 'search-q', name: 'q', value: q, maxlength: '200', autocomplete: 'off',
    placeholder: 'Name, e-mail, phone, MAC, IP, serial, SIP, domain or ID', 'aria-label': 'Search' });
  const form = h('form', { class: 'toolbar', id: 'search-form', role: 'search' }, input,
    h('button', { type: 'submit', class: 'primary', text: 'Search' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (v) ctx.navigate(searchHref(v, client));
  });
  const scopeLine = h('p', { class: 'muted', id: 'search-scope' });
  const body = h('div', { id: 'search-results' });
  put(root, h('div', { class: 'page-head' }, h('h1', { text: 'Search' })), form, scopeLine, body);
  if (!q) {
    put(body, h('p', { class: 'empty', text: 'Type what the caller gives you: a name, an e-mail, a phone number in any form, a MAC, an IP, a serial, a SIP address or a domain.' }));
    return {};
  }
  put(body, h('p', { class: 'muted', text: 'Searching…' }));
  let alive = true;
  get(`/api/v1/search?q=${enc(q)}${client ? `&client=${enc(client)}` : ''}`)
    .then((r) => { if (alive) render(r); })
    .catch((e) => {
      if (alive) put(body, h('p', { class: 'error', id: 'search-error', text: e.status === 404 ? 'This client does not exist or is outside your clients.' : e.message }));
    });

  function render(r) {
    const inClient = client ? (r.clients.find((c) => c.id === client)?.name || r.contacts.find((c) => c.client_id === client)?.client_name
      || r.devices.find((d) => d.client_id === client)?.client_name || client) : '';
    put(scopeLine, `Searched as ${r.read.map((k) => KINDS[k] || k).join(', ')}${r.phone ? ` (${r.phone})` : ''}`,
      client ? [' in ', h('strong', { text: inClient }), ' · ', h('a', { href: searchHref(q, ''), id: 'search-all-clients', text: 'search every client' })] : ' across every client you may see', '.');
    const narrow = (id) => !client && h('a', { href: searchHref(q, id), class: 'button small narrow', text: 'Search in this client' });
    const sections = [];
    if (r.clients.length) {
      sections.push(h('section', { class: 'panel', id: 'results-clients' }, h('h2', { class: 'first', text: `Clients (${r.clients.length})` }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
          h('thead', {}, h('tr', {}, ['Client', 'Domains', 'Phone', 'Matched', ''].map((x) => h('th', { text: x })))),
          h('tbody', {}, r.clients.map((c) => h('tr', { dataset: { id: c.id } },
            h('td', {}, h('a', { href: `/clients/${enc(c.id)}`, text: c.name })),
            h('td', { text: (c.domains || []).join(', ') }), h('td', { text: c.phone || '' }),
            h('td', { class: 'matched', text: matchedText(c.matched) }),
            h('td', { class: 'actions' }, narrow(c.id), viewAsCustomer(c)))))))));
    }
    if (r.contacts.length) {
      sections.push(h('section', { class: 'panel', id: 'results-contacts' }, h('h2', { class: 'first', text: `Contacts (${r.contacts.length})` }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
          h('thead', {}, h('tr', {}, ['Contact', 'Client', 'E-mail', 'Phone', 'SIP', 'Matched', ''].map((x) => h('th', { text: x })))),
          h('tbody', {}, r.contacts.map((c) => {
            const verify = h('div', { class: 'verify-panel' });
            const vrow = h('tr', { class: 'verify-row', hidden: true }, h('td', { colspan: '7' }, verify));
            return [h('tr', { dataset: { id: c.id } },
              h('td', {}, h('a', { href: `/clients/${enc(c.client_id)}/contacts`, text: c.name }), c.disabled ? h('span', { class: 'badge', text: 'disabled' }) : '',
                c.job_title ? h('span', { class: 'sub', text: c.job_title }) : ''),
              h('td', {}, h('a', { href: `/clients/${enc(c.client_id)}`, text: c.client_name })),
              h('td', { text: c.email || '' }), h('td', { text: [c.phone, c.mobile].filter(Boolean).join(', ') }), h('td', { text: c.sip || '' }),
              h('td', { class: 'matched', text: matchedText(c.matched) }),
              h('td', { class: 'actions' }, narrow(c.client_id),
                h('button', { type: 'button', class: 'small verify-open', text: 'Verify caller', disabled: !c.email || c.disabled,
                  title: c.email ? '' : 'The contact has no e-mail address', onclick: () => { vrow.hidden = !vrow.hidden; if (!vrow.hidden) verifyPanel(verify, c); } }))),
            vrow];
          }))))));
    }
    if (r.devices.length) {
      sections.push(h('section', { class: 'panel', id: 'results-devices' }, h('h2', { class: 'first', text: `Devices (${r.devices.length})` }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
          h('thead', {}, h('tr', {}, ['Device', 'Client', 'Status', 'IPs', 'MACs', 'Serial', 'SIP', 'Matched', ''].map((x) => h('th', { text: x })))),
          h('tbody', {}, r.devices.map((d) => h('tr', { dataset: { id: d.id } },
            h('td', {}, h('a', { href: `/devices/${enc(d.id)}`, text: d.hostname })),
            h('td', {}, h('a', { href: `/clients/${enc(d.client_id)}`, text: d.client_name })),
            h('td', {}, d.retired ? h('span', { class: 'badge', text: 'retired' }) : onlineBadge(d.online)),
            h('td', { text: (d.ips || []).join(', ') }), h('td', { text: (d.macs || []).map(macText).join(', ') }), h('td', { text: d.serial || '' }),
            h('td', { text: d.sip || '' }), h('td', { class: 'matched', text: matchedText(d.matched) }),
            h('td', { class: 'actions' }, narrow(d.client_id)))))))));
    }
    put(body, sections.length ? sections : h('p', { class: 'empty', id: 'search-none', text: 'Nothing found.' }));
  }
  return { dispose() { alive = false; } };
}

function macText(m) {
  return /^[0-9a-f]{12}$/i.test(m) ? m.match(/../g).join(':') : m;
}

// viewAsCustomer asks the server for the customer's portal, read only;
// when the customer has not allowed it (or the server has no portal) the
// server's reason is shown beside the button.
function viewAsCustomer(c) {
  const why = h('span', { class: 'why muted' });
  const btn = h('button', { type: 'button', class: 'small view-as', text: 'View as customer' });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    why.textContent = '';
    try {
      const r = await post(`/api/v1/clients/${enc(c.id)}/portal-view`, {});
      const to = typeof r?.url === 'string' && r.url.startsWith('/') && !r.url.startsWith('//') ? r.url : '/portal/';
      location.assign(to);
    } catch (e) {
      why.textContent = e.status === 404 && /not found/i.test(e.message) ? `Not available: ${e.message}` : e.message;
      btn.disabled = false;
    }
  });
  return h('span', { class: 'view-as-wrap' }, btn, why);
}

// verifyPanel sends a code to the contact's e-mail and checks the one the
// caller reads back.
function verifyPanel(root, c) {
  const status = h('p', { class: 'verify-status', role: 'status' });
  const send = h('button', { type: 'button', class: 'small verify-send', text: 'Send code' });
  const code = h('input', { type: 'text', class: 'verify-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '12',
    placeholder: '6-digit code', 'aria-label': 'Code the caller reads back' });
  const check = h('button', { type: 'submit', class: 'small primary verify-check', text: 'Check' });
  const form = h('form', { class: 'verify-form' }, code, check);
  send.addEventListener('click', async () => {
    send.disabled = true;
    try {
      const r = await post(`/api/v1/contacts/${enc(c.id)}/verify`, {});
      put(status, `Code sent to ${r.sent_to}, valid until ${time(r.expires_at)}. Ask the caller to read it back.`);
      status.className = 'verify-status';
      code.focus();
    } catch (e) {
      put(status, e.message);
      status.className = 'verify-status error';
    } finally {
      send.disabled = false;
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    check.disabled = true;
    try {
      const r = await post(`/api/v1/contacts/${enc(c.id)}/verify/check`, { code: code.value });
      put(status, r.verified ? h('strong', { text: `Verified: ${c.name}` }) : `Not verified: ${r.message}`);
      status.className = `verify-status ${r.verified ? 'ok-text verified' : 'error failed'}`;
      code.value = '';
    } catch (ex) {
      put(status, ex.message);
      status.className = 'verify-status error';
    } finally {
      check.disabled = false;
    }
  });
  put(root, h('div', { class: 'verify-box' }, h('span', { text: `Verify the caller as ${c.name}: ` }), send, form), status);
}
