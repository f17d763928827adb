// Patch classification and severity: the normalised values agents report
// (protocol.PatchClassifications / PatchSeverities), shown as text in
// patch lists and edited in a patch policy (classification checkboxes,
// a minimum severity select).
import { h } from './dom.js';
import { select } from './ui.js';

export const CLASSES = [['security', 'Security'], ['critical', 'Critical'], ['bugfix', 'Bug fix'], ['enhancement', 'Enhancement'],
  ['feature', 'Feature'], ['definition', 'Definition'], ['driver', 'Driver'], ['rollup', 'Update rollup'], ['servicepack', 'Service pack'],
  ['tool', 'Tool'], ['other', 'Other']];
export const SEVERITIES = ['critical', 'important', 'moderate', 'low'];
const SEV_BADGE = { critical: 'bad', important: 'warn' };

/** classCell shows a patch's classification (clipped when long). */
export const classCell = (c) => (c ? h('span', { class: 'clip patch-class', title: c, text: c }) : '');

/** severityCell shows a patch's severity, critical and important as badges. */
export const severityCell = (s) => (s ? h('span', { class: ['clip', 'patch-severity', SEV_BADGE[s] && 'badge', SEV_BADGE[s]], title: s, text: s }) : '');

/** filterText says what a policy selects by classification and severity ('' for nothing). */
export function filterText(p) {
  const parts = [];
  if (p.classifications?.length) parts.push(`classified ${p.classifications.join(', ')}`);
  if (p.min_severity) parts.push(`${p.min_severity} or worse`);
  return parts.join('; ');
}

/**
 * patchFilterFields builds the patch policy form's classification
 * checkboxes and minimum severity select from a policy (or nothing);
 * apply(policy) writes the choices into the policy sent and reports
 * whether any was made.
 */
export function patchFilterFields(p) {
  const chosen = new Set(p?.classifications || []);
  const boxes = CLASSES.map(([v, label]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'classification', value: v, checked: chosen.has(v) }), ` ${label}`));
  const sev = select('min_severity', [['', 'No minimum'], ...SEVERITIES.map((s) => [s, `${s[0].toUpperCase()}${s.slice(1)} or worse`])],
    p?.min_severity || '', { id: 'auto-patch-severity' });
  const el = h('div', { class: 'stack', id: 'auto-patch-filters' },
    h('div', { class: 'field' }, h('span', { class: 'label', text: 'Also install patches the OS classifies as' }),
      h('div', { class: 'check-row', id: 'auto-patch-classes' }, boxes),
      h('span', { class: 'hint', text: 'Windows Update, dnf/yum and zypper say this; apt and macOS say little beyond security. Exclusions still win.' })),
    h('label', { class: 'field' }, h('span', { class: 'label', text: 'Also install patches of at least this severity' }), sev));
  return {
    el,
    apply(policy) {
      const classes = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      if (!policy) return classes.length > 0 || !!sev.value;
      policy.classifications = classes.length ? classes : undefined;
      policy.min_severity = sev.value || undefined;
      return classes.length > 0 || !!sev.value;
    },
  };
}

/** withoutFilters is a policy minus the fields the form edits (for its JSON box). */
export function withoutFilters(p) {
  if (!p) return p;
  const { classifications, min_severity, ...rest } = p; // eslint-disable-line no-unused-vars
  return rest;
}
