// Nodes: every registered node with its live figures; TaskTrackers can be disabled and
// enabled by an admin. Refreshed every 5 s.

import { api, roleAtLeast, seg } from '../api.js';
import { h, clear, table, fmtTime, confirmDialog, toast, errorText, errorBanner, poller } from '../ui.js';

const REFRESH_MS = 5000;
const TYPE_ORDER = ['JOB_TRACKER', 'TASK_TRACKER', 'JOB_CLIENT', 'MONITOR', 'ADMIN'];

function statsCell(stats) {
  if (!stats || typeof stats !== 'object') return '';
  const entries = Object.entries(stats);
  if (entries.length === 0) return '';
  return h('ul', { class: 'stats' }, entries.map(([k, v]) =>
    h('li', null, h('span', { class: 'stat-key' }, k), ' ', h('span', { class: 'stat-val' }, String(v)))));
}

function yesNo(b, yesClass = 'ok', noClass = 'bad') {
  return h('span', { class: b ? yesClass : noClass }, b ? 'yes' : 'no');
}

export function renderNodes(view) {
  document.title = 'Nodes · LTS console';
  view.dataset.testid = 'page-nodes';
  const info = h('p', { class: 'muted small', dataset: { testid: 'nodes-info' } });
  const box = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  view.append(h('div', { class: 'view-head' }, h('h1', null, 'Nodes'), info), box);

  let stopped = false;
  let lastKey = null;

  async function toggle(node, action) {
    const disable = action === 'disable';
    const ok = await confirmDialog({
      title: `${disable ? 'Disable' : 'Enable'} TaskTracker ${node.identity}?`,
      text: disable
        ? 'It keeps running what it has but receives no new jobs until enabled again (until a JobTracker restarts).'
        : 'It receives jobs again.',
      confirmLabel: disable ? 'Disable' : 'Enable',
      danger: disable,
    });
    if (!ok) return;
    try {
      const res = await api('POST', `api/nodes/${seg(node.identity)}/${action}`);
      toast(res.message || `${action}d ${node.identity}`, 'ok');
    } catch (e) {
      toast(`${disable ? 'Disable' : 'Enable'} ${node.identity} failed: ${errorText(e)}`, 'error');
    }
    lastKey = null;
    poll.run();
  }

  function actionsCell(n) {
    if (n.type !== 'TASK_TRACKER' || !roleAtLeast('admin')) return '';
    const disabled = !!n.stats?.disabled;
    const action = disabled ? 'enable' : 'disable';
    return h('button', {
      type: 'button',
      class: disabled ? 'btn btn-small' : 'btn btn-small btn-danger-outline',
      dataset: { testid: `action-${action}` },
      'aria-label': `${disabled ? 'Enable' : 'Disable'} ${n.identity}`,
      onclick: () => toggle(n, action),
    }, disabled ? 'Enable' : 'Disable');
  }

  async function refresh() {
    try {
      const res = await api('GET', 'api/nodes');
      if (stopped) return;
      info.textContent = `registry ${res.registry ?? '?'}, cluster ${res.cluster ?? '?'}`;
      const key = JSON.stringify(res.nodes);
      if (key !== lastKey) {
        lastKey = key;
        const nodes = [...(res.nodes || [])].sort((a, b) =>
          (TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type)) ||
          String(a.group).localeCompare(String(b.group)) ||
          String(a.identity).localeCompare(String(b.identity)));
        clear(box).append(table([
          { label: 'Type', cell: (n) => n.type },
          { label: 'Group', cell: (n) => n.group ?? '' },
          { label: 'Identity', class: 'mono small nowrap', cell: (n) => n.identity ?? '' },
          { label: 'Address', class: 'mono small nowrap', cell: (n) => n.address ?? '' },
          { label: 'Threads', class: 'num', cell: (n) => String(n.threads ?? '') },
          { label: 'Available', cell: (n) => yesNo(n.available) },
          { label: 'Master', cell: (n) => (n.master ? h('span', { class: 'badge' }, 'master') : '') },
          { label: 'Since', class: 'nowrap small', cell: (n) => fmtTime(n.createTime) },
          { label: 'Live stats', cell: (n) => statsCell(n.stats) },
          { label: 'Actions', class: 'col-actions', cell: actionsCell },
        ], nodes, {
          testid: 'nodes-table',
          empty: 'No node is registered.',
          rowAttrs: (n) => ({
            class: n.stats?.disabled ? 'row-disabled' : undefined,
            dataset: { testid: 'node-row', type: n.type ?? '', identity: n.identity ?? '' },
          }),
        }));
      }
    } catch (e) {
      if (stopped) return;
      lastKey = null;
      clear(box).append(errorBanner(e, 'Cannot list the nodes'));
    }
  }
  const poll = poller(refresh, REFRESH_MS);
  poll.run();

  return () => {
    stopped = true;
    poll.stop();
  };
}
