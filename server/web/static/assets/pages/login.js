// Login: password, then the two-factor step (a code, or enrolment with a
// QR code and recovery codes when the account must set it up first).
import { h, put } from '../lib/dom.js';
import { api, session, verifyTOTP, ApiError } from '../lib/api.js';
import { field } from '../lib/ui.js';

export function mount(root, ctx) {
  const box = h('div', { class: 'login-box' });
  put(root, h('div', { class: 'login-page' },
    h('div', { class: 'login-brand' }, h('img', { src: '/assets/icon.svg', alt: '', width: '40', height: '40' }), h('h1', { text: 'Steward' })),
    box));
  const next = ctx.query.get('next') || '';
  const finish = () => ctx.done(next);

  const errorLine = () => h('p', { class: 'error', role: 'alert', hidden: true });
  const fail = (el, e) => {
    el.textContent = e instanceof ApiError && e.status === 429 ? 'Too many attempts; wait a few minutes and try again.' : e.message;
    el.hidden = false;
  };

  function passwordStep() {
    const user = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true, maxlength: '100' });
    const pass = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
    const err = errorLine();
    const btn = h('button', { type: 'submit', class: 'primary', text: 'Log in' });
    const form = h('form', { class: 'stack', id: 'login-form' }, h('h2', { text: 'Log in' }),
      field('User name', user), field('Password', pass), err, btn);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      btn.disabled = true;
      err.hidden = true;
      try {
        const r = await api('POST', '/api/v1/auth/login', { username: user.value.trim(), password: pass.value }, { noLogout: true, noFresh: true });
        session.csrf = r.csrf || '';
        if (r.stage === 'totp') codeStep();
        else if (r.stage === 'totp_setup') await setupStep();
        else await finish();
      } catch (ex) {
        fail(err, ex);
        pass.select();
      } finally {
        btn.disabled = false;
      }
    });
    put(box, form);
    user.focus();
  }

  function codeStep() {
    const code = h('input', { name: 'code', id: 'totp-code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true, maxlength: '64' });
    const err = errorLine();
    const btn = h('button', { type: 'submit', class: 'primary', text: 'Verify' });
    const form = h('form', { class: 'stack', id: 'totp-form' }, h('h2', { text: 'Two-factor check' }),
      h('p', { text: 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.' }),
      field('Code', code), err, btn,
      h('button', { type: 'button', class: 'link', text: 'Start over', onclick: passwordStep }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      btn.disabled = true;
      err.hidden = true;
      try {
        await verifyTOTP(code.value.trim());
        await finish();
      } catch (ex) {
        fail(err, ex);
        code.select();
      } finally {
        btn.disabled = false;
      }
    });
    put(box, form);
    code.focus();
  }

  async function setupStep() {
    const s = await api('POST', '/api/v1/auth/totp/setup', {}, { noLogout: true, noFresh: true });
    const code = h('input', { name: 'code', id: 'totp-setup-code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true, maxlength: '6' });
    const err = errorLine();
    const btn = h('button', { type: 'submit', class: 'primary', text: 'Turn on two-factor' });
    const qr = typeof s.qr_png === 'string' && s.qr_png.startsWith('data:image/png;base64,')
      ? h('img', { src: s.qr_png, alt: 'QR code for your authenticator app', class: 'qr', width: '200', height: '200' }) : null;
    const form = h('form', { class: 'stack', id: 'totp-setup-form' }, h('h2', { text: 'Set up two-factor' }),
      h('p', { text: 'This account must use two-factor authentication. Scan the code with an authenticator app, or enter the key by hand, then type the 6-digit code it shows.' }),
      qr,
      h('p', {}, 'Key: ', h('code', { id: 'totp-secret', class: 'secret', text: s.secret || '' })),
      field('Code', code), err, btn);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      btn.disabled = true;
      err.hidden = true;
      try {
        const r = await api('POST', '/api/v1/auth/totp/confirm', { code: code.value.trim() }, { noLogout: true, noFresh: true });
        if (r.csrf) session.csrf = r.csrf;
        recoveryStep(r.recovery_codes || []);
      } catch (ex) {
        fail(err, ex);
        code.select();
      } finally {
        btn.disabled = false;
      }
    });
    put(box, form);
    code.focus();
  }

  function recoveryStep(codes) {
    const btn = h('button', { type: 'button', class: 'primary', id: 'recovery-done', text: 'I have saved them — continue' });
    btn.addEventListener('click', () => finish());
    put(box, h('div', { class: 'stack', id: 'recovery' }, h('h2', { text: 'Recovery codes' }),
      h('p', { text: 'Two-factor is on. Keep these single-use recovery codes somewhere safe: each one replaces a code from your app once, if you lose it. They are shown only now.' }),
      h('ul', { class: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', { text: c })))),
      btn));
    btn.focus();
  }

  passwordStep();
  return {};
}
