// The customer portal's sections, in menu order. Each module exports
// mount(root, ctx) -> {dispose?}; ctx is { identity: {client_id,
// client_name, contact_id, contact_name, admin, viewed_by}, navigate(path),
// params }. admin: shown to customer admins only.
export const SECTIONS = [
  { id: 'devices', title: 'Devices', admin: false, load: () => import('./devices.js') },
  { id: 'alerts', title: 'Alerts', admin: false, load: () => import('./alerts.js') },
  { id: 'activity', title: 'Activity', admin: false, load: () => import('./activity.js') },
  { id: 'tickets', title: 'Tickets', admin: false, load: () => import('./tickets.js') },
  { id: 'contracts', title: 'Contracts', admin: true, load: () => import('./usage.js') },
  { id: 'invoices', title: 'Invoices', admin: true, load: () => import('./invoices.js') },
  { id: 'grants', title: 'Access', admin: true, load: () => import('./grants.js') },
  { id: 'account', title: 'Account', admin: false, load: () => import('./account.js') },
];
