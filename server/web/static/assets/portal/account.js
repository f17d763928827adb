// Portal section: the signed-in portal user's account (password change).
import { h, put } from '../lib/dom.js';
import { api } from '../lib/api.js';
import { field } from '../lib/ui.js';

export function mount(root, ctx) {
  const id = ctx.identity || {};
  const head = h('div', { class: 'page-head' }, h('h1', { text: 'Account' }));
  const about = h('p', {}, 'Signed in as ', h('strong', { text: id.contact_name || id.email || '' }),
    id.email ? h('span', { class: 'muted', text: ` (${id.email})` }) : null, ` of ${id.client_name || ''}.`);
  if (id.viewed_by) {
    put(root, head, h('p', { class: 'muted', text: 'A read-only view changes nothing here.' }));
    return {};
  }
  const cur = h('input', { type: 'password', id: 'current-password', autocomplete: 'current-password', required: true, maxlength: '1024' });
  const pw = h('input', { type: 'password', id: 'portal-new-password', autocomplete: 'new-password', required: true, minlength: '12', maxlength: '72' });
  const msg = h('p', { role: 'status', hidden: true });
  const btn = h('button', { type: 'submit', class: 'primary', text: 'Change password' });
  const form = h('form', { class: 'stack narrow', id: 'portal-password-form' }, h('h2', { text: 'Change password' }),
    field('Current password', cur), field('New password', pw, 'At least 12 characters. Your other sessions end.'), msg, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    msg.hidden = true;
    try {
      await api('PUT', '/api/v1/portal/me/password', { current: cur.value, new: pw.value });
      msg.className = 'muted';
      msg.textContent = 'Your password is changed.';
      cur.value = pw.value = '';
    } catch (ex) {
      msg.className = 'error';
      msg.textContent = ex.message;
    } finally {
      msg.hidden = false;
      btn.disabled = false;
    }
  });
  put(root, head, about, form);
  return {};
}
