// The customer portal's shell: sign-in (password, then TOTP, enrolled at
// the first sign-in), the set-password page of an invite link, and the
// sections of sections.js under /portal/{section}. It uses the
// dashboard's lib/api.js (session cookie + X-CSRF-Token) and lib/dom.js
// (text only, never markup).
import { h, put } from '../lib/dom.js';
import { api, session, setLoggedOutHandler, ApiError } from '../lib/api.js';
import { field } from '../lib/ui.js';
import { SECTIONS } from './sections.js';

const app = document.getElementById('app');
let current = null; // the mounted section's handle

const errorLine = () => h('p', { class: 'error', role: 'alert', hidden: true });
function fail(el, e) {
  el.textContent = e instanceof ApiError && e.status === 429 ? 'Too many attempts; wait a few minutes and try again.' : e.message;
  el.hidden = false;
}

function frame(...children) {
  return h('div', { class: 'login-page' },
    h('div', { class: 'login-brand' }, h('img', { src: '/assets/icon.svg', alt: '', width: '40', height: '40' }), h('h1', { text: 'Customer portal' })),
    h('div', { class: 'login-box', id: 'portal-box' }, ...children));
}

/** form builds a submit form whose handler's errors show in its error line. */
function form(id, title, fields, label, onSubmit, ...extra) {
  const err = errorLine();
  const btn = h('button', { type: 'submit', class: 'primary', text: label });
  const f = h('form', { class: 'stack', id }, h('h2', { text: title }), ...fields, err, btn, ...extra);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    err.hidden = true;
    try {
      await onSubmit();
    } catch (ex) {
      fail(err, ex);
    } finally {
      btn.disabled = false;
    }
  });
  return f;
}

const quiet = { noLogout: true, noFresh: true };

function setPasswordPage() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  // The secret leaves the address bar (and the history) at once.
  history.replaceState(null, '', '/portal/set-password');
  const pw = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password', required: true, minlength: '12', maxlength: '72' });
  const again = h('input', { type: 'password', id: 'new-password-again', autocomplete: 'new-password', required: true, maxlength: '72' });
  put(app, frame(form('set-password-form', 'Set your password', [
    h('p', { text: 'Choose a password of at least 12 characters. You will then set up a second factor with an authenticator app.' }),
    field('Password', pw), field('Password again', again)], 'Set password', async () => {
    if (pw.value !== again.value) throw new Error('The two passwords differ.');
    if (!token) throw new Error('This link has no token: open the link from your invitation again.');
    await api('POST', '/api/v1/portal/auth/set-password', { token, password: pw.value }, quiet);
    history.replaceState(null, '', '/portal/');
    loginPage('Your password is set. Sign in to continue.');
  })));
  pw.focus();
}

function loginPage(note) {
  const email = h('input', { type: 'email', id: 'email', autocomplete: 'username', required: true, maxlength: '254' });
  const pw = h('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
  put(app, frame(form('portal-login-form', 'Sign in', [note ? h('p', { class: 'muted', text: note }) : null,
    field('E-mail', email), field('Password', pw)], 'Sign in', async () => {
    const r = await api('POST', '/api/v1/portal/auth/login', { email: email.value.trim(), password: pw.value }, quiet);
    session.csrf = r.csrf || '';
    if (r.stage === 'totp_setup') await enrolPage();
    else codePage();
  })));
  email.focus();
}

function codePage() {
  const code = h('input', { id: 'totp-code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true, maxlength: '6' });
  put(app, frame(form('portal-totp-form', 'Two-factor check', [h('p', { text: 'Enter the 6-digit code from your authenticator app.' }),
    field('Code', code)], 'Verify', async () => {
    const r = await api('POST', '/api/v1/portal/auth/totp', { code: code.value.trim() }, quiet);
    if (r.csrf) session.csrf = r.csrf;
    await start();
  }, h('button', { type: 'button', class: 'link', text: 'Start over', onclick: () => loginPage() }))));
  code.focus();
}

async function enrolPage() {
  const s = await api('POST', '/api/v1/portal/auth/totp/setup', {}, quiet);
  const code = h('input', { id: 'totp-setup-code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true, maxlength: '6' });
  const qr = typeof s.qr_png === 'string' && s.qr_png.startsWith('data:image/png;base64,')
    ? h('img', { src: s.qr_png, alt: 'QR code for your authenticator app', class: 'qr', width: '200', height: '200' }) : null;
  put(app, frame(form('portal-totp-setup-form', 'Set up two-factor', [
    h('p', { text: 'The portal needs a second factor. Scan the code with an authenticator app, or enter the key by hand, then type the 6-digit code it shows.' }),
    qr, h('p', {}, 'Key: ', h('code', { id: 'totp-secret', class: 'secret', text: s.secret || '' })), field('Code', code)],
  'Turn on two-factor', async () => {
    const r = await api('POST', '/api/v1/portal/auth/totp/enable', { code: code.value.trim() }, quiet);
    if (r.csrf) session.csrf = r.csrf;
    await start();
  })));
  code.focus();
}

async function logout() {
  try {
    await api('POST', '/api/v1/portal/auth/logout', {}, quiet);
  } finally {
    session.me = null;
    session.csrf = '';
    history.replaceState(null, '', '/portal/');
    loginPage('You are signed out.');
  }
}

function navigate(path) {
  history.pushState(null, '', path);
  route();
}

let shell = null;

function render(me) {
  const sections = SECTIONS.filter((s) => !s.admin || me.admin);
  const nav = h('nav', { class: 'nav', id: 'portal-nav' }, sections.map((s) => h('a', {
    href: `/portal/${s.id}`, dataset: { section: s.id }, text: s.title,
    onclick: (e) => { e.preventDefault(); navigate(`/portal/${s.id}`); },
  })));
  const who = me.viewed_by ? `${me.viewed_by} (viewing as the customer)` : (me.contact_name || me.email || '');
  const header = h('header', { class: 'topbar' },
    h('a', { href: '/portal/', class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: '', width: '22', height: '22' }),
      h('span', { class: 'brand-name', id: 'portal-client', text: me.client_name })),
    nav, h('div', { class: 'spacer' }),
    h('span', { class: 'who', id: 'portal-who' }, h('strong', { text: who }), ' ', h('span', { class: 'role', text: me.admin ? 'customer admin' : 'customer user' })),
    h('button', { type: 'button', class: 'small', id: 'portal-logout', text: me.viewed_by ? 'End view' : 'Sign out', onclick: logout }));
  const banner = me.viewed_by
    ? h('p', { class: 'notice', id: 'portal-view-banner', role: 'status', text: `Read-only view by ${me.viewed_by} of your service provider. Every view is recorded in the activity.` })
    : null;
  const main = h('main', { id: 'main' });
  put(app, header, banner, main);
  shell = { sections, nav, main };
}

async function route() {
  if (!shell) return;
  const { sections, nav, main } = shell;
  const [, , id, ...rest] = location.pathname.split('/');
  const sec = sections.find((s) => s.id === id) || sections[0];
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.section === sec.id);
  current?.dispose?.();
  current = null;
  const root = h('div', { class: 'stack', id: `portal-${sec.id}` });
  put(main, root);
  try {
    const mod = await sec.load();
    current = mod.mount(root, { identity: session.me, navigate, params: rest }) || null;
  } catch (e) {
    put(root, h('p', { class: 'error', role: 'alert', text: e.message }));
  }
}

async function start() {
  let me;
  try {
    me = await api('GET', '/api/v1/portal/me', undefined, quiet);
  } catch (e) {
    // 404: signed in to the dashboard, not the portal (an operator
    // never passes a portal route).
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      loginPage();
      return;
    }
    put(app, h('p', { class: 'boot error', text: e.message }));
    return;
  }
  session.me = me;
  session.csrf = me.csrf || '';
  render(me);
  route();
}

setLoggedOutHandler(() => loginPage('Your session ended. Sign in again.'));
window.addEventListener('popstate', route);
if (location.pathname === '/portal/set-password') setPasswordPage();
else start();
