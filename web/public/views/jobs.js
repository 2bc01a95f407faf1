// Jobs: one queue at a time (tabs), filtered by group and taskId prefix, 50 at a time with
// "more", each row with the actions that fit its queue.

import { api } from '../api.js';
import { h, clear, table, jobKind, jobWhen, fmtTime, actionButtons, errorBanner, errorText } from '../ui.js';

const QUEUES = ['executable', 'executing', 'cron', 'repeat', 'suspended', 'dead'];
const PAGE = 50;

function jobHref(group, taskId) {
  return `#/job/${encodeURIComponent(group)}/${encodeURIComponent(taskId)}`;
}

export function renderJobs(view, params) {
  const state = {
    queue: QUEUES.includes(params.get('queue')) ? params.get('queue') : 'executable',
    group: params.get('group') || '',
    taskId: params.get('taskId') || '',
  };
  document.title = `Jobs: ${state.queue} · LTS console`;
  view.dataset.testid = 'page-jobs';

  let stopped = false;
  let loadSeq = 0;
  let rows = [];
  let offset = 0;

  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Queues' });
  const tabButtons = new Map();
  for (const q of QUEUES) {
    const count = h('span', { class: 'tab-count', dataset: { testid: `tab-count-${q}` } });
    const b = h('button', {
      type: 'button', role: 'tab', class: 'tab', id: `tab-${q}`,
      'aria-controls': 'jobs-panel', dataset: { testid: `tab-${q}`, queue: q },
    }, q, ' ', count);
    b.addEventListener('click', () => {
      if (state.queue === q) return;
      state.queue = q;
      document.title = `Jobs: ${state.queue} · LTS console`;
      syncTabs();
      syncHash();
      load(true);
    });
    tabButtons.set(q, { b, count });
    tabs.append(b);
  }
  function syncTabs() {
    for (const [q, { b }] of tabButtons) {
      const on = q === state.queue;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.classList.toggle('active', on);
      b.tabIndex = on ? 0 : -1;
    }
  }

  const groupSelect = h('select', { id: 'jobs-group', dataset: { testid: 'filter-group' } },
    h('option', { value: '' }, 'all groups'));
  const search = h('input', {
    id: 'jobs-search', type: 'search', placeholder: 'taskId starts with…', autocomplete: 'off',
    value: state.taskId, dataset: { testid: 'filter-taskid' },
  });
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'jobs-refresh' } }, 'Refresh');
  const filters = h('form', { class: 'filters', role: 'search', dataset: { testid: 'jobs-filters' } },
    h('label', { for: 'jobs-group' }, 'Group'), groupSelect,
    h('label', { for: 'jobs-search' }, 'Task id'), search,
    refreshBtn);
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.taskId = search.value.trim();
    syncHash();
    load(true);
  });
  let debounce = null;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const v = search.value.trim();
      if (v === state.taskId) return;
      state.taskId = v;
      syncHash();
      load(true);
    }, 300);
  });
  groupSelect.addEventListener('change', () => {
    state.group = groupSelect.value;
    syncHash();
    load(true);
  });
  refreshBtn.addEventListener('click', () => load(true));

  const status = h('p', { class: 'muted small', dataset: { testid: 'jobs-status' }, 'aria-live': 'polite' });
  const panel = h('div', { id: 'jobs-panel', role: 'tabpanel', 'aria-live': 'off' });
  const moreBtn = h('button', { type: 'button', class: 'btn', dataset: { testid: 'jobs-more' }, hidden: true }, 'More');
  moreBtn.addEventListener('click', () => load(false));

  view.append(h('div', { class: 'view-head' }, h('h1', null, 'Jobs')), tabs, filters, status, panel, moreBtn);
  syncTabs();

  function syncHash() {
    const qs = new URLSearchParams({ queue: state.queue });
    if (state.group) qs.set('group', state.group);
    if (state.taskId) qs.set('taskId', state.taskId);
    // replaceState: no hashchange, so the view (and its input focus) stays.
    history.replaceState(null, '', `#/jobs?${qs}`);
  }

  function columns() {
    const cols = [
      {
        label: 'Task id', class: 'col-task',
        cell: (v) => h('a', { href: jobHref(v.job?.taskTrackerNodeGroup ?? '', v.job?.taskId ?? v.taskId), dataset: { testid: 'job-link' } }, v.job?.taskId ?? v.taskId),
      },
      { label: 'Group', cell: (v) => v.job?.taskTrackerNodeGroup ?? '' },
      { label: 'Kind', cell: (v) => jobKind(v.job) },
      {
        label: state.queue === 'cron' ? 'Cron' : state.queue === 'executing' ? 'Started' : state.queue === 'dead' ? 'Dead since' : 'Trigger time',
        class: 'col-when', cell: (v) => jobWhen(v),
      },
      { label: 'Retries', class: 'num', cell: (v) => `${v.retryTimes ?? 0}/${v.job?.maxRetryTimes ?? 0}` },
    ];
    if (state.queue === 'executing') cols.push({ label: 'TaskTracker', cell: (v) => v.taskTracker ?? '' });
    if (state.queue === 'dead') cols.push({ label: 'Reason', class: 'col-reason', cell: (v) => v.reason ?? '' });
    if (state.queue === 'executable' || state.queue === 'suspended') {
      cols.push({ label: 'Modified', cell: (v) => fmtTime(v.gmtModified) });
    }
    cols.push({
      label: 'Actions', class: 'col-actions',
      cell: (v) => h('div', { class: 'actions' }, actionButtons(v, () => load(true))),
    });
    return cols;
  }

  function draw() {
    const t = table(columns(), rows, {
      testid: 'jobs-table',
      empty: state.taskId || state.group ? 'No job matches the filter in this queue.' : `The ${state.queue} queue is empty.`,
      rowAttrs: (v) => ({
        dataset: {
          testid: 'job-row',
          taskId: v.job?.taskId ?? v.taskId ?? '',
          group: v.job?.taskTrackerNodeGroup ?? '',
          jobId: v.jobId ?? '',
          queue: v.queue ?? state.queue,
        },
      }),
    });
    // What the table lists, for tests and for anyone reading the DOM.
    Object.assign(t.dataset, { queue: state.queue, groupFilter: state.group, taskFilter: state.taskId });
    clear(panel).append(t);
  }

  async function load(reset) {
    const seq = ++loadSeq;
    if (reset) {
      offset = 0;
      rows = [];
    }
    status.textContent = 'Loading…';
    moreBtn.disabled = true;
    refreshCounts();
    try {
      const res = await api('GET', 'api/jobs', {
        query: { queue: state.queue, group: state.group, taskId: state.taskId, offset, limit: PAGE },
      });
      if (stopped || seq !== loadSeq) return;
      rows = rows.concat(res.jobs || []);
      offset = rows.length;
      draw();
      moreBtn.hidden = !res.more;
      moreBtn.disabled = false;
      status.textContent = `${rows.length} job${rows.length === 1 ? '' : 's'} shown` +
        (res.more ? ', more available' : '') +
        (state.taskId ? `, task id starting with “${state.taskId}”` : '') +
        (state.group ? `, group ${state.group}` : '');
    } catch (e) {
      if (stopped || seq !== loadSeq) return;
      clear(panel).append(errorBanner(e, `Cannot list the ${state.queue} queue`));
      status.textContent = '';
      moreBtn.hidden = true;
    }
  }

  async function refreshCounts() {
    try {
      const res = await api('GET', 'api/counts');
      if (stopped) return;
      for (const [q, { count }] of tabButtons) {
        const n = res.counts?.[q];
        count.textContent = n === undefined ? '' : String(n);
      }
    } catch {
      // The list shows the error.
    }
  }

  async function loadGroups() {
    try {
      const res = await api('GET', 'api/groups');
      if (stopped) return;
      const names = [...new Set((res.groups || [])
        .filter((g) => g.type === 'TASK_TRACKER' || !g.type)
        .map((g) => g.group))];
      if (state.group && !names.includes(state.group)) names.push(state.group);
      names.sort();
      for (const n of names) groupSelect.append(h('option', { value: n }, n));
      groupSelect.value = state.group;
    } catch (e) {
      if (!stopped && state.group) groupSelect.append(h('option', { value: state.group }, state.group));
      groupSelect.value = state.group;
      if (!stopped) groupSelect.title = `groups unavailable: ${errorText(e)}`;
    }
  }

  loadGroups();
  load(true);

  return () => {
    stopped = true;
    clearTimeout(debounce);
  };
}
