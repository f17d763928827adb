// Device approval: a device enrolled with a token that requires approval,
// or a second enrollment of a machine the server already knows, is
// "pending": it reports, but receives no job until a technician approves
// it here. Rejecting a pending device is revoking it.
import { h, enc } from './dom.js';
import { post, can } from './api.js';
import { modal, toast } from './ui.js';

export const isPending = (v) => v.approval === 'pending';
const isDuplicate = (v) => !!(v.duplicate_of || v.duplicate_other_client);

/** approvalBadges marks a pending device, and a duplicate one. */
export function approvalBadges(v) {
  if (!isPending(v) && !isDuplicate(v)) return null;
  return [isPending(v) && h('span', { class: 'badge warn approval-badge', text: 'pending approval', title: 'Receives no job until approved' }),
    isDuplicate(v) && h('span', { class: 'badge bad duplicate-badge', text: 'duplicate', title: 'This machine was already enrolled' })];
}

/** duplicateNotice says which device this machine is already enrolled as. */
export function duplicateNotice(v) {
  if (!isDuplicate(v)) return null;
  const other = v.duplicate_of
    ? h('a', { href: `/devices/${enc(v.duplicate_of)}`, class: 'duplicate-link', text: v.duplicate_of })
    : 'a device of another client';
  return h('p', { class: 'notice', id: 'duplicate-notice' }, 'This machine is already enrolled as ', other, '. ',
    isPending(v) ? 'Approve this device if it replaces that enrollment (a reinstall), or revoke it if it should not be here.' : '');
}

/** approveButton approves a pending device; done runs after approval. */
export function approveButton(v, done, { small = true } = {}) {
  if (!isPending(v) || !can('clients')) return null;
  return h('button', { type: 'button', class: ['approve-device', small && 'small', !small && 'primary'], dataset: { approve: v.id },
    text: 'Approve', onclick: (e) => { e.preventDefault(); approve(v, done); } });
}

async function approve(v, done) {
  const revoke = v.duplicate_of && h('input', { type: 'checkbox', id: 'approve-revoke-duplicate', checked: true });
  const r = await modal({
    title: `Approve ${v.hostname || v.id}`, ok: 'Approve',
    body: h('div', { class: 'stack' },
      h('p', { class: 'confirm-text', text: 'Once approved, the device receives jobs, shells and updates like any other.' }),
      revoke && h('label', { class: 'check' }, revoke, ` Also revoke the old enrollment ${v.duplicate_of}`)),
    onSubmit: async () => post(`/api/v1/devices/${enc(v.id)}/approve${revoke && revoke.checked ? '?revoke_duplicate=true' : ''}`, {}),
  });
  if (r?.device) {
    toast(`${v.hostname || v.id} is approved.`, 'ok');
    done?.(r.device);
  }
}
