// Add job: a form for one job, posted to POST /api/jobs; shows the per-job result.

import { api, roleAtLeast } from '../api.js';
import { h, clear, errorText } from '../ui.js';

const KINDS = [
  ['realtime', 'real-time (now)'],
  ['trigger', 'trigger time (once, at a time)'],
  ['cron', 'cron'],
  ['repeat', 'repeat'],
];

// Parses "key=value" lines (blank lines and lines starting with # are skipped).
export function parseParams(text) {
  const out = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`extra parameters, line ${i + 1}: expected key=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

function field(id, label, input, hint) {
  return h('div', { class: 'field', dataset: { for: id } },
    h('label', { for: id }, label), input, hint ? h('small', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

function intOf(input, name, { min, max } = {}) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw Object.assign(new Error(`${name}: not a whole number`), { input });
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
    throw Object.assign(new Error(`${name}: must be ${range}`), { input });
  }
  return n;
}

export function renderAddJob(view) {
  document.title = 'Add job · LTS console';
  view.dataset.testid = 'page-add-job';
  view.append(h('div', { class: 'view-head' }, h('h1', null, 'Add a job')));
  if (!roleAtLeast('operator')) {
    view.append(h('p', { class: 'banner banner-info', role: 'status' },
      'Your role may read but not add jobs.'));
    return null;
  }

  const input = (id, attrs = {}) => h('input', { id, name: id, dataset: { testid: id }, ...attrs });
  const taskId = input('add-taskid', { required: true, maxlength: 64, autocomplete: 'off', placeholder: 'e.g. nightly-backup' });
  const group = input('add-group', { required: true, value: 'shell', maxlength: 64, pattern: '[A-Za-z0-9_.\\-]+' });
  const kind = h('select', { id: 'add-kind', name: 'kind', dataset: { testid: 'add-kind' } },
    KINDS.map(([v, label]) => h('option', { value: v }, label)));
  const triggerTime = input('add-trigger-time', { type: 'datetime-local', step: 1 });
  const cron = input('add-cron', { placeholder: '0 0 2 * * ?', autocomplete: 'off', maxlength: 128 });
  const timeZone = input('add-timezone', { value: 'UTC', autocomplete: 'off' });
  const repeatCount = input('add-repeat-count', { type: 'number', value: '10', min: -1, step: 1 });
  const repeatInterval = input('add-repeat-interval', { type: 'number', value: '60000', min: 1000, step: 1000 });
  const repeatFirst = input('add-repeat-first', { type: 'datetime-local', step: 1 });
  const command = input('add-command', { autocomplete: 'off', placeholder: 'echo hello', class: 'mono' });
  const params = h('textarea', {
    id: 'add-params', name: 'add-params', rows: 3, class: 'mono', placeholder: 'laterExitCodes=75\nkey=value',
    dataset: { testid: 'add-params' },
  });
  const priority = input('add-priority', { type: 'number', value: '100', step: 1 });
  const maxRetries = input('add-max-retries', { type: 'number', value: '0', min: 0, max: 1000, step: 1 });
  const timeout = input('add-timeout', { type: 'number', min: 0, step: 1, placeholder: 'none' });
  const needFeedback = input('add-need-feedback', { type: 'checkbox' });
  const replace = input('add-replace', { type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'add-submit' } }, 'Submit job');
  const result = h('div', { class: 'add-result', dataset: { testid: 'add-result' } });

  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const kindBoxes = {
    realtime: h('div', { class: 'kind-box' }, h('p', { class: 'muted small' }, 'Runs as soon as a TaskTracker of the group has room.')),
    trigger: h('div', { class: 'kind-box' }, field('add-trigger-time', 'Trigger time', triggerTime, `in your browser's zone (${tz}); a past time means now`)),
    cron: h('div', { class: 'kind-box row' },
      field('add-cron', 'Cron expression', cron, 'Quartz: second minute hour day-of-month month day-of-week [year]'),
      field('add-timezone', 'Time zone', timeZone, 'IANA zone the expression is read in')),
    repeat: h('div', { class: 'kind-box row' },
      field('add-repeat-count', 'Runs', repeatCount, 'total executions; -1 = forever'),
      field('add-repeat-interval', 'Interval (ms)', repeatInterval, 'at least 1000'),
      field('add-repeat-first', 'First run', repeatFirst, 'optional; empty = now')),
  };
  const syncKind = () => {
    for (const [k, box] of Object.entries(kindBoxes)) box.hidden = k !== kind.value;
    cron.required = kind.value === 'cron';
    triggerTime.required = kind.value === 'trigger';
  };
  kind.addEventListener('change', syncKind);

  const form = h('form', { class: 'add-form', dataset: { testid: 'add-form' }, novalidate: true },
    h('div', { class: 'row' },
      field('add-taskid', 'Task id', taskId, 'unique within the group'),
      field('add-group', 'Group', group, 'the TaskTracker node group that runs it'),
      field('add-kind', 'Kind', kind)),
    Object.values(kindBoxes),
    field('add-command', 'Command', command, 'shell TaskTrackers run it with /bin/sh -c (extParams.command)'),
    field('add-params', 'Extra parameters', params, 'one key=value per line (extParams)'),
    h('div', { class: 'row' },
      field('add-priority', 'Priority', priority, 'smaller runs first'),
      field('add-max-retries', 'Max retries', maxRetries, '0-1000'),
      field('add-timeout', 'Timeout (s)', timeout, 'optional')),
    h('div', { class: 'row checks' },
      h('label', { class: 'check' }, needFeedback, ' Need feedback'),
      h('label', { class: 'check' }, replace, ' Replace an existing job with this task id')),
    h('div', { class: 'form-buttons' }, submit),
    result);
  view.append(form);
  syncKind();

  function markInvalid(el) {
    for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    }
  }

  function showResult(ok, message, link) {
    clear(result).append(h('div', {
      class: ok ? 'banner banner-ok' : 'banner banner-error',
      role: ok ? 'status' : 'alert',
      dataset: { testid: ok ? 'add-ok' : 'add-error' },
    }, message, link ? [' ', link] : null));
  }

  // The form field a server error names (`field` or the start of the message).
  const FIELD_INPUTS = {
    taskId: taskId, taskTrackerNodeGroup: group, cronExpression: cron, timeZone, triggerTime,
    repeatCount, repeatInterval, priority, maxRetryTimes: maxRetries, extParams: params, timeoutSeconds: timeout,
  };
  function inputFor(e) {
    const name = String(e.field || e.message.split(':')[0] || '').replace(/^job\./, '').replace(/\[\d+\]/g, '');
    if (name === 'triggerTime') return kind.value === 'repeat' ? repeatFirst : triggerTime;
    return FIELD_INPUTS[name];
  }

  function buildJob() {
    const job = {
      taskId: taskId.value.trim(),
      taskTrackerNodeGroup: group.value.trim(),
    };
    if (!job.taskId) throw Object.assign(new Error('taskId: required'), { input: taskId });
    if (!job.taskTrackerNodeGroup) throw Object.assign(new Error('group: required'), { input: group });
    let extParams;
    try {
      extParams = parseParams(params.value);
    } catch (e) {
      throw Object.assign(e, { input: params });
    }
    const cmd = command.value.trim();
    if (cmd) {
      if ('command' in extParams) throw Object.assign(new Error('command is given twice: in Command and in the extra parameters'), { input: params });
      extParams.command = cmd;
    }
    if (Object.keys(extParams).length) job.extParams = extParams;
    const localTime = (el, name) => {
      const t = new Date(el.value).getTime();
      if (Number.isNaN(t)) throw Object.assign(new Error(`${name}: not a valid date and time`), { input: el });
      return t;
    };
    switch (kind.value) {
      case 'trigger':
        if (!triggerTime.value) throw Object.assign(new Error('trigger time: required'), { input: triggerTime });
        job.triggerTime = localTime(triggerTime, 'trigger time');
        break;
      case 'cron':
        if (!cron.value.trim()) throw Object.assign(new Error('cron expression: required'), { input: cron });
        job.cronExpression = cron.value.trim();
        if (timeZone.value.trim()) job.timeZone = timeZone.value.trim();
        break;
      case 'repeat': {
        job.repeatCount = intOf(repeatCount, 'runs', { min: -1 });
        job.repeatInterval = intOf(repeatInterval, 'interval', { min: 1000 });
        if (job.repeatCount === undefined || job.repeatCount === 0) throw Object.assign(new Error('runs: -1 or at least 1'), { input: repeatCount });
        if (job.repeatInterval === undefined) throw Object.assign(new Error('interval: required'), { input: repeatInterval });
        if (repeatFirst.value) job.triggerTime = localTime(repeatFirst, 'first run');
        break;
      }
      default:
        break;
    }
    const p = intOf(priority, 'priority', { min: -2147483648, max: 2147483647 });
    if (p !== undefined) job.priority = p;
    const r = intOf(maxRetries, 'max retries', { min: 0, max: 1000 });
    if (r !== undefined) job.maxRetryTimes = r;
    const t = intOf(timeout, 'timeout', { min: 0, max: 30 * 86400 });
    if (t) job.timeoutSeconds = t;
    if (needFeedback.checked) job.needFeedback = true;
    if (replace.checked) job.replaceOnExist = true;
    return job;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(result);
    markInvalid(null);
    let job;
    try {
      job = buildJob();
    } catch (e) {
      markInvalid(e.input);
      showResult(false, e.message);
      return;
    }
    submit.disabled = true;
    const name = `${job.taskTrackerNodeGroup}/${job.taskId}`;
    try {
      const res = await api('POST', 'api/jobs', { body: job });
      const r = (res.results || [])[0] || {};
      if (r.ok) {
        const href = `#/job/${encodeURIComponent(job.taskTrackerNodeGroup)}/${encodeURIComponent(job.taskId)}`;
        showResult(true, `Submitted ${name}: job id ${r.jobId}${r.replaced ? ' (replaced the existing job)' : ''}.`,
          h('a', { href, dataset: { testid: 'add-job-link' } }, 'Open the job'));
      } else {
        showResult(false, `Refused ${name}: ${r.error || 'no reason given'}${r.code ? ` (${r.code})` : ''}`);
        markInvalid(inputFor({ message: r.error || '' }));
      }
    } catch (e) {
      const hint = e.status === 409 ? ' Tick "Replace" to replace it.' : '';
      const why = errorText(e);
      showResult(false, `${why.startsWith(name) ? 'Refused: ' : `Refused ${name}: `}${why}.${hint}`);
      markInvalid(inputFor(e));
    } finally {
      submit.disabled = false;
    }
  });

  taskId.focus();
  return null;
}
