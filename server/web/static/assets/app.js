// Steward dashboard entry: session check, layout, client-side routing and
// the live event stream. Pages live in pages/; each exports
// mount(root, ctx) returning { dispose?, onEvent? }.
import { h, put } from './lib/dom.js';
import { session, loadMe, setLoggedOutHandler, can, post } from './lib/api.js';
import * as live from './lib/live.js';
import { toast } from './lib/ui.js';
import * as loginPage from './pages/login.js';
import { searchBox } from './lib/searchbox.js';

// Each page's module loads when its route is first visited (the browser
// caches it after), so the first page does not wait for every other page.
const routes = [
  [/^\/(?:overview)?$/, () => import('./pages/overview.js'), 'Overview'],
  [/^\/devices$/, () => import('./pages/devices.js'), 'Devices'],
  [/^\/devices\/([^/]+)(?:\/([a-z]+))?$/, () => import('./pages/device.js'), 'Device'],
  [/^\/jobs$/, () => import('./pages/jobs.js'), 'Jobs'],
  [/^\/jobs\/([^/]+)$/, () => import('./pages/job.js'), 'Job'],
  [/^\/clients$/, () => import('./pages/clients.js'), 'Clients'],
  [/^\/enrollment$/, () => import('./pages/enrollment.js'), 'Enrollment'],
  [/^\/scripts$/, () => import('./pages/scripts.js'), 'Scripts'],
  [/^\/users$/, () => import('./pages/users.js'), 'Users'],
  [/^\/audit$/, () => import('./pages/audit.js'), 'Audit log'],
  [/^\/shells$/, () => import('./pages/shells.js'), 'Shell recordings'],
  [/^\/shells\/([^/]+)$/, () => import('./pages/shell.js'), 'Shell recording'],
  [/^\/seats$/, () => import('./pages/seats.js'), 'Seats & devices'],
  [/^\/notifications$/, () => import('./pages/notifications.js'), 'Notifications'],
  [/^\/clients\/([^/]+)(?:\/([a-z-]+))?$/, () => import('./pages/client.js'), 'Client'],
  [/^\/alerts$/, () => import('./pages/alerts.js'), 'Alerts'],
  [/^\/monitoring$/, () => import('./pages/monitoring.js'), 'Monitoring'],
  [/^\/automation$/, () => import('./pages/automation.js'), 'Automation'],
  [/^\/tickets$/, () => import('./pages/tickets.js'), 'Tickets'],
  [/^\/tickets\/([^/]+)$/, () => import('./pages/ticket.js'), 'Ticket'],
  [/^\/invoices(?:\/([^/]+))?$/, () => import('./pages/invoices.js'), 'Invoices'],
  [/^\/search$/, () => import('./pages/search.js'), 'Search'],
  [/^\/customers$/, () => import('./pages/customers.js'), 'Customers'],
];

const app = document.getElementById('app');
let current = null;
let renders = 0;
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
    h('a', { href: '/tickets', dataset: { nav: 'tickets' }, text: 'Tickets' }),
    h('a', { href: '/jobs', dataset: { nav: 'jobs' }, text: 'Jobs' }),
    h('a', { href: '/scripts', dataset: { nav: 'scripts' }, text: 'Scripts' }),
    h('a', { href: '/clients', dataset: { nav: 'clients' }, text: 'Clients' }),
    can('clients') && h('a', { href: '/enrollment', dataset: { nav: 'enrollment' }, text: 'Enrollment' }),
    can('recordings') && h('a', { href: '/shells', dataset: { nav: 'shells' }, text: 'Recordings' }),
    can('users') && h('a', { href: '/users', dataset: { nav: 'users' }, text: 'Users' }),
    can('audit') && h('a', { href: '/audit', dataset: { nav: 'audit' }, text: 'Audit' }),
    can('users') && h('a', { href: '/seats', dataset: { nav: 'seats' }, text: 'Seats' }),
    can('notifications') && h('a', { href: '/notifications', dataset: { nav: 'notifications' }, text: 'Notifications' }),
    can('monitoring') && h('a', { href: '/monitoring', dataset: { nav: 'monitoring' }, text: 'Monitoring' }),
    h('a', { href: '/automation', dataset: { nav: 'automation' }, text: 'Automation' }),
    can('invoices') && h('a', { href: '/invoices', dataset: { nav: 'invoices' }, text: 'Invoices' }),
    h('a', { href: '/customers', dataset: { nav: 'customers' }, text: 'Customers' }));
  const header = h('header', { class: 'topbar' },
    h('a', { href: '/overview', class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: 'Steward', width: '22', height: '22' }), h('span', { class: 'brand-name', text: 'Steward' })),
    nav,
    h('div', { class: 'spacer' }),
    can('helpdesk') && searchBox(navigate),
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
  const seq = ++renders;
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
  let load = null;
  let title = 'Not found';
  for (const [re, mod, t] of routes) {
    match = path.match(re);
    if (match) {
      load = mod;
      title = t;
      break;
    }
  }
  let page = null;
  if (load) {
    try {
      page = await load();
    } catch (e) {
      console.error(e);
      if (seq !== renders) return;
      main.replaceChildren();
      put(main, h('p', { class: 'error', text: `This page failed to load: ${e.message}` }));
      return;
    }
    // A newer navigation started while this page's module loaded.
    if (seq !== renders) return;
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
