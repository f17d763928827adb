// Device toolbox actions: package install/upgrade/remove through the
// device's package manager (on the Software tab) and a message to the
// logged-in users (the Message tab). Both are jobs; their output follows
// live below the form.
import { h, put, enc } from '../lib/dom.js';
import { confirm, toast, field, select } from '../lib/ui.js';
import { createJob, followRun } from '../lib/jobs.js';

const MANAGERS = {
  linux: [['', 'Detected on the device'], ['apt', 'apt'], ['dnf', 'dnf'], ['yum', 'yum'], ['zypper', 'zypper'], ['pacman', 'pacman']],
  windows: [['', 'Detected on the device'], ['winget', 'winget'], ['choco', 'Chocolatey']],
  darwin: [['', 'Homebrew']],
};

// The server's rule for any manager; the device checks its manager's own.
const NAME = /^[A-Za-z0-9_@][A-Za-z0-9@._+:/-]{0,160}$/;

/** packageForm installs, upgrades or removes packages by name. */
export function packageForm(id, device) {
  const action = select('action', [['install', 'Install'], ['upgrade', 'Upgrade'], ['remove', 'Remove']], 'install', { id: 'package-action', 'aria-label': 'Package action' });
  const names = h('input', { name: 'packages', id: 'package-names', placeholder: 'Package names, separated by spaces', 'aria-label': 'Package names', autocomplete: 'off' });
  const manager = select('manager', MANAGERS[device.os] || [['', 'Detected on the device']], '', { id: 'package-manager', 'aria-label': 'Package manager' });
  const go = h('button', { type: 'submit', class: 'primary', id: 'package-go', text: 'Run' });
  const outBox = h('div', { class: 'output-box', id: 'package-output' });
  let follow = null;
  const f = h('form', { class: 'toolbar', id: 'package-form' }, action, names, manager, go);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const list = names.value.trim().split(/\s+/).filter(Boolean);
    if (!list.length) return toast('Name at least one package.', 'error');
    const bad = list.find((n) => !NAME.test(n) || n.startsWith('-'));
    if (bad !== undefined) return toast(`Not a package name: ${bad}`, 'error');
    const verb = action.selectedOptions[0].textContent;
    if (!await confirm(`${verb} packages`, `${verb} ${list.join(', ')} on ${device.hostname} with ${manager.value || 'its package manager'}?`,
      { ok: verb, danger: action.value === 'remove' })) return;
    const body = { devices: [id], kind: 'package', package: { action: action.value, packages: list } };
    if (manager.value) body.package.manager = manager.value;
    const r = await createJob(body, `${verb} packages`);
    if (r?.runs?.[0]) {
      follow?.dispose();
      follow = followRun(r.runs[0].id);
      put(outBox, h('h3', {}, `${verb} ${list.join(' ')} `, h('a', { href: `/jobs/${enc(r.job.id)}`, class: 'small-link', text: 'job' })), follow.el);
    }
  });
  return { el: h('div', { class: 'package-tools' }, f, outBox), dispose: () => follow?.dispose() };
}

/** messagePanel shows a message (or a yes/no prompt) to the logged-in users. */
export function messagePanel(id, getData) {
  const el = h('section', { class: 'panel', id: 'panel-message' });
  const title = h('input', { name: 'title', id: 'message-title', maxlength: '120', placeholder: 'Message from IT' });
  const text = h('textarea', { name: 'text', id: 'message-text', maxlength: '2000', rows: '4', required: true });
  const prompt = h('input', { type: 'checkbox', name: 'prompt', id: 'message-prompt' });
  const wait = h('input', { type: 'number', name: 'wait', id: 'message-wait', min: '10', max: '3600', value: '120' });
  const go = h('button', { type: 'submit', class: 'primary', id: 'message-go', text: 'Send' });
  const outBox = h('div', { class: 'output-box', id: 'message-output' });
  let follow = null;
  const f = h('form', { class: 'stack narrow', id: 'message-form' }, field('Title', title), field('Message', text),
    h('label', { class: 'check' }, prompt, ' Ask yes or no (Windows and macOS; Linux terminals and desktops only show it)'),
    field('Wait for an answer (seconds)', wait), h('div', {}, go));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return toast('Write the message.', 'error');
    const message = { text: text.value, title: title.value.trim() || undefined, prompt: prompt.checked || undefined };
    const w = parseInt(wait.value, 10);
    if (prompt.checked && w > 0) message.wait_seconds = w;
    const r = await createJob({ devices: [id], kind: 'message', message }, 'Message');
    if (r?.runs?.[0]) {
      follow?.dispose();
      follow = followRun(r.runs[0].id);
      put(outBox, h('h3', {}, `Message to the users of ${getData().device.hostname} `, h('a', { href: `/jobs/${enc(r.job.id)}`, class: 'small-link', text: 'job' })), follow.el);
    }
  });
  put(el, f, outBox, h('p', { class: 'muted', text: 'Each answer (or "shown" where the OS cannot ask) appears in the output, one line per user.' }));
  return { el, dispose: () => follow?.dispose() };
}
