// Admin panel of the clients page: the custom fields every client has,
// and the 3 to 6 fields pinned above every client page, in order.
import { h, put, enc } from '../../lib/dom.js';
import { get, post, api, del } from '../../lib/api.js';
import { modal, field, select, toast, confirm } from '../../lib/ui.js';

const TYPES = [['text', 'Text'], ['number', 'Number'], ['date', 'Date'], ['bool', 'Yes/no'], ['choice', 'Choice']];

/** fieldsPanel is the panel; it loads itself. */
export function fieldsPanel() {
  const fieldsBox = h('div', { id: 'custom-fields' });
  const pinsBox = h('div', { id: 'pinned-fields' });
  const panel = h('details', { class: 'panel', id: 'client-fields-admin' },
    h('summary', { text: 'Custom fields and pinned fields' }),
    h('h2', { text: 'Custom fields' }), h('p', { class: 'muted', text: 'Every client has these fields on its overview.' }), fieldsBox,
    h('button', { type: 'button', class: 'small', id: 'field-add', text: 'Add a field…', onclick: () => editField(null) }),
    h('h2', { text: 'Pinned fields' }), h('p', { class: 'muted', text: 'Between 3 and 6 fields shown above every tab of every client page, in this order.' }), pinsBox);

  async function load() {
    const [fs, pins] = await Promise.all([get('/api/v1/client-fields'), get('/api/v1/client-pinned')]).catch((e) => {
      put(fieldsBox, h('p', { class: 'error', text: e.message }));
      return [null, null];
    });
    if (!fs) return;
    put(fieldsBox, fs.length ? h('table', { class: 'grid compact', id: 'custom-fields-table' },
      h('thead', {}, h('tr', {}, ['Label', 'Type', 'Options', ''].map((x) => h('th', { text: x })))),
      h('tbody', {}, fs.map((f) => h('tr', { dataset: { field: f.id } }, h('td', { text: f.label }), h('td', { text: f.type }),
        h('td', { class: 'clip-cell', text: (f.options || []).join(', ') }),
        h('td', { class: 'actions' }, h('button', { type: 'button', class: 'small', text: 'Edit', onclick: () => editField(f) }),
          h('button', { type: 'button', class: 'small', text: 'Remove', onclick: () => removeField(f) }))))))
      : h('p', { class: 'muted', text: 'No custom fields yet.' }));
    const chosen = [...pins.keys];
    const boxes = pins.available.map((a) => {
      const order = h('input', { type: 'number', min: '1', max: '6', class: 'pin-order', 'aria-label': `Position of ${a.label}`,
        value: chosen.includes(a.key) ? String(chosen.indexOf(a.key) + 1) : '', dataset: { key: a.key } });
      return h('label', { class: 'check' }, order, ` ${a.label}`);
    });
    const save = h('button', { type: 'button', class: 'small primary', id: 'pins-save', text: 'Save pinned fields', onclick: async () => {
      const picked = [...pinsBox.querySelectorAll('input.pin-order')].filter((i) => i.value).sort((x, y) => Number(x.value) - Number(y.value)).map((i) => i.dataset.key);
      try {
        await api('PUT', '/api/v1/client-pinned', { keys: picked });
        toast('Pinned fields saved.', 'ok');
        load();
      } catch (e) {
        toast(e.message, 'error');
      }
    } });
    put(pinsBox, h('p', { class: 'muted', text: 'Give each field to pin its position (1 first); leave the others empty.' }),
      h('div', { class: 'form-grid' }, boxes), save);
  }

  async function editField(f) {
    const label = h('input', { name: 'label', id: 'field-label', required: true, maxlength: '100', value: f?.label || '' });
    const type = select('type', TYPES, f?.type || 'text', { id: 'field-type' });
    const options = h('input', { name: 'options', id: 'field-options', value: (f?.options || []).join(', '), placeholder: 'Gold, Silver, Bronze' });
    const r = await modal({ title: f ? `Edit ${f.label}` : 'Add a custom field', ok: f ? 'Save' : 'Add',
      body: h('div', { class: 'stack' }, field('Label', label), field('Type', type), field('Options', options, 'choice fields only, comma separated')),
      onSubmit: async () => {
        const body = { label: label.value, type: type.value, options: type.value === 'choice' ? options.value.split(',').map((s) => s.trim()).filter(Boolean) : [] };
        return f ? api('PUT', `/api/v1/client-fields/${enc(f.id)}`, body) : post('/api/v1/client-fields', body);
      } });
    if (r && r !== true) load();
  }
  async function removeField(f) {
    if (!(await confirm('Remove a custom field', `Remove ${f.label} from every client?`, { ok: 'Remove', danger: true }))) return;
    try {
      await del(`/api/v1/client-fields/${enc(f.id)}`);
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  panel.addEventListener('toggle', () => { if (panel.open && !panel.dataset.loaded) { panel.dataset.loaded = '1'; load(); } });
  return panel;
}
