// Dialogs and notices: confirmations, forms in a modal, the two-factor
// prompt, and toasts. All text is set as text.
import { h, add } from './dom.js';

/**
 * modal shows a <dialog> with a title, a body and buttons. It resolves with
 * the value of the button used (or null when dismissed). onSubmit, when
 * given, runs before closing on the primary button; throwing keeps the
 * dialog open and shows the error.
 */
export function modal({ title, body, ok = 'OK', cancel = 'Cancel', danger = false, onSubmit, wide = false }) {
  return new Promise((resolve) => {
    const err = h('p', { class: 'error', hidden: true, role: 'alert' });
    const okBtn = h('button', { type: 'submit', class: ['primary', danger && 'danger'], value: 'ok', text: ok });
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { text: title }),
      h('div', { class: 'dialog-body' }, body),
      err,
      h('div', { class: 'dialog-buttons' },
        cancel && h('button', { type: 'button', value: 'cancel', text: cancel, onclick: () => done(null) }),
        okBtn));
    const dlg = h('dialog', { class: ['modal', wide && 'wide'] }, form);
    let finished = false;
    const done = (v) => {
      if (finished) return;
      finished = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!onSubmit) return done(true);
      okBtn.disabled = true;
      err.hidden = true;
      try {
        const v = await onSubmit(form);
        done(v === undefined ? true : v);
      } catch (ex) {
        err.textContent = ex.message || String(ex);
        err.hidden = false;
      } finally {
        okBtn.disabled = false;
      }
    });
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector('input:not([type=hidden]):not([disabled]), textarea, select');
    (first || okBtn).focus();
  });
}

/** confirm asks a yes/no question. */
export async function confirm(title, message, { ok = 'Confirm', danger = false } = {}) {
  return (await modal({ title, body: h('p', { class: 'confirm-text', text: message }), ok, danger })) === true;
}

/**
 * totpPrompt asks for a two-factor (or recovery) code and calls verify(code)
 * until it succeeds or the user cancels. Resolves true when verified.
 */
export async function totpPrompt(verify, why) {
  const input = h('input', { name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
    maxlength: '64', placeholder: '123456', class: 'code-input', 'aria-label': 'Two-factor code' });
  const body = h('div', {},
    h('p', { text: why || 'This action needs a fresh two-factor check.' }),
    h('label', {}, 'Code from your authenticator app (or a recovery code)', input));
  const r = await modal({ title: 'Confirm with two-factor', body, ok: 'Verify',
    onSubmit: async () => { await verify(input.value.trim()); } });
  return r === true;
}

let toasts;
/** toast shows a short notice; kind is ok, error or info. */
export function toast(message, kind = 'info', action) {
  if (!toasts || !toasts.isConnected) {
    toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toasts);
  }
  const t = h('div', { class: ['toast', kind] }, h('span', { text: message }), action);
  add(toasts, t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 5000);
  return t;
}

/** field is a labelled form control. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label', text: label }), control,
    hint && h('span', { class: 'hint', text: hint }));
}

/** select builds a <select> from [value, label] pairs. */
export function select(name, options, value, props = {}) {
  return h('select', { name, ...props },
    options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(value ?? ''), text: l })));
}

/** copyButton copies text to the clipboard. */
export function copyButton(getText, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'small', text: label });
  b.addEventListener('click', async () => {
    const text = getText();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API refused (permissions): fall back to a selection copy.
      const ta = h('textarea', { class: 'offscreen', readOnly: true });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

/** empty is a placeholder row or paragraph. */
export const empty = (text) => h('p', { class: 'empty', text });

/** table builds a simple table from headers and rows of cells. */
export function table(headers, rows, props = {}) {
  return h('table', { class: ['grid', props.class] },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { text: x })))),
    h('tbody', {}, rows.map((r) => h('tr', r.props || {}, (r.cells || r).map((c) => h('td', {}, c))))));
}
