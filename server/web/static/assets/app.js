// Steward dashboard entry: session check, layout, client-side routing and
// the live event stream. Pages live in pages/; each exports
// mount(root, ctx) returning { dispose?, onEvent? }.
import { h, put } from './lib/dom.js';
import { session, loadMe, setLoggedOutHandler, can, post } from './lib/api.js';
import * as live from './lib/live.js';
import { toast } from './lib/ui.js';
import * as loginPage from './pages/login.js';
import * as overviewPage from './pages/overview.js';
import * as devicesPage from './pages/devices.js';
import * as devicePage from './pages/device.js';
import * as jobsPage from './pages/jobs.js';
import * as jobPage from './pages/job.js';
import * as clientsPage from './pages/clients.js';
import * as enrollPage from './pages/enrollment.js';
import * as scriptsPage from './pages/scripts.js';
import * as usersPage from './pages/users.js';
import * as auditPage from './pages/audit.js';
import * as shellsPage from './pages/shells.js';
import * as shellPage from './pages/shell.js';
import * as seatsPage from './pages/seats.js';
import * as notificationsPage from './pages/notifications.js';
import * as clientPage from './pages/client.js';
import * as alertsPage from './pages/alerts.js';
import * as monitoringPage from './pages/monitoring.js';

const routes = [
  [/^\/(?:overview)?$/, overviewPage, 'Overview'],
  [/^\/devices$/, devicesPage, 'Devices'],
  [/^\/devices\/([^/]+)(?:\/([a-z]+))?$/, devicePage, 'Device'],
  [/^\/jobs$/, jobsPage, 'Jobs'],
  [/^\/jobs\/([^/]+)$/, jobPage, 'Job'],
  [/^\/clients$/, clientsPage, 'Clients'],
  [/^\/enrollment$/, enrollPage, 'Enrollment'],
  [/^\/scripts$/, scriptsPage, 'Scripts'],
  [/^\/users$/, usersPage, 'Users'],
  [/^\/audit$/, auditPage, 'Audit log'],
  [/^\/shells$/, shellsPage, 'Shell recordings'],
  [/^\/shells\/([^/]+)$/, shellPage, 'Shell recording'],
  [/^\/seats$/, seatsPage, 'Seats & devices'],
  [/^\/notifications$/, notificationsPage, 'Notifications'],
  [/^\/clients\/([^/]+)(?:\/([a-z-]+))?$/, clientPage, 'Client'],
  [/^\/alerts$/, alertsPage, 'Alerts'],
  [/^\/monitoring$/, monitoringPage, 'Monitoring'],
];

const app = document.getElementById('app');
let current = null;
let main = null;
let nav = null;

/** navigate moves to an in-app path. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function layout() {
  const liveDot = h('span', { class: 'live-dot', title: 'live updates' });
  const liveText = h('span', { class: 'live-text' });
  live.onStatus((s) => {
    liveDot.className = `live-dot ${s}`;
    liveText.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'offline';
  });
  const me = session.me;
  nav = h('nav', { class: 'nav' },
    h('a', { href: '/overview', dataset: { nav: 'overview' }, text: 'Overview' }),
    h('a', { href: '/devices', dataset: { nav: 'devices' }, text: 'Devices' }),
    h('a', { href: '/alerts', dataset: { nav: 'alerts' }, text: 'Alerts' }),
    h('a', { href: '/jobs', dataset: { nav: 'jobs' }, text: 'Jobs' }),
    h('a', { href: '/scripts', dataset: { nav: 'scripts' }, text: 'Scripts' }),
    h('a', { href: '/clients', dataset: { nav: 'clients' }, text: 'Clients' }),
    can('clients') && h('a', { href: '/enrollment', dataset: { nav: 'enrollment' }, text: 'Enrollment' }),
    can('recordings') && h('a', { href: '/shells', dataset: { nav: 'shells' }, text: 'Recordings' }),
    can('users') && h('a', { href: '/users', dataset: { nav: 'users' }, text: 'Users' }),
    can('audit') && h('a', { href: '/audit', dataset: { nav: 'audit' }, text: 'Audit' }),
    can('users') && h('a', { href: '/seats', dataset: { nav: 'seats' }, text: 'Seats' }),
    can('notifications') && h('a', { href: '/notifications', dataset: { nav: 'notifications' }, text: 'Notifications' }),
    can('monitoring') && h('a', { href: '/monitoring', dataset: { nav: 'monitoring' }, text: 'Monitoring' }));
  const header = h('header', { class: 'topbar' },
    h('a', { href: '/overview', class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: 'Steward', width: '22', height: '22' }), h('span', { class: 'brand-name', text: 'Steward' })),
    nav,
    h('div', { class: 'spacer' }),
    h('span', { class: 'live', id: 'live-status' }, liveDot, liveText),
    h('span', { class: 'who', title: `${me.name} (${me.role}), ${me.all_clients ? 'all clients' : `${(me.clients || []).length} client(s)`}` },
      h('strong', { text: me.name }), ' ', h('span', { class: 'role', text: me.role })),
    h('button', { type: 'button', class: 'small', id: 'logout', text: 'Log out', onclick: logout }));
  main = h('main', { id: 'main' });
  put(app, header, main);
}

async function logout() {
  try {
    await post('/api/v1/auth/logout', {}, { noLogout: true });
  } catch {
    // The session may already be gone; the page resets either way.
  }
  loggedOut();
}

function loggedOut() {
  live.stop();
  session.me = null;
  session.csrf = '';
  main = null;
  const next = location.pathname === '/login' ? '' : `?next=${encodeURIComponent(location.pathname + location.search)}`;
  navigate(`/login${next}`, { replace: true });
}

async function render() {
  const path = location.pathname;
  current?.dispose?.();
  current = null;
  if (!session.me) {
    if (path !== '/login') {
      navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      return;
    }
    document.title = 'Log in · Steward';
    main = null;
    current = loginPage.mount(app, { query: new URLSearchParams(location.search), done: loggedIn });
    return;
  }
  if (path === '/login') {
    navigate('/overview', { replace: true });
    return;
  }
  if (!main || !main.isConnected) layout();
  let match = null;
  let page = null;
  let title = 'Not found';
  for (const [re, mod, t] of routes) {
    match = path.match(re);
    if (match) {
      page = mod;
      title = t;
      break;
    }
  }
  document.title = `${title} · Steward`;
  for (const a of nav.querySelectorAll('a')) {
    a.classList.toggle('active', path === a.getAttribute('href') || path.startsWith(`${a.getAttribute('href')}/`)
      || (path === '/' && a.dataset.nav === 'overview'));
  }
  main.replaceChildren();
  if (!page) {
    document.title = 'Page not found · Steward';
    put(main, h('section', { class: 'panel not-found', id: 'not-found' }, h('h1', { text: 'Page not found' }),
      h('p', { class: 'wrap' }, 'There is no page at ', h('code', { text: path }), '.'),
      h('p', {}, h('a', { href: '/overview', id: 'not-found-home', text: 'Back to the overview' }))));
    return;
  }
  const ctx = { params: match.slice(1).map((s) => (s ? decodeURIComponent(s) : s)), query: new URLSearchParams(location.search), navigate };
  try {
    current = page.mount(main, ctx) || null;
  } catch (e) {
    console.error(e);
    put(main, h('p', { class: 'error', text: `This page failed: ${e.message}` }));
  }
}

async function loggedIn(next) {
  await loadMe();
  live.start();
  main = null;
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/overview', { replace: true });
}

// In-app links: plain left clicks on same-origin paths stay in the page.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest?.('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/') || href.startsWith('/assets/')) return;
  e.preventDefault();
  if (href !== location.pathname + location.search) navigate(href);
});
window.addEventListener('popstate', render);
live.on((ev) => current?.onEvent?.(ev));
live.setClosedHandler(async () => {
  if (!session.me) return;
  // Still logged in (the server restarted, say): reconnect in a moment.
  const ok = await loadMe().catch(() => null);
  if (ok === false) {
    toast('Your session ended; please log in again.', 'error');
    loggedOut();
  } else {
    setTimeout(() => { if (session.me) live.start(); }, ok ? 2000 : 5000);
  }
});
setLoggedOutHandler(() => {
  toast('Your session ended; please log in again.', 'error');
  loggedOut();
});

(async () => {
  try {
    if (await loadMe()) live.start();
  } catch (e) {
    put(app, h('p', { class: 'error boot', text: `Cannot reach the server: ${e.message}` }));
    return;
  }
  render();
})();
