// DOM helpers, toasts, the confirm dialog, formatting, and the job actions shared by the
// Jobs list and the job page. Server data only ever goes into the page as text
// (textContent / text nodes / attribute values), never as HTML.

import { api, jobPath, seg, roleAtLeast } from './api.js';

// h('a', {href: '#/x', class: 'c', dataset: {testid: 'y'}, onclick: fn}, 'text', childNode, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// ---- formatting -----------------------------------------------------------------------------

const pad = (n, w = 2) => String(n).padStart(w, '0');

export function fmtTime(ms) {
  if (ms === undefined || ms === null || ms === '' || Number(ms) <= 0) return '';
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return String(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtClock(ms) {
  const d = new Date(Number(ms));
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtRelative(ms) {
  if (!ms) return '';
  const diff = Number(ms) - Date.now();
  const abs = Math.abs(diff);
  let s;
  if (abs < 60e3) s = `${Math.round(abs / 1e3)} s`;
  else if (abs < 3600e3) s = `${Math.round(abs / 60e3)} min`;
  else if (abs < 86400e3) s = `${(abs / 3600e3).toFixed(1)} h`;
  else s = `${(abs / 86400e3).toFixed(1)} d`;
  return diff >= 0 ? `in ${s}` : `${s} ago`;
}

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
export function fmtLevel(l) {
  if (typeof l === 'number') return LEVELS[l] ?? String(l);
  return String(l ?? '');
}

// Job log types, should the server send the store's numbers (src/store/job_store.h order).
const LOG_TYPES = ['RECEIVE', 'SENT', 'FINISHED', 'RESEND', 'FIXED_DEAD', 'BIZ', 'UPDATE',
  'DELETE', 'SUSPEND', 'RESUME', 'DEAD_LETTER', 'RETRY'];
export function fmtLogType(t) {
  if (typeof t === 'number') return LOG_TYPES[t] ?? String(t);
  return String(t ?? '');
}

// The kind of a job from its fields (docs/scheduling.md: first match wins).
export function jobKind(job) {
  if (!job) return '';
  if (job.cronExpression) return 'cron';
  if (Number(job.repeatInterval) > 0 && Number(job.repeatCount ?? 0) !== 0) return 'repeat';
  if (job.triggerTime === undefined || job.triggerTime === null) return 'real-time';
  return 'trigger-time';
}

// What to show in the "when" column of a JobView.
export function jobWhen(view) {
  const job = view.job || {};
  if (job.cronExpression) {
    const tz = job.timeZone && job.timeZone !== 'UTC' ? ` (${job.timeZone})` : '';
    return `${job.cronExpression}${tz}`;
  }
  if (view.queue === 'executing' && view.startedAt) return fmtTime(view.startedAt);
  if (view.queue === 'dead' && view.deadAt) return fmtTime(view.deadAt);
  if (jobKind(job) === 'repeat') {
    const count = Number(job.repeatCount) === -1 ? 'forever' : `${job.repeatCount} times`;
    return `every ${job.repeatInterval} ms, ${count}`;
  }
  return fmtTime(view.triggerTime ?? job.triggerTime);
}

// ---- toasts ---------------------------------------------------------------------------------

let toastRegion = null;
let toastSeq = 0;
function region() {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', dataset: { testid: 'toasts' } });
    document.body.append(toastRegion);
  }
  return toastRegion;
}

// A visible message: role=status for successes, role=alert for errors. Errors stay longer.
export function toast(message, kind = 'ok') {
  const isError = kind === 'error';
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', {
    class: `toast toast-${isError ? 'error' : 'ok'}`,
    role: isError ? 'alert' : 'status',
    dataset: { testid: isError ? 'toast-error' : 'toast-ok', seq: String(++toastSeq) },
  }, h('span', { class: 'toast-text' }, message), close);
  const remove = () => el.remove();
  close.addEventListener('click', remove);
  region().append(el);
  toastRegion.dataset.last = String(toastSeq);   // the newest toast's seq, even once it is gone
  setTimeout(remove, isError ? 12000 : 6000);
  return el;
}

export function errorText(e) {
  if (!e) return 'unknown error';
  const base = e.message || String(e);
  if (e.status === 429 && e.retryAfter) return `${base} (try again in ${e.retryAfter} s)`;
  return base;
}

// ---- the confirm dialog ---------------------------------------------------------------------

let dialog = null;
let resolveDialog = null;

function buildDialog() {
  const title = h('h2', { id: 'confirm-title', class: 'dialog-title' });
  const text = h('p', { id: 'confirm-text', class: 'dialog-text' });
  const ok = h('button', { type: 'button', class: 'btn btn-primary', dataset: { testid: 'confirm-ok' } }, 'Confirm');
  const cancel = h('button', { type: 'button', class: 'btn', dataset: { testid: 'confirm-cancel' } }, 'Cancel');
  dialog = h('dialog', {
    class: 'dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text',
    dataset: { testid: 'confirm-dialog' },
  }, title, text, h('div', { class: 'dialog-buttons' }, cancel, ok));
  const finish = (value) => {
    if (dialog.open) dialog.close();
    const r = resolveDialog;
    resolveDialog = null;
    if (r) r(value);
  };
  ok.addEventListener('click', () => finish(true));
  cancel.addEventListener('click', () => finish(false));
  dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); finish(false); });
  dialog._parts = { title, text, ok };
  document.body.append(dialog);
}

// Resolves true when the user confirms. One dialog at a time.
export function confirmDialog({ title, text, confirmLabel = 'Confirm', danger = false }) {
  if (!dialog) buildDialog();
  if (resolveDialog) resolveDialog(false);
  dialog._parts.title.textContent = title;
  dialog._parts.text.textContent = text;
  dialog._parts.ok.textContent = confirmLabel;
  dialog._parts.ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  return new Promise((resolve) => {
    resolveDialog = resolve;
    dialog.showModal();
    dialog._parts.ok.focus();
  });
}

// Closes the dialog (answering "no") when the page changes under it.
export function dismissDialog() {
  if (dialog && dialog.open) {
    dialog.close();
    const r = resolveDialog;
    resolveDialog = null;
    if (r) r(false);
  }
}

// ---- job actions ----------------------------------------------------------------------------

// The actions offered for a job in a queue.
const ACTIONS_BY_QUEUE = {
  executable: ['trigger', 'pause', 'cancel'],
  executing: ['terminate'],
  cron: ['trigger', 'pause', 'cancel'],
  repeat: ['trigger', 'pause', 'cancel'],
  suspended: ['resume', 'cancel'],
  dead: ['retry'],
};

const ACTION_INFO = {
  pause: { label: 'Pause', verb: 'pause', help: 'It moves to the suspended queue; a running instance finishes and starts nothing new.' },
  resume: { label: 'Resume', verb: 'resume', help: 'It goes back to its queue.' },
  trigger: { label: 'Trigger now', verb: 'trigger', help: 'A cron or repeat job gets an extra run now; a waiting job becomes due now.' },
  cancel: { label: 'Cancel', verb: 'cancel', danger: true, help: 'Its definition and waiting instances are removed; a running instance finishes.' },
  terminate: { label: 'Terminate', verb: 'terminate', danger: true, help: 'The TaskTracker interrupts the running job; the run is recorded as terminated.' },
  retry: { label: 'Retry', verb: 'retry', help: 'The dead job goes back to the executable queue with its retry count reset.' },
};

export function actionsFor(queue) {
  if (!roleAtLeast('operator')) return [];
  return ACTIONS_BY_QUEUE[queue] || [];
}

// Asks for confirmation, runs the action, reports it. Resolves true when it was done.
export async function runJobAction(action, view) {
  const info = ACTION_INFO[action];
  const group = view.job?.taskTrackerNodeGroup ?? view.group;
  const taskId = view.job?.taskId ?? view.taskId;
  const name = action === 'retry' ? `dead job ${view.jobId} (${group}/${taskId})` : `${group}/${taskId}`;
  const ok = await confirmDialog({
    title: `${info.label}: ${name}?`,
    text: info.help,
    confirmLabel: info.label,
    danger: !!info.danger,
  });
  if (!ok) return false;
  try {
    let res;
    if (action === 'retry') {
      res = await api('POST', `api/dead/${seg(view.jobId)}/retry`);
    } else {
      res = await api('POST', `${jobPath(group, taskId)}/${action}`);
    }
    toast(res && res.message ? res.message : `${info.verb} ${name}: done`, 'ok');
    return true;
  } catch (e) {
    toast(`${info.label} ${name} failed: ${errorText(e)}`, 'error');
    return false;
  }
}

// The buttons of a job's actions; onDone runs after a successful action.
export function actionButtons(view, onDone) {
  const group = view.job?.taskTrackerNodeGroup ?? '';
  const taskId = view.job?.taskId ?? view.taskId ?? '';
  return actionsFor(view.queue).map((action) => {
    const info = ACTION_INFO[action];
    const b = h('button', {
      type: 'button',
      class: `btn btn-small${info.danger ? ' btn-danger-outline' : ''}`,
      dataset: { testid: `action-${action}` },
      'aria-label': `${info.label} ${group}/${taskId}`,
    }, info.label);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        if (await runJobAction(action, view)) await onDone?.(action);
      } finally {
        b.disabled = false;
      }
    });
    return b;
  });
}

// A table from column definitions [{label, cell: row => Node|string, class?}].
export function table(columns, rows, { testid, rowAttrs, empty = 'nothing here' } = {}) {
  // Only the alignment classes carry over to the header cells.
  const thClass = (c) => (c.class || '').split(' ').filter((k) => k === 'num' || k.startsWith('col-')).join(' ') || undefined;
  const thead = h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: thClass(c) }, c.label))));
  const tbody = h('tbody');
  if (rows.length === 0) {
    tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty)));
  }
  for (const row of rows) {
    const tr = h('tr', rowAttrs ? rowAttrs(row) : null);
    for (const c of columns) tr.append(h('td', { class: c.class }, c.cell(row)));
    tbody.append(tr);
  }
  return h('table', { class: 'table', dataset: testid ? { testid } : undefined }, thead, tbody);
}

export function errorBanner(e, what) {
  return h('div', { class: 'banner banner-error', role: 'alert', dataset: { testid: 'view-error' } },
    `${what}: ${errorText(e)}`);
}

// Runs fn now and then every ms after it finished; run() asks for an extra run now (never two at
// once); stop() ends it. An exception in fn is a bug: reported on the console, polling goes on.
export function poller(fn, ms) {
  let timer = null;
  let running = false;
  let again = false;
  let stopped = false;
  async function run() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    try {
      await fn();
    } catch (e) {
      console.error('refresh failed', e);
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      run();
      return;
    }
    timer = setTimeout(run, ms);
  }
  return {
    run,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// A long job id, shortened for a table column; the whole id is its title (hover) and stays in
// the DOM's title attribute for copying.
export function shortId(id) {
  const s = String(id ?? '');
  if (s.length <= 14) return s;
  return h('span', { title: s, class: 'short-id' }, `${s.slice(0, 8)}…${s.slice(-4)}`);
}
