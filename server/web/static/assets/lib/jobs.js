// Shared job helpers: the recent-jobs table, job creation with a result
// notice, the run output follower, and the script form.
import { h, add, put, enc, visible } from './dom.js';
import { api, get, qs } from './api.js';
import { time, stateBadge, jobSummary, TERMINAL, count, plural } from './format.js';
import { toast, field, select } from './ui.js';

/** outcome summarises a job's run states as badges. */
export function outcome(states) {
  const order = ['succeeded', 'failed', 'timed_out', 'cancelled', 'expired', 'running', 'sent', 'queued'];
  const keys = Object.keys(states || {}).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (!keys.length) return h('span', { class: 'muted', text: '—' });
  return h('span', { class: 'outcome' }, keys.map((k) => h('span', { class: 'outcome-item' }, stateBadge(k), ` ${count(states[k])}`)));
}

/** jobWhat is a job's title: kind, then what ran, truncated, whole on hover. */
export function jobWhat(j) {
  const what = jobSummary(j);
  const body = j.spec?.script?.body;
  return [h('span', { class: 'kind', text: j.kind }), ' ',
    h('span', { class: 'job-what clip', title: body && !j.library ? body.slice(0, 2000) : what, text: what })];
}

// Client names by ID, read once per page load for job targets.
let clientNames = null;
export function loadClientNames() {
  clientNames ||= get('/api/v1/clients').then((cs) => new Map((cs || []).map((c) => [c.id, c.name]))).catch(() => new Map());
  return clientNames;
}

/**
 * jobTarget says what a job ran on, in words: "web-01" for one device
 * whose name is known, "3 devices in Acme Corp", "12 devices in 3 clients".
 */
export function jobTarget(j, names, device) {
  const n = j.runs || 0;
  if (n === 1 && device) return device;
  const cl = j.clients || [];
  const where = cl.length === 1 ? ` in ${names?.get(cl[0]) || cl[0]}` : cl.length > 1 ? ` in ${count(cl.length)} clients` : '';
  return `${plural(n, 'device')}${where}`;
}

/** jobsTable lists jobs (with states from GET /api/v1/jobs). */
export function jobsTable(jobs, names) {
  if (!jobs.length) return h('p', { class: 'empty', text: 'No jobs yet.' });
  return h('table', { class: 'grid jobs-table' },
    h('thead', {}, h('tr', {}, ['Created', 'What', 'Target', 'By', 'Devices', 'Outcome'].map((x) => h('th', { text: x })))),
    h('tbody', {}, jobs.map((j) => h('tr', { dataset: { job: j.id } },
      h('td', {}, time(j.created_at)),
      h('td', {}, h('a', { href: `/jobs/${enc(j.id)}`, class: 'job-link' }, jobWhat(j))),
      h('td', { class: 'job-target', title: j.target || '', text: jobTarget(j, names) }),
      h('td', { class: 'wrap', text: j.created_by || '' }),
      h('td', { class: 'num', text: count(j.runs) }),
      h('td', {}, outcome(j.states))))));
}

/**
 * createJob posts a job and shows a notice linking to it. Returns the
 * response ({job, runs}) or null when it failed (the error was shown).
 */
export async function createJob(body, what) {
  try {
    const r = await api('POST', '/api/v1/jobs', body);
    const n = r.job?.runs ?? r.runs?.length ?? 0;
    toast(`${what}: job created for ${count(n)} device${n === 1 ? '' : 's'}.`, 'ok',
      h('a', { href: `/jobs/${enc(r.job.id)}`, text: 'View job' }));
    return r;
  } catch (e) {
    toast(`${what} failed: ${e.message}`, 'error');
    return null;
  }
}

/**
 * followRun shows a run's state and output, following it live with the
 * output endpoint's long poll until it ends or dispose() is called.
 */
export function followRun(runID) {
  const state = h('span', { class: 'run-state' });
  const meta = h('span', { class: 'muted run-meta' });
  const out = h('pre', { class: 'output', dataset: { run: runID }, tabindex: '0' });
  const el = h('div', { class: 'run-output' }, h('div', { class: 'run-head' }, state, ' ', meta), out);
  const ctl = new AbortController();
  let so = 0;
  let se = 0;
  let stopped = false;
  (async () => {
    while (!stopped) {
      let r;
      try {
        r = await get(`/api/v1/runs/${enc(runID)}/output${qs({ stdout_from: so, stderr_from: se, wait: 25 })}`, { signal: ctl.signal });
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        put(meta, `(output unavailable: ${e.message}; retrying)`);
        await new Promise((res) => setTimeout(res, 3000));
        continue;
      }
      const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
      if (r.stdout) add(out, r.stdout);
      if (r.stderr) add(out, h('span', { class: 'stderr', text: r.stderr }));
      if (atBottom) out.scrollTop = out.scrollHeight;
      so = r.stdout_next ?? so;
      se = r.stderr_next ?? se;
      const run = r.run || {};
      put(state, stateBadge(run.state));
      put(meta, [
        TERMINAL.has(run.state) && run.kind !== 'power' ? `exit code ${run.exit_code}` : '',
        run.reason ? ` — ${run.reason}` : '',
        run.truncated ? ' (output truncated)' : '',
      ].join(''));
      el.dataset.state = run.state || '';
      if (r.done) {
        if (!out.textContent) add(out, h('span', { class: 'muted', text: '(no output)' }));
        return;
      }
    }
  })();
  return { el, dispose() { stopped = true; ctl.abort(); } };
}

/**
 * scriptForm builds the "run a script" fields: ad hoc (interpreter and
 * body) or from the library. body() returns the job request part. With a
 * client, the library lists that client's scripts and the global ones; a
 * script is sent by ID, so what the preview shows is what runs.
 */
export function scriptForm(defaultOS, client) {
  const interp = select('interpreter', [['sh', 'sh'], ['bash', 'bash'], ['powershell', 'PowerShell'], ['cmd', 'cmd'], ['python', 'Python']],
    defaultOS === 'windows' ? 'powershell' : 'sh', { id: 'script-interpreter' });
  const body = h('textarea', { name: 'body', id: 'script-body', rows: '8', spellcheck: 'false', class: 'code', placeholder: 'echo "hello from $(hostname)"' });
  const args = h('textarea', { name: 'args', id: 'script-args', rows: '2', spellcheck: 'false', class: 'code', placeholder: 'one argument per line' });
  const timeout = h('input', { name: 'timeout', id: 'script-timeout', type: 'number', min: '0', max: '604800', placeholder: 'default' });
  const lib = h('select', { name: 'library', id: 'script-library' }, h('option', { value: '', text: 'Loading…' }));
  const desc = h('p', { class: 'muted script-desc' });
  const preview = h('pre', { class: 'code script-preview', id: 'script-library-preview', hidden: true });
  let scripts = [];
  get(`/api/v1/scripts${client ? `?client=${encodeURIComponent(client)}` : ''}`).then((list) => {
    scripts = (list || []).sort((a, b) => a.name.localeCompare(b.name));
    put(lib, scripts.length ? scripts.map((s) => h('option', { value: s.id, dataset: { name: s.name },
      text: `${s.name} (${s.client_id ? (s.client_name || s.client_id) : 'global'}, v${s.version}, ${s.interpreter})` }))
      : h('option', { value: '', text: 'The library is empty' }));
    showDesc();
  }).catch(() => put(lib, h('option', { value: '', text: 'Could not load the library' })));
  const showDesc = () => {
    const sc = scripts.find((s) => s.id === lib.value);
    desc.textContent = visible(sc?.description || '');
    // What will run, as text: a library script is read before it is sent.
    preview.textContent = visible(sc ? sc.body : '');
    preview.hidden = !sc;
  };
  lib.addEventListener('change', showDesc);
  const modeAdhoc = h('input', { type: 'radio', name: 'mode', value: 'adhoc', checked: true, id: 'mode-adhoc' });
  const modeLib = h('input', { type: 'radio', name: 'mode', value: 'library', id: 'mode-library' });
  const adhoc = h('div', { class: 'stack' }, field('Interpreter', interp), field('Script', body));
  const library = h('div', { class: 'stack', hidden: true }, field('Library script', lib), desc, preview);
  const sync = () => {
    adhoc.hidden = !modeAdhoc.checked;
    library.hidden = modeAdhoc.checked;
  };
  modeAdhoc.addEventListener('change', sync);
  modeLib.addEventListener('change', sync);
  const el = h('div', { class: 'stack script-form' },
    h('div', { class: 'radios' }, h('label', {}, modeAdhoc, ' Ad hoc'), h('label', {}, modeLib, ' From the library')),
    adhoc, library,
    field('Arguments', args, 'Passed to the script as an argument list, one per line, never through a shell.'),
    field('Timeout (seconds)', timeout));
  return {
    el,
    focus: () => body.focus(),
    body() {
      const a = args.value.split('\n').map((s) => s.replace(/\r$/, '')).filter((s) => s !== '');
      const t = parseInt(timeout.value, 10);
      const req = { kind: 'script' };
      if (t > 0) req.timeout_seconds = t;
      if (modeAdhoc.checked) {
        if (!body.value.trim()) throw new Error('The script is empty.');
        req.script = { interpreter: interp.value, body: body.value };
        if (a.length) req.script.args = a;
      } else {
        if (!lib.value) throw new Error('Choose a library script.');
        req.library = lib.value;
        if (a.length) req.script = { interpreter: '', args: a };
      }
      return req;
    },
  };
}
