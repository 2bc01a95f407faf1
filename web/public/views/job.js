// One job (#/job/{group}/{taskId}): its fields, its execution history and its BizLog, all
// refreshed every 2 s while the page is open, and the actions that fit its queue.

import { api, jobPath } from '../api.js';
import {
  h, append, clear, table, jobKind, fmtTime, fmtRelative, fmtLevel, fmtLogType, actionButtons, errorText, poller, shortId,
} from '../ui.js';

const LIVE_MS = 2000;
const LOG_LIMIT = 100;

function fieldRows(v) {
  const job = v.job || {};
  const rows = [
    ['Job id', v.jobId],
    ['Task id', job.taskId ?? v.taskId],
    ['Instance task id', v.instanceTaskId && v.instanceTaskId !== (job.taskId ?? v.taskId) ? v.instanceTaskId : undefined],
    ['Group', job.taskTrackerNodeGroup],
    ['Queue', v.queue],
    ['Kind', jobKind(job)],
    ['Cron', job.cronExpression ? `${job.cronExpression} (${job.timeZone || 'UTC'})` : undefined],
    ['Repeat', jobKind(job) === 'repeat'
      ? `every ${job.repeatInterval} ms, ${Number(job.repeatCount) === -1 ? 'forever' : `${job.repeatCount} times`}, ${v.repeatedCount ?? 0} done`
      : undefined],
    ['Trigger time', v.triggerTime ? `${fmtTime(v.triggerTime)} (${fmtRelative(v.triggerTime)})` : undefined],
    ['Priority', job.priority ?? 100],
    ['Retries', `${v.retryTimes ?? 0} of ${job.maxRetryTimes ?? 0}`],
    ['Need feedback', job.needFeedback ? 'yes' : 'no'],
    ['Rely on previous cycle', job.cronExpression || jobKind(job) === 'repeat' ? (job.relyOnPrevCycle === false ? 'no' : 'yes') : undefined],
    ['Timeout', job.timeoutSeconds ? `${job.timeoutSeconds} s` : undefined],
    ['Submitted by group', job.submitNodeGroup],
    ['TaskTracker', v.taskTracker],
    ['JobTracker', v.jobTracker],
    ['Started', v.startedAt ? fmtTime(v.startedAt) : undefined],
    ['Reason', v.reason],
    ['Dead since', v.deadAt ? fmtTime(v.deadAt) : undefined],
    ['Created', fmtTime(v.gmtCreated)],
    ['Modified', fmtTime(v.gmtModified)],
  ];
  return rows.filter(([, val]) => val !== undefined && val !== null && val !== '');
}

function renderFields(v) {
  const dl = h('dl', { class: 'fields', dataset: { testid: 'job-fields' } });
  for (const [k, val] of fieldRows(v)) {
    dl.append(h('dt', null, k), h('dd', { dataset: { field: k } }, String(val)));
  }
  const params = Object.entries(v.job?.extParams || {});
  const paramsBox = params.length
    ? table([
      { label: 'Parameter', cell: ([k]) => k },
      { label: 'Value', class: 'mono', cell: ([, val]) => String(val) },
    ], params, { testid: 'job-params' })
    : h('p', { class: 'muted' }, 'No parameters.');
  const raw = h('details', { class: 'raw' }, h('summary', null, 'JSON'),
    h('pre', { class: 'mono' }, JSON.stringify(v, null, 2)));
  return [dl, h('h3', null, 'Parameters'), paramsBox, raw];
}

export function renderJob(view, group, taskId) {
  document.title = `${group}/${taskId} · LTS console`;
  view.dataset.testid = 'page-job';

  const actions = h('div', { class: 'actions', dataset: { testid: 'job-actions' } });
  const live = h('span', { class: 'live', dataset: { testid: 'live' }, title: `refreshed every ${LIVE_MS / 1000} s` }, 'live');
  const fieldsBox = h('div', { dataset: { testid: 'job-details' } }, h('p', { class: 'muted' }, 'Loading…'));
  const logsBox = h('div', { dataset: { testid: 'job-history' } }, h('p', { class: 'muted' }, 'Loading…'));
  const bizBox = h('div', { dataset: { testid: 'job-bizlog' } }, h('p', { class: 'muted' }, 'Loading…'));

  view.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/jobs' }, 'Jobs'), ' / ', group, ' / '),
    h('div', { class: 'view-head' },
      h('h1', { dataset: { testid: 'job-title' } }, taskId), h('span', { class: 'badge' }, group), live, actions),
    h('div', { class: 'job-grid' },
      h('section', { class: 'panel' }, h('h2', null, 'Job'), fieldsBox),
      h('div', { class: 'job-logs' },
        h('section', { class: 'panel' }, h('h2', null, 'Execution history'), logsBox),
        h('section', { class: 'panel' }, h('h2', null, 'BizLog'), bizBox))));

  let stopped = false;
  const last = { job: null, logs: null, biz: null, actionsKey: null };

  function drawJob(res) {
    const key = res.ok ? JSON.stringify(res.value) : `err:${res.error.status}:${res.error.message}`;
    if (key === last.job) return;
    last.job = key;
    clear(fieldsBox);
    let actionsKey = '';
    if (res.ok) {
      const v = res.value.job;
      append(fieldsBox, renderFields(v));
      actionsKey = `${v.queue}|${v.jobId}`;
      if (actionsKey !== last.actionsKey) {
        append(clear(actions), actionButtons(v, () => tick()));
      }
    } else if (res.error.status === 404) {
      fieldsBox.append(h('p', { class: 'banner banner-info', role: 'status', dataset: { testid: 'job-gone' } },
        'No such job waits or runs now: it finished, was cancelled, or never existed. Its history stays below.'));
      clear(actions);
    } else {
      fieldsBox.append(h('p', { class: 'banner banner-error', role: 'alert' }, `Cannot read the job: ${errorText(res.error)}`));
    }
    last.actionsKey = actionsKey;
  }

  function drawLogs(res) {
    const key = res.ok ? JSON.stringify(res.value) : `err:${res.error.message}`;
    if (key === last.logs) return;
    last.logs = key;
    clear(logsBox);
    if (!res.ok) {
      logsBox.append(h('p', { class: 'banner banner-error', role: 'alert' }, `Cannot read the history: ${errorText(res.error)}`));
      return;
    }
    logsBox.append(table([
      { label: 'Time', class: 'nowrap', cell: (l) => fmtTime(l.time) },
      { label: 'Type', cell: (l) => fmtLogType(l.type) },
      { label: 'Result', cell: (l) => h('span', { class: l.success ? 'ok' : 'bad' }, l.success ? 'ok' : 'not ok') },
      { label: 'Job id', class: 'mono small nowrap', cell: (l) => shortId(l.jobId) },
      { label: 'Tracker', class: 'small', cell: (l) => l.tracker ?? '' },
      { label: 'Message', class: 'col-message', cell: (l) => l.message ?? '' },
    ], res.value.logs || [], {
      testid: 'history-table',
      empty: 'No history yet.',
      rowAttrs: (l) => ({ class: `level-${fmtLevel(l.level).toLowerCase()}`, dataset: { testid: 'history-row' } }),
    }));
  }

  function drawBiz(res) {
    const key = res.ok ? JSON.stringify(res.value) : `err:${res.error.message}`;
    if (key === last.biz) return;
    last.biz = key;
    clear(bizBox);
    if (!res.ok) {
      bizBox.append(h('p', { class: 'banner banner-error', role: 'alert' }, `Cannot read the BizLog: ${errorText(res.error)}`));
      return;
    }
    bizBox.append(table([
      { label: 'Time', class: 'nowrap', cell: (l) => fmtTime(l.time) },
      { label: 'Level', cell: (l) => fmtLevel(l.level) },
      { label: 'Job id', class: 'mono small nowrap', cell: (l) => shortId(l.jobId) },
      { label: 'Message', class: 'col-message mono', cell: (l) => l.message ?? '' },
    ], res.value.logs || [], {
      testid: 'bizlog-table',
      empty: 'No BizLog lines yet.',
      rowAttrs: (l) => ({ class: `level-${fmtLevel(l.level).toLowerCase()}`, dataset: { testid: 'bizlog-row' } }),
    }));
  }

  const settle = (p) => p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));

  // A job that is in no queue (finished, cancelled) answers 404: it is not asked for again
  // until its history moves (a resubmission), which keeps the live page from asking for a
  // missing job every 2 s.
  let gone = false;
  async function refresh() {
    const base = jobPath(group, taskId);
    const askJob = !gone;
    const [job, logs, biz] = await Promise.all([
      askJob ? settle(api('GET', base)) : Promise.resolve(null),
      settle(api('GET', `${base}/logs`, { query: { limit: LOG_LIMIT } })),
      settle(api('GET', `${base}/bizlog`, { query: { limit: LOG_LIMIT } })),
    ]);
    if (stopped) return;
    let jobRes = job;
    if (!askJob && logs.ok && JSON.stringify(logs.value) !== last.logs) {
      jobRes = await settle(api('GET', base));
      if (stopped) return;
    }
    if (jobRes) {
      drawJob(jobRes);
      gone = !jobRes.ok && jobRes.error.status === 404;
    }
    drawLogs(logs);
    drawBiz(biz);
    const jobOk = !jobRes || jobRes.ok || jobRes.error.status === 404;
    live.classList.toggle('live-error', !jobOk || !logs.ok || !biz.ok);
  }
  const poll = poller(refresh, LIVE_MS);
  const tick = () => poll.run();
  poll.run();

  return () => {
    stopped = true;
    poll.stop();
  };
}
