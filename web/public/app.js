// The LTS web console: a single-page app over the Admin HTTP API (docs/http_api.md).
// Routes (location.hash):
//   #/overview                       node counts, queue depths, charts
//   #/jobs?queue=Q&group=G&taskId=T  one queue, filtered
//   #/job/{group}/{taskId}           one job: fields, history, BizLog (live)
//   #/nodes                          the cluster's nodes
//   #/add                            submit a job

import { api, currentSession, loadSession, login, logout, onUnauthorized, roleAtLeast } from './api.js';
import { h, clear, toast, errorText, dismissDialog } from './ui.js';
import { renderOverview } from './views/overview.js';
import { renderJobs } from './views/jobs.js';
import { renderJob } from './views/job.js';
import { renderNodes } from './views/nodes.js';
import { renderAddJob } from './views/addjob.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
const nav = document.getElementById('nav');
const whoami = document.getElementById('whoami');

const NAV = [
  { route: 'overview', label: 'Overview' },
  { route: 'jobs', label: 'Jobs' },
  { route: 'nodes', label: 'Nodes' },
  { route: 'add', label: 'Add job', role: 'operator' },
];

let cleanup = null;   // the current view's teardown (timers)
let renderSeq = 0;

// '#/job/shell/tick?x=1' -> {route: 'job', args: ['shell', 'tick'], params: URLSearchParams}
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { route: parts[0] || 'overview', args: parts.slice(1), params };
}

function stopView() {
  dismissDialog();
  if (cleanup) {
    try { cleanup(); } catch (e) { console.warn('view cleanup failed', e); }
    cleanup = null;
  }
}

function renderHeader() {
  const s = currentSession();
  if (!s) {
    topbar.hidden = true;
    return;
  }
  topbar.hidden = false;
  const { route } = parseHash();
  clear(nav);
  for (const item of NAV) {
    if (item.role && !roleAtLeast(item.role)) continue;
    const active = route === item.route || (item.route === 'jobs' && route === 'job');
    const href = `#/${item.route}`;
    nav.append(h('a', {
      href,
      class: active ? 'nav-link active' : 'nav-link',
      'aria-current': active ? 'page' : undefined,
      dataset: { testid: `nav-${item.route}` },
      onclick: (ev) => {
        // The page that is open already: show it afresh (no hashchange would come).
        if (location.hash === href) {
          ev.preventDefault();
          route_();
        }
      },
    }, item.label));
  }
  clear(whoami);
  if (!s.authRequired) {
    whoami.append(h('span', { class: 'open-mode', dataset: { testid: 'open-mode' } },
      'open mode (no users configured)'));
  }
  whoami.append(
    h('span', { class: 'user', dataset: { testid: 'user' } }, s.user),
    h('span', { class: `role role-${s.role}`, dataset: { testid: 'role' } }, s.role));
  if (s.authRequired) {
    whoami.append(h('button', {
      type: 'button', class: 'btn btn-small btn-ghost', dataset: { testid: 'logout' },
      onclick: async () => {
        try {
          await logout();
        } catch (e) {
          toast(`Logout failed: ${errorText(e)}`, 'error');
        }
        route_();
      },
    }, 'Log out'));
  }
}

function renderLogin() {
  stopView();
  topbar.hidden = true;
  document.title = 'Log in · LTS console';
  clear(main);
  main.dataset.render = String(renderSeq);
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, dataset: { testid: 'login-user' } });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, dataset: { testid: 'login-password' } });
  const error = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'login-error' }, hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'login-submit' } }, 'Log in');
  const form = h('form', { class: 'login-form', dataset: { testid: 'login-form' } },
    h('h1', null, 'LTS console'),
    h('p', { class: 'muted' }, 'Log in to the Admin of this cluster.'),
    h('label', { for: 'login-user' }, 'User name'), user,
    h('label', { for: 'login-password' }, 'Password'), pass,
    error, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      if (parseHash().route === 'login') location.hash = '#/overview';
      route_();
    } catch (e) {
      error.textContent = e.status === 401 ? 'Wrong user name or password.' : errorText(e);
      if (e.status === 429) {
        // The server's words ("too many failed logins; try again in 30 s"), and Retry-After
        // should they not say when.
        const words = e.message.charAt(0).toUpperCase() + e.message.slice(1);
        error.textContent = /\d/.test(words) || !e.retryAfter ? `${words}.` : `${words}. Try again in ${e.retryAfter} s.`;
      }
      error.hidden = false;
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('section', { class: 'login', dataset: { testid: 'page-login' } }, form));
  user.focus();
}

async function route_() {
  const seq = ++renderSeq;
  stopView();
  if (!currentSession()) {
    try {
      await loadSession();
    } catch (e) {
      if (seq !== renderSeq) return;
      clear(main).append(h('div', { class: 'banner banner-error', role: 'alert' },
        `The Admin server did not answer: ${errorText(e)}`),
      h('button', { type: 'button', class: 'btn', onclick: () => route_() }, 'Try again'));
      return;
    }
    if (seq !== renderSeq) return;
    if (!currentSession()) {
      renderLogin();
      return;
    }
  }
  const { route, args, params } = parseHash();
  if (route === 'login') {
    location.replace('#/overview');
    return;
  }
  renderHeader();
  clear(main);
  main.dataset.render = String(seq);
  const view = h('section', { class: 'view' });
  main.append(view);
  const views = {
    overview: () => renderOverview(view),
    jobs: () => renderJobs(view, params),
    job: () => renderJob(view, args[0] ?? '', args.slice(1).join('/')),
    nodes: () => renderNodes(view),
    add: () => renderAddJob(view),
  };
  const render = views[route];
  if (!render) {
    document.title = 'Not found · LTS console';
    view.append(h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/overview' }, 'Overview')));
    return;
  }
  cleanup = render() || null;
}

onUnauthorized(() => {
  // The session ended (expired, Admin restarted): back to the login page, same route after.
  if (main.querySelector('[data-testid="page-login"]')) return;
  renderSeq++;
  renderLogin();
  toast('Your session ended: please log in again.', 'error');
});

window.addEventListener('hashchange', () => route_());
route_();

// For the console's own debugging from devtools; not used by the app.
export const _debug = { api, parseHash };
