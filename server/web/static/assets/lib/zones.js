// Time zones in forms and in times shown in a device's or client's zone.
import { h } from './dom.js';

/** zoneNames lists the IANA zones the browser knows (empty if none). */
export function zoneNames() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/** zoneInput is a text input for an IANA zone with the browser's zones
 * offered in a datalist; '' is the server's zone. */
export function zoneInput(name, value, props = {}) {
  const listID = `${props.id || name}-zones`;
  const input = h('input', { name, value: value || '', list: listID, placeholder: "server's zone", maxlength: '64', autocomplete: 'off', ...props });
  return [input, h('datalist', { id: listID }, zoneNames().map((z) => h('option', { value: z })))];
}

/** inZone formats a time in an IANA zone ('' = the browser's) with the
 * zone's short name. */
export function inZone(s, zone) {
  const d = s ? new Date(s) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  const opts = { dateStyle: 'medium', timeStyle: 'short', timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat(undefined, zone ? { ...opts, timeZone: zone } : opts).format(d);
  } catch {
    return d.toLocaleString();
  }
}
