// The tabs of a client page, in order. Each is a module exporting
//   id     the URL segment (/clients/{id}/{tab}),
//   title  the tab's label,
//   perm   (optional) the permission a user needs to see the tab,
//   mount(root, ctx) -> { dispose?, onEvent?, update? }
// where ctx is { clientId, client, params, query, navigate, refresh }:
// client is GET /api/v1/clients/{id} (client, profile, fields, pinned),
// refresh() reloads it and calls every mounted tab's update(client).
import * as overview from './client/overview.js';
import * as contacts from './client/contacts.js';
import * as devices from './client/devices.js';
import * as assets from './client-assets.js';
import * as passwords from './client-passwords.js';
import * as attachments from './client-attachments.js';
import * as portal from './client-portal.js';
import * as tickets from './client-tickets.js';
import * as contracts from './client-contracts.js';
import * as activity from './client-activity.js';
import * as invoices from './client-invoices.js';
import * as consent from './client-consent.js';

export const CLIENT_TABS = [overview, contacts, devices, tickets, contracts, activity, assets, passwords, attachments, invoices, portal, consent];
