// Overview: node counts by type, queue depths, and two charts of GET /api/stats. Every 10 s.

import { api } from '../api.js';
import { h, clear, fmtClock, errorText, poller } from '../ui.js';

const REFRESH_MS = 10000;

const NODE_TYPES = [
  ['JOB_TRACKER', 'JobTrackers'],
  ['TASK_TRACKER', 'TaskTrackers'],
  ['JOB_CLIENT', 'JobClients'],
  ['MONITOR', 'Monitors'],
  ['ADMIN', 'Admins'],
];
const QUEUES = ['executable', 'executing', 'cron', 'repeat', 'suspended', 'dead'];

// [key in the sample, legend, colour, dash]: the dashes keep equal series apart where they
// overlap (one success and one failure in the same interval draw the same line).
const OUTCOME_SERIES = [
  ['succeeded', 'succeeded', '#2e7d32', []],
  ['failed', 'failed', '#c62828', [6, 4]],
  ['later', 'later', '#ef8f00', [2, 3]],
  ['exception', 'exception', '#6a1b9a', [10, 3, 2, 3]],
];
const DEPTH_SERIES = [
  ['executable', 'executable', '#1565c0', []],
  ['executing', 'executing', '#2e7d32', [6, 4]],
  ['suspended', 'suspended', '#757575', [2, 3]],
  ['dead', 'dead', '#c62828', [10, 3, 2, 3]],
];

function makeChart(canvas, series, yTitle, integer) {
  const Chart = window.Chart;
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels: [],
      datasets: series.map(([, label, color, dash]) => ({
        label, data: [], borderColor: color, backgroundColor: color, borderDash: dash,
        borderWidth: 2, pointRadius: 2, pointHitRadius: 6, tension: 0,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 8, maxRotation: 0 } },
        y: {
          beginAtZero: true,
          title: { display: true, text: yTitle },
          ticks: integer ? { precision: 0 } : {},
        },
      },
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, pointStyle: 'line' } } },
    },
  });
}

function fillChart(chart, samples, series) {
  chart.data.labels = samples.map((s) => fmtClock(s.time));
  series.forEach(([key], i) => {
    chart.data.datasets[i].data = samples.map((s) => Number(s[key] ?? 0));
  });
  chart.update('none');
}

function statCard(label, value, testid, href) {
  const inner = [h('span', { class: 'card-value' }, String(value)), h('span', { class: 'card-label' }, label)];
  return href
    ? h('a', { class: 'card card-link', href, dataset: { testid } }, inner)
    : h('div', { class: 'card', dataset: { testid } }, inner);
}

export function renderOverview(view) {
  document.title = 'Overview · LTS console';
  const nodesBox = h('div', { class: 'cards', dataset: { testid: 'node-counts' } });
  const countsBox = h('div', { class: 'cards', dataset: { testid: 'queue-counts' } });
  const errorBox = h('div');
  const updated = h('span', { class: 'muted small', dataset: { testid: 'overview-updated' } });
  const outcomeCanvas = h('canvas', { 'aria-label': 'Jobs finished per minute by outcome', role: 'img', dataset: { testid: 'chart-outcomes' } });
  const depthCanvas = h('canvas', { 'aria-label': 'Queue depth over time', role: 'img', dataset: { testid: 'chart-depths' } });
  const chartsAvailable = typeof window.Chart === 'function';

  view.dataset.testid = 'page-overview';
  view.append(
    h('div', { class: 'view-head' }, h('h1', null, 'Overview'), updated),
    errorBox,
    h('h2', null, 'Nodes'), nodesBox,
    h('h2', null, 'Queues'), countsBox,
    chartsAvailable
      ? h('div', { class: 'charts' },
        h('figure', { class: 'chart' }, h('figcaption', null, 'Jobs finished per minute, by outcome'),
          h('div', { class: 'chart-box' }, outcomeCanvas)),
        h('figure', { class: 'chart' }, h('figcaption', null, 'Queue depth'),
          h('div', { class: 'chart-box' }, depthCanvas)))
      : h('div', { class: 'banner banner-error', role: 'alert' },
        'Chart.js is not installed (npm ci --prefix web): the charts are not shown.'));

  let outcomeChart = null;
  let depthChart = null;
  if (chartsAvailable) {
    outcomeChart = makeChart(outcomeCanvas, OUTCOME_SERIES, 'jobs / min', false);
    depthChart = makeChart(depthCanvas, DEPTH_SERIES, 'jobs', true);
  }

  let stopped = false;

  async function refresh() {
    const [nodes, counts, stats] = await Promise.allSettled([
      api('GET', 'api/nodes'),
      api('GET', 'api/counts'),
      api('GET', 'api/stats', { query: { minutes: 60 } }),
    ]);
    if (stopped) return;
    clear(errorBox);
    const errors = [];
    if (nodes.status === 'fulfilled') {
      const byType = new Map();
      for (const n of nodes.value.nodes || []) byType.set(n.type, (byType.get(n.type) || 0) + 1);
      clear(nodesBox);
      for (const [type, label] of NODE_TYPES) {
        const n = byType.get(type) || 0;
        if (n === 0 && type !== 'JOB_TRACKER' && type !== 'TASK_TRACKER') continue;
        nodesBox.append(statCard(label, n, `nodes-${type}`, '#/nodes'));
      }
    } else {
      errors.push(`nodes: ${errorText(nodes.reason)}`);
    }
    if (counts.status === 'fulfilled') {
      const c = counts.value.counts || {};
      clear(countsBox);
      for (const q of QUEUES) {
        countsBox.append(statCard(q, c[q] ?? 0, `count-${q}`, `#/jobs?queue=${q}`));
      }
    } else {
      errors.push(`queues: ${errorText(counts.reason)}`);
    }
    if (stats.status === 'fulfilled') {
      const samples = stats.value.samples || [];
      if (outcomeChart) fillChart(outcomeChart, samples, OUTCOME_SERIES);
      if (depthChart) fillChart(depthChart, samples, DEPTH_SERIES);
    } else {
      errors.push(`statistics: ${errorText(stats.reason)}`);
    }
    for (const e of errors) {
      errorBox.append(h('div', { class: 'banner banner-error', role: 'alert', dataset: { testid: 'view-error' } }, e));
    }
    updated.textContent = `updated ${fmtClock(Date.now())}, every ${REFRESH_MS / 1000} s`;
  }

  const poll = poller(refresh, REFRESH_MS);
  poll.run();

  return () => {
    stopped = true;
    poll.stop();
    outcomeChart?.destroy();
    depthChart?.destroy();
  };
}
