// A ticket: its fields (changed in place by those who work tickets), the
// SLA clock (time left, paused or overdue; breaches), and its timeline of
// public and internal comments and time entries, and the files attached
// to it (client attachments owned by the ticket). It reloads when the
// ticket changes (a live event); its parts are updated in place, so a
// half-typed reply or time entry survives.
import { h, put, enc } from '../lib/dom.js';
import { get, post, patch, del, can, session } from '../lib/api.js';
import { select, field, toast, confirm } from '../lib/ui.js';
import { full } from '../lib/format.js';
import { PRIORITIES, IMPACTS, TYPES, ACTIVITIES } from '../lib/tickets.js';
import { upload, fileTable } from '../lib/attachments.js';

export function mount(root, ctx) {
  const ref = ctx.params[0];
  const canWork = can('tickets');
  put(root, h('p', { class: 'muted', text: 'Loading…' }));
  let statuses = [];
  // cur is the ticket last loaded; the forms act on it.
  let cur = null;

  // The page is built once and its parts are updated in place on every
  // load (a status change, an event): the reply and time forms are never
  // rebuilt, so what is being typed in them survives.
  const parts = {
    head: h('div', { class: 'page-head' }), meta: h('p'), fields: h('div', { class: 'toolbar' }), tech: h('p'),
    desc: h('div'), sla: h('div'), comments: h('ul', { class: 'ticket-timeline', id: 'ticket-comments' }), time: h('div', { class: 'table-wrap' }),
  };
  const body = h('textarea', { id: 'comment-body', rows: '4', maxlength: '20000', 'aria-label': 'Comment' });
  const pub = h('input', { type: 'checkbox', id: 'comment-public' });
  const minutes = h('input', { type: 'number', id: 'time-minutes', min: '1', max: '1440', 'aria-label': 'Minutes' });
  const billable = h('input', { type: 'checkbox', id: 'time-billable', checked: true });
  const note = h('input', { id: 'time-note', maxlength: '2000', 'aria-label': 'Note', placeholder: 'What was done' });
  const commentForm = canWork && h('form', { class: 'stack', id: 'comment-form', onsubmit: (e) => { e.preventDefault(); addComment(); } },
    body, h('label', { class: 'check' }, pub, ' Public (the customer sees it)'), h('button', { type: 'submit', class: 'primary', text: 'Add comment' }));
  const timeForm = canWork && h('form', { class: 'toolbar', id: 'time-form', onsubmit: (e) => { e.preventDefault(); addTime(); } },
    minutes, h('label', { class: 'check' }, billable, ' Billable'), note, h('button', { type: 'submit', text: 'Record time' }));
  let built = false;

  // loading coalesces reloads: events arriving during a load cause one more.
  let loading = null;
  let again = false;
  async function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        let d;
        try {
          [d, statuses] = await Promise.all([get(`/api/v1/tickets/${enc(ref)}`), get('/api/v1/ticket-statuses').then((s) => s.statuses.map((x) => x.name))]);
        } catch (e) {
          if (!built) put(root, h('p', { class: 'error', id: 'ticket-error', text: e.message }));
          else toast(e.message, 'error');
          return;
        }
        draw(d);
      } while (again);
    })();
    try {
      await loading;
    } finally {
      loading = null;
    }
  }

  function change(t, key, values) {
    const el = select(key, values.map((v) => [v, v]), t[key], { id: `ticket-${key}`, disabled: !canWork, 'aria-label': key });
    el.addEventListener('change', async () => {
      try {
        await patch(`/api/v1/tickets/${enc(t.id)}`, { [key]: el.value });
      } catch (e) {
        toast(e.message, 'error');
      }
      load();
    });
    return el;
  }

  function draw(d) {
    const t = d.ticket;
    cur = t;
    const s = t.sla;
    if (!built) {
      built = true;
      put(root, parts.head, parts.meta, parts.fields, parts.tech, parts.desc, parts.sla,
        h('h2', { text: 'Timeline' }), parts.comments, commentForm,
        h('h2', { text: 'Time' }), parts.time, timeForm,
        ...filesPanel(t));
    }
    put(parts.head, h('h1', { class: 'wrap' }, h('span', { class: 'muted', text: `#${t.number} ` }), h('span', { id: 'ticket-title', text: t.title })));
    put(parts.meta, h('a', { href: `/clients/${enc(t.client_id)}/tickets`, text: t.client_name || t.client_id }),
      ` · opened ${full(t.created_at)} · changed ${full(t.modified_at)}`);
    put(parts.fields, field('Status', change(t, 'status', statuses)), field('Priority', change(t, 'priority', PRIORITIES)),
      field('Impact', change(t, 'impact', IMPACTS)), field('Type', change(t, 'type', TYPES)), field('Activity', change(t, 'activity', ACTIVITIES)));
    put(parts.tech, `Technician: ${t.technician_name || 'unassigned'} `,
      canWork && h('button', { type: 'button', class: 'small', id: 'ticket-assign-me', text: 'Assign to me', onclick: () => assignMe(t) }),
      canWork && h('button', { type: 'button', class: 'small', id: 'ticket-spam-toggle', text: t.spam ? 'Not spam' : 'Mark spam',
        onclick: () => setSpam(t, !t.spam) }));
    put(parts.desc, t.description && h('div', { class: 'panel' }, h('p', { class: 'wrap pre', id: 'ticket-description', text: t.description })));
    put(parts.sla, s ? h('div', { class: 'panel', id: 'ticket-sla' }, h('h3', { text: 'SLA' }),
      h('p', {}, t.due_in ? h('span', { class: ['badge', t.overdue ? 'bad' : ''], id: 'ticket-due', text: t.due_in }) : 'no target for this priority',
        t.sla_state ? h('span', { class: ['badge', t.sla_state === 'breached' ? 'bad' : 'warn'], id: 'ticket-sla-state',
          text: t.sla_state === 'breached' ? 'SLA breached' : 'SLA at risk' }) : null),
      s.first_response_due && h('p', { text: `First response due ${full(s.first_response_due)}${s.first_response_at ? `, answered ${full(s.first_response_at)}` : ''}` }),
      s.first_response_breached && h('p', { class: 'warn-text', text: `First response breached at ${full(s.first_response_breached)}` }),
      s.resolution_due && h('p', { text: `Resolution due ${full(s.resolution_due)}` }),
      s.resolution_breached && h('p', { class: 'warn-text', text: `Resolution breached at ${full(s.resolution_breached)}` })) : null);
    put(parts.comments, d.comments.map((c) => h('li', { class: ['ticket-comment', c.public ? 'public' : 'internal'] },
      h('div', { class: 'muted' }, h('strong', { text: c.author_name || c.author_id }), ` · ${full(c.at)} · `,
        h('span', { class: ['badge', c.public ? '' : 'warn'], text: c.public ? 'public' : 'internal' })),
      h('p', { class: 'wrap pre', text: c.body }))));
    const times = (d.time || []).map((e) => h('tr', { dataset: { entry: e.id } }, h('td', { text: full(e.at) }), h('td', { text: e.user_name }),
      h('td', { class: 'num', text: `${e.minutes} min` }), h('td', { text: e.billable ? 'billable' : '' }), h('td', { text: e.contract_id || '' }),
      h('td', { text: e.note || '' }),
      h('td', {}, canWork && h('button', { type: 'button', class: 'small', text: 'Delete', onclick: () => removeTime(t, e) }))));
    put(parts.time, times.length ? h('table', { class: 'grid', id: 'ticket-time' },
      h('thead', {}, h('tr', {}, ['When', 'Who', 'Time', '', 'Contract', 'Note', ''].map((x) => h('th', { text: x })))), h('tbody', {}, times))
      : h('p', { class: 'empty', text: 'No time recorded.' }));
  }

  function filesPanel(t) {
    const canAttach = can('attachments');
    const owner = { kind: 'ticket', id: t.id };
    const list = h('div', { class: 'table-wrap', id: 'ticket-files' }, h('p', { class: 'muted', text: 'Loading…' }));
    const picker = h('input', { type: 'file', id: 'ticket-file', multiple: true, hidden: true });
    async function loadFiles() {
      try {
        const files = (await get(`/api/v1/clients/${enc(t.client_id)}/attachments?owner_kind=ticket&owner_id=${enc(t.id)}`)) || [];
        put(list, files.length ? fileTable('ticket-files-table', files, canAttach && removeFile) : h('p', { class: 'empty', text: 'No files attached.' }));
      } catch (e) {
        put(list, h('p', { class: 'error', text: e.message }));
      }
    }
    async function removeFile(a) {
      if (!(await confirm(`Delete ${a.name}?`, 'The file is deleted for good (the deletion is audited).', { ok: 'Delete', danger: true }))) return;
      try {
        await del(`/api/v1/attachments/${enc(a.id)}`);
      } catch (e) {
        toast(e.message, 'error');
      }
      loadFiles();
    }
    picker.addEventListener('change', async () => {
      const files = [...picker.files];
      picker.value = '';
      for (const f of files) {
        try {
          await upload(t.client_id, f, owner);
          toast(`Attached ${f.name}.`);
        } catch (e) {
          toast(`${f.name}: ${e.message}`, 'error');
        }
      }
      loadFiles();
    });
    loadFiles();
    return [h('div', { class: 'page-head' }, h('h2', { text: 'Files' }), h('span', { class: 'spacer' }),
      canAttach && h('button', { type: 'button', id: 'ticket-attach', text: 'Attach files', onclick: () => picker.click() }), picker), list];
  }

  // The forms are cleared only once what they sent is stored.
  async function addComment() {
    try {
      await post(`/api/v1/tickets/${enc(cur.id)}/comments`, { body: body.value, public: pub.checked });
      body.value = '';
      pub.checked = false;
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  async function addTime() {
    try {
      await post(`/api/v1/tickets/${enc(cur.id)}/time`, { minutes: Number(minutes.value), billable: billable.checked, note: note.value });
      minutes.value = '';
      note.value = '';
      billable.checked = true;
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  async function removeTime(t, e) {
    if (!(await confirm('Delete this time entry?', `${e.minutes} minutes by ${e.user_name}.`, { ok: 'Delete', danger: true }))) return;
    try {
      await del(`/api/v1/tickets/${enc(t.id)}/time/${enc(e.id)}`);
      load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }
  async function assignMe(t) {
    try {
      await patch(`/api/v1/tickets/${enc(t.id)}`, { technician_id: session.me.id });
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  async function setSpam(t, spam) {
    try {
      await patch(`/api/v1/tickets/${enc(t.id)}`, { spam });
      load();
    } catch (e) {
      toast(e.message, 'error');
    }
  }
  load();
  return {
    // A change of this ticket by anyone (or the SLA sweep) reloads it.
    onEvent: (ev) => {
      if ((ev.type === 'ticket' && cur && ev.id === cur.id) || ev.type === 'resync') load();
    },
  };
}
