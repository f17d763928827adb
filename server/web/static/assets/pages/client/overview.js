// Client page tab: the overview (contact details, address with a map
// link, domains, web site, company number, ticket limit, ranking, notes,
// custom fields) and its edit form.
import { h, put, enc, extLink } from '../../lib/dom.js';
import { patch, can } from '../../lib/api.js';
import { full } from '../../lib/format.js';
import { modal, field, select, toast } from '../../lib/ui.js';
import { RANKINGS, rankingBadge } from '../../lib/clients.js';
import { zoneInput } from '../../lib/zones.js';

export const id = 'overview';
export const title = 'Overview';

const dash = () => h('span', { class: 'muted', text: '—' });
const or = (v, f = (x) => x) => (v ? f(v) : dash());

/** customText shows a custom field's stored value. */
function customText(f, v) {
  if (!v) return dash();
  if (f.type === 'bool') return v === 'true' ? 'yes' : 'no';
  return v;
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.map(([k, v, cls]) => [h('dt', { text: k }), h('dd', { class: cls, dataset: { field: k } }, v)]));
}

export function mount(root, ctx) {
  let client = ctx.client;
  const editBtn = can('clients') && h('button', { type: 'button', class: 'small', id: 'client-edit', text: 'Edit overview', onclick: () => edit() });

  function render() {
    const p = client.profile || {};
    const c = client.client;
    const address = [p.address, p.postcode].filter(Boolean).join('\n');
    put(root, h('div', { class: 'toolbar' }, h('span', { class: 'spacer' }), editBtn),
      h('div', { class: 'overview-grid' },
        h('section', { class: 'panel', id: 'client-contact-details' }, h('h2', { text: 'Details' }), facts([
          ['Phone', or(p.phone, (v) => h('span', { title: p.phone_e164 || '', text: v }))],
          ['Fax', or(p.fax, (v) => h('span', { title: p.fax_e164 || '', text: v }))],
          ['Address', address ? [h('span', { class: 'wrap', text: address }), ' ',
            p.map_url ? extLink(p.map_url, 'Open map', { id: 'client-map-link', class: 'small' }) : null] : dash(), 'multiline'],
          ['Website', or(p.website, (v) => extLink(v, v, { id: 'client-website' }))],
          ['Domains', or((p.domains || []).join(', '))],
          ['Company number', or(p.company_number)],
        ])),
        h('section', { class: 'panel', id: 'client-account' }, h('h2', { text: 'Account' }), facts([
          ['Ranking', rankingBadge(p.ranking) || dash()],
          ['Ticket limit', p.ticket_limit ? String(p.ticket_limit) : 'no limit'],
          ['Time zone', p.time_zone ? h('span', { id: 'client-time-zone', text: p.time_zone }) : h('span', { id: 'client-time-zone', class: 'muted', text: "server's" })],
          ['Created', full(c.created_at)],
          ['Modified', p.modified_at ? `${full(p.modified_at)}${p.modified_by ? ` by ${p.modified_by}` : ''}` : dash()],
        ])),
        h('section', { class: 'panel', id: 'client-custom-fields' }, h('h2', { text: 'Custom fields' }),
          (client.fields || []).length ? facts(client.fields.map((f) => [f.label, customText(f, (p.custom || {})[f.id]), f.type === 'text' ? 'multiline' : '']))
            : h('p', { class: 'muted', text: 'No custom fields yet. An admin defines them on the Clients page.' })),
        h('section', { class: 'panel', id: 'client-notes' }, h('h2', { text: 'Notes' }),
          p.notes ? h('p', { class: 'wrap multiline', text: p.notes }) : h('p', { class: 'muted', text: 'No notes.' }))));
  }

  async function edit() {
    const p = client.profile || {};
    const inp = (name, value, props = {}) => h('input', { name, value: value ?? '', id: `edit-${name}`, ...props });
    const ctl = {
      phone: inp('phone', p.phone, { maxlength: '50' }), fax: inp('fax', p.fax, { maxlength: '50' }),
      address: h('textarea', { name: 'address', id: 'edit-address', maxlength: '500', value: p.address || '' }),
      postcode: inp('postcode', p.postcode, { maxlength: '20' }), website: inp('website', p.website, { maxlength: '500' }),
      domains: inp('domains', (p.domains || []).join(', '), { placeholder: 'example.com, example.net' }),
      company_number: inp('company_number', p.company_number, { maxlength: '50' }),
      ticket_limit: inp('ticket_limit', String(p.ticket_limit || 0), { type: 'number', min: '0', max: '1000000' }),
      ranking: select('ranking', RANKINGS.map((r, i) => [i, r || 'none']), p.ranking || 0, { id: 'edit-ranking' }),
      notes: h('textarea', { name: 'notes', id: 'edit-notes', maxlength: '10000', value: p.notes || '' }),
      time_zone: zoneInput('time_zone', p.time_zone, { id: 'edit-time_zone' }),
    };
    const custom = new Map();
    for (const f of client.fields || []) {
      const v = (p.custom || {})[f.id] || '';
      let c;
      if (f.type === 'choice') c = select(f.id, [['', '—'], ...f.options.map((o) => [o, o])], v);
      else if (f.type === 'bool') c = select(f.id, [['', '—'], ['true', 'yes'], ['false', 'no']], v);
      else if (f.type === 'date') c = inp(f.id, v, { type: 'date' });
      else if (f.type === 'number') c = inp(f.id, v, { inputmode: 'decimal' });
      else c = h('textarea', { name: f.id, maxlength: '2000', value: v });
      c.dataset.custom = f.id;
      custom.set(f.id, c);
    }
    const body = h('div', { class: 'form-grid', id: 'client-edit-form' },
      field('Phone', ctl.phone, 'as you write it; stored in E.164'), field('Fax', ctl.fax), field('Address', ctl.address),
      field('Postcode', ctl.postcode), field('Website', ctl.website), field('Domains', ctl.domains, 'comma separated'),
      field('Company number', ctl.company_number), field('Ticket limit', ctl.ticket_limit, '0 = no limit'),
      field('Ranking', ctl.ranking), field('Time zone', ctl.time_zone, 'IANA name, e.g. Europe/Paris; for automation tasks in the client\'s zone; empty = the server\'s'),
      field('Notes', ctl.notes),
      (client.fields || []).map((f) => field(f.label, custom.get(f.id), f.type === 'choice' ? '' : f.type)));
    const r = await modal({ title: `Edit ${client.client.name}`, body, ok: 'Save', wide: true, onSubmit: async () => {
      const req = {
        phone: ctl.phone.value, fax: ctl.fax.value, address: ctl.address.value, postcode: ctl.postcode.value,
        website: ctl.website.value, company_number: ctl.company_number.value, notes: ctl.notes.value,
        domains: ctl.domains.value.split(/[\s,]+/).filter(Boolean), ticket_limit: Number(ctl.ticket_limit.value || 0),
        ranking: Number(ctl.ranking.value), time_zone: ctl.time_zone[0].value.trim(), custom: Object.fromEntries([...custom].map(([k, c]) => [k, c.value])),
      };
      return patch(`/api/v1/clients/${enc(client.client.id)}`, req);
    } });
    if (r && r !== true) {
      toast('Client saved.', 'ok');
      ctx.refresh();
    }
  }

  render();
  return { update(c) { client = c; render(); } };
}
