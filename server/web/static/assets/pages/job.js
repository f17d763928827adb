// One job: what it does, its runs per device with live states, and each
// run's output.
import { h, put, enc, throttle } from '../lib/dom.js';
import { get, post, can } from '../lib/api.js';
import { time, full, stateBadge, count, TERMINAL } from '../lib/format.js';
import { confirm, toast } from '../lib/ui.js';
import { outcome, followRun, jobWhat, jobTarget, loadClientNames } from '../lib/jobs.js';

const PERM = { script: 'run', software_uninstall: 'run', service: 'services', power: 'power', patch_install: 'patch', patch_scan: 'patch' };

export function mount(root, ctx) {
  const id = ctx.params[0];
  const head = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const runsBox = h('div', { class: 'panel' });
  const outBox = h('div', { class: 'output-box', id: 'job-output' });
  put(root, h('p', { class: 'crumbs' }, h('a', { href: '/jobs', text: 'Jobs' }), ' / '), head, runsBox, outBox);
  const names = new Map();
  let follow = null;
  let openRun = '';
  let job = null;

  async function names50(runs) {
    // Device names for the first runs; a huge fan-out shows IDs beyond that.
    const missing = runs.slice(0, 50).map((r) => r.device_id).filter((d) => !names.has(d));
    await Promise.all(missing.map((d) => get(`/api/v1/devices/${enc(d)}`).then((x) => names.set(d, x.device.hostname)).catch(() => names.set(d, d))));
  }

  async function load() {
    let r;
    try {
      r = await get(`/api/v1/jobs/${enc(id)}`);
    } catch (e) {
      put(head, h('h1', { text: 'Job' }), h('p', { class: 'error', text: e.message }));
      return;
    }
    job = r.job;
    const runs = r.runs || [];
    await names50(runs);
    const states = {};
    for (const x of runs) states[x.state] = (states[x.state] || 0) + 1;
    const open = runs.filter((x) => !TERMINAL.has(x.state)).length;
    const cnames = await loadClientNames();
    const sc = job.spec?.script;
    put(head, h('div', { class: 'title-row' }, h('h1', { id: 'job-title', class: 'clip-title' }, jobWhat(job))),
      h('p', { class: 'muted wrap', id: 'job-meta' }, `Created by ${job.created_by} `, time(job.created_at),
        ` · ran on ${jobTarget(job, cnames, runs.length === 1 ? names.get(runs[0].device_id) : '')}`,
        job.not_before && new Date(job.not_before) > new Date(0) ? ` · scheduled for ${full(job.not_before)}` : '', ` · expires ${full(job.expires)}`),
      job.script ? h('p', { class: 'muted', id: 'job-script' }, job.script.id
        ? ['Library script ', h('code', { text: job.script.name }), ` version ${job.script.version} · sha256 `]
        : `Ad hoc ${sc?.interpreter || ''} script · sha256 `, h('code', { class: 'hash', text: job.script.sha256 })) : null,
      sc?.body ? h('details', { class: 'script-body', open: !job.script?.id },
        h('summary', { text: `What ran (${sc.body.split('\n').length} line${sc.body.split('\n').length === 1 ? '' : 's'})` }),
        h('pre', { class: 'code script-text', id: 'job-script-body', text: sc.body })) : null,
      sc?.args?.length ? h('p', { class: 'muted wrap', id: 'job-args' }, 'Arguments: ', sc.args.map((a, i) => [i ? ' ' : '', h('code', { text: a })])) : null,
      h('p', {}, outcome(states), ' ',
        open && can(PERM[job.kind] || 'admin') ? h('button', { type: 'button', class: 'small', id: 'cancel-job', text: `Cancel ${open} unfinished`, onclick: cancel }) : null));
    put(runsBox, h('table', { class: 'grid', id: 'job-runs' },
      h('thead', {}, h('tr', {}, ['Device', 'State', 'Exit', 'Reason', 'Started', 'Ended', 'Output'].map((x) => h('th', { text: x })))),
      h('tbody', {}, runs.map((x) => h('tr', { dataset: { run: x.id }, class: x.id === openRun ? 'selected' : '' },
        h('td', {}, h('a', { href: `/devices/${enc(x.device_id)}`, text: names.get(x.device_id) || x.device_id })),
        h('td', {}, stateBadge(x.state)), h('td', { class: 'num', text: ['succeeded', 'failed'].includes(x.state) ? String(x.exit_code) : '' }),
        h('td', { text: x.reason || '' }), h('td', {}, time(x.started_at)), h('td', {}, time(x.ended_at)),
        h('td', {}, h('button', { type: 'button', class: 'small', text: 'Show', onclick: () => show(x) })))))),
    runs.length > 50 ? h('p', { class: 'muted', text: `${count(runs.length)} runs; device names shown for the first 50.` }) : null);
    if (!openRun && runs.length === 1) show(runs[0]);
  }
  const reload = throttle(load, 1000);

  function show(run) {
    follow?.dispose();
    openRun = run.id;
    follow = followRun(run.id);
    put(outBox, h('h3', {}, 'Output from ', names.get(run.device_id) || run.device_id), follow.el);
    for (const tr of runsBox.querySelectorAll('tr[data-run]')) tr.classList.toggle('selected', tr.dataset.run === run.id);
  }

  async function cancel() {
    if (!await confirm('Cancel job', 'Cancel every run of this job that has not finished?', { ok: 'Cancel runs', danger: true })) return;
    try {
      const r = await post(`/api/v1/jobs/${enc(id)}/cancel`, {});
      toast(`Cancelled ${r.cancelled} runs.`, 'ok');
      reload();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  load();
  return {
    dispose() { follow?.dispose(); },
    onEvent(ev) { if ((ev.type === 'run' && ev.job_id === id) || ev.type === 'resync') reload(); },
  };
}
