#!/usr/bin/env node
// End-to-end test of the web console: a real `lts standalone` with two users, Debian's
// chromium driven by playwright-core (from web/node_modules: `npm ci --prefix web`).
//
// Env: LTS_BIN        the built lts binary
//      LTS_WEB_DIR    the web/ directory (public/ and node_modules/)
//      LTS_ARTIFACTS  where the screenshots (and the lts log on failure) go
//      LTS_SCREENSHOT_DIR  optional: also write overview.png, jobs.png, job.png, nodes.png,
//                          add-job.png, login.png there (docs/images/)
//      LTS_SOURCE_DIR the source tree (not needed beyond the defaults)
// Exit status 0 on success, 1 with a message naming the failed step.

import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = process.env.LTS_SOURCE_DIR || path.resolve(HERE, '../../..');
const LTS_BIN = process.env.LTS_BIN || path.join(SOURCE_DIR, 'build/bin/lts');
const WEB_DIR = process.env.LTS_WEB_DIR || path.join(SOURCE_DIR, 'web');
const ARTIFACTS = process.env.LTS_ARTIFACTS || path.join(os.tmpdir(), 'lts-console-test-artifacts');
const SHOT_DIR = process.env.LTS_SCREENSHOT_DIR || '';
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'pw-for-tests';
const TOTAL_BUDGET_MS = 115_000;   // the whole test, start-up and clean-up included
const T0 = Date.now();

// ---- small helpers --------------------------------------------------------------------------

const elapsed = () => `${((Date.now() - T0) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[${elapsed()}] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class TestFailure extends Error {}
function fail(msg) { throw new TestFailure(msg); }

let currentStep = '(start)';
async function step(name, fn) {
  currentStep = name;
  const t = Date.now();
  log(`step: ${name}`);
  await fn();
  log(`  ok: ${name} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
}

// Polls fn until it returns a truthy value; fails with what() after timeoutMs.
async function until(fn, { timeoutMs = 10_000, intervalMs = 250, what }) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e instanceof TestFailure) throw e;   // a verdict, not a reason to wait longer
      last = e;
    }
    if (Date.now() > end) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      fail(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'function' ? await what() : what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function loadPlaywright() {
  const req = createRequire(path.join(WEB_DIR, 'package.json'));
  try {
    return req('playwright-core');
  } catch (e) {
    fail(`cannot load playwright-core from ${WEB_DIR}/node_modules (run: npm ci --prefix ${WEB_DIR}): ${e.message}`);
  }
  return null;
}

// ---- the test -------------------------------------------------------------------------------

let lts = null;          // the lts standalone child process
let ltsLogPath = '';
let browser = null;
let tmp = '';
const consoleErrors = [];
const shots = [];

async function stopLts() {
  if (!lts || lts.exitCode !== null || lts.signalCode !== null) return;
  const exited = new Promise((r) => lts.once('exit', r));
  lts.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(8000).then(() => false)]);
  if (!done) {
    log(`lts (pid ${lts.pid}) did not stop within 8 s of SIGTERM: SIGKILL`);
    lts.kill('SIGKILL');
    await Promise.race([exited, sleep(3000)]);
  }
}

async function cleanup() {
  if (browser) {
    await browser.close().catch((e) => log(`closing the browser: ${e.message}`));
    browser = null;
  }
  await stopLts();
}

// Console messages that are not errors of the console: the 401 of GET /api/session before
// logging in, and of the deliberately wrong password. Chromium reports every failed
// resource load as a console error; these are part of the API contract.
function expectedConsoleError(msg) {
  const url = msg.location()?.url || '';
  return /Failed to load resource: the server responded with a status of 401/.test(msg.text()) &&
    /\/api\/(session|login)$/.test(url);
}

// Failed loads that the steps cause on purpose: the GET /api/counts after logging out (401),
// and the job page of ui-sleep asking once for the job after it finished (404: in no queue).
function expectedAfterTheFact(e) {
  return /status of 401 .*\/api\/counts\)$/.test(e) ||
    /status of 404 .*\/api\/jobs\/shell\/ui-sleep\)$/.test(e);
}

function watchPage(page, who) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || expectedConsoleError(msg)) return;
    consoleErrors.push(`${who} console error: ${msg.text()} (${msg.location()?.url || '?'})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${who} page error: ${err.message}`));
}

async function shot(page, name, docName) {
  // The toasts of earlier steps would cover the page: dismiss them as a user would.
  const closers = page.locator('[data-testid="toasts"] .toast-close');
  for (let i = 0; i < 20 && await closers.count() > 0; i++) {
    await closers.first().click({ timeout: 1000 }).catch(() => {});   // it may go by itself meanwhile
  }
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  shots.push(file);
  if (SHOT_DIR && docName) {
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(SHOT_DIR, docName));
    shots.push(path.join(SHOT_DIR, docName));
  }
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (!fs.existsSync(LTS_BIN)) fail(`LTS_BIN ${LTS_BIN} does not exist (build the lts target)`);
  if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing (apt-get install chromium; scripts/test.sh installs it)`);
  if (!fs.existsSync(path.join(WEB_DIR, 'public/index.html'))) fail(`${WEB_DIR}/public/index.html is missing`);
  if (!fs.existsSync(path.join(WEB_DIR, 'node_modules/chart.js/dist/chart.umd.js'))) {
    fail(`chart.js is not installed in ${WEB_DIR}/node_modules (run: npm ci --prefix ${WEB_DIR})`);
  }
  const { chromium } = loadPlaywright();

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lts-console-test-'));
  let base = '';

  await step('config with two users (lts admin hash-password)', async () => {
    let hash;
    try {
      hash = execFileSync(LTS_BIN, ['admin', 'hash-password'], { input: PASSWORD, encoding: 'utf8', timeout: 30_000 }).trim();
    } catch (e) {
      fail(`lts admin hash-password failed: ${e.message}\n${e.stderr || ''}`);
    }
    if (!/^\$argon2id\$\S+$/.test(hash)) fail(`lts admin hash-password printed ${JSON.stringify(hash)}, not one $argon2id$ hash`);
    fs.writeFileSync(path.join(tmp, 'lts.yaml'), [
      'admin:',
      '  users:',
      `    - {name: alice, password: "${hash}", role: admin}`,
      `    - {name: victor, password: "${hash}", role: viewer}`,
      '',
    ].join('\n'));
  });

  await step('start lts standalone', async () => {
    const rpcPort = await freePort();
    let httpPort = await freePort();
    while (httpPort === rpcPort) httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    ltsLogPath = path.join(tmp, 'lts.log');
    const out = fs.openSync(ltsLogPath, 'w');
    const args = ['standalone', '--data-dir', path.join(tmp, 'data'), '--listen', `127.0.0.1:${rpcPort}`,
      '--http', `127.0.0.1:${httpPort}`, '--config', path.join(tmp, 'lts.yaml'), '--web-dir', WEB_DIR];
    log(`  ${LTS_BIN} ${args.join(' ')}`);
    lts = spawn(LTS_BIN, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    lts.on('exit', (code, sig) => log(`lts standalone exited (${sig || code})`));
    await until(async () => {
      if (lts.exitCode !== null || lts.signalCode !== null) fail(`lts standalone exited early (${lts.signalCode || lts.exitCode})`);
      const r = await fetch(`${base}/api/session`).catch(() => null);
      if (r && r.status !== 401) fail(`GET /api/session answered ${r.status} before login, not 401`);
      return r !== null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: `GET ${base}/api/session to answer` });
  });

  await step('launch chromium', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  ctx.setDefaultTimeout(10_000);
  const page = await ctx.newPage();
  watchPage(page, 'alice');
  const tid = (id) => page.locator(`[data-testid="${id}"]`);

  // The console stamps #main with a render counter: waiting for it to change means the view
  // in front of us is the new one, not the one before the navigation.
  const renderCount = () => page.locator('#main').getAttribute('data-render');
  async function waitRendered(before, pageId) {
    await page.waitForFunction((b) => document.getElementById('main').dataset.render !== b, before);
    await tid(pageId).waitFor();
  }
  // Through the header's navigation, as a user would.
  async function openView(nav, pageId) {
    const before = await renderCount();
    await tid(`nav-${nav}`).click();
    await waitRendered(before, pageId);
  }
  async function gotoHash(hash, pageId) {
    const before = await renderCount();
    await page.goto(`${base}/${hash}`);
    await waitRendered(before, pageId);
  }

  // Asks for confirmation in the console's own dialog, confirms, and returns the text of the
  // toast that reports the result; fails if the toast is an error.
  async function confirmAndReport(button, what) {
    // The console numbers its toasts; the region keeps the newest number (data-last).
    const seq = await page.evaluate(() => Number(document.querySelector('[data-testid="toasts"]')?.dataset.last ?? 0));
    await button.click();
    const dialog = tid('confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    const question = await dialog.locator('h2').textContent();
    await dialog.locator('[data-testid="confirm-ok"]').click();
    await dialog.waitFor({ state: 'hidden' });
    const toast = page.locator(`[data-testid="toasts"] > [data-seq="${seq + 1}"]`);
    await toast.waitFor({ state: 'attached', timeout: 15_000 });
    const text = await toast.locator('.toast-text').textContent();
    const role = await toast.getAttribute('role');
    if (role !== 'status') fail(`${what}: the console reported an error (role=${role}): ${text}`);
    log(`  ${what}: asked "${question}", reported "${text}"`);
    return text;
  }

  const rowIn = (queue, taskId) =>
    page.locator(`[data-testid="job-row"][data-queue="${queue}"][data-task-id="${taskId}"]`);

  // Opens the Jobs page, picks the queue's tab, searches taskId; returns the row (waits for it).
  async function jobRow(queue, taskId, { timeoutMs = 10_000 } = {}) {
    await openView('jobs', 'page-jobs');
    await tid(`tab-${queue}`).click();
    await tid('filter-taskid').fill(taskId);
    // The list filtered by the search (the tab alone shows the whole queue first).
    await page.locator(`[data-testid="jobs-table"][data-queue="${queue}"][data-task-filter="${taskId}"]`).waitFor();
    const row = rowIn(queue, taskId);
    await until(async () => {
      if (await row.count() > 0) return true;
      await tid('jobs-refresh').click();
      await sleep(400);
      return await row.count() > 0;
    }, { timeoutMs, intervalMs: 200, what: `${taskId} in the ${queue} queue` });
    return row;
  }

  // Waits until the list (refreshed) no longer shows taskId in queue.
  async function rowGone(queue, taskId) {
    await until(async () => {
      if (await rowIn(queue, taskId).count() === 0) return true;
      await tid('jobs-refresh').click();
      await sleep(400);
      return await rowIn(queue, taskId).count() === 0;
    }, { what: `${taskId} to leave the ${queue} list (GET /api/jobs?queue=${queue}&taskId=${taskId} still lists it)` });
  }

  // Polls the job page until a row of the table (testid) matches re; returns its text.
  async function waitForLogRow(tableRows, re, what, timeoutMs = 30_000) {
    const rows = page.locator(`[data-testid="${tableRows}"]`);
    return until(async () => {
      for (const t of await rows.allTextContents()) if (re.test(t)) return t;
      return null;
    }, {
      timeoutMs, intervalMs: 500, what: async () => `${what}; the table shows:\n    ${(await rows.allTextContents()).join('\n    ') || '(nothing)'}`,
    });
  }

  await step('login page; a wrong password is refused', async () => {
    await page.goto(`${base}/`);
    await tid('page-login').waitFor();
    await shot(page, 'login', 'login.png');
    await tid('login-user').fill('alice');
    await tid('login-password').fill('not-the-password');
    await tid('login-submit').click();
    const err = tid('login-error');
    await err.waitFor({ state: 'visible' });
    const text = await err.textContent();
    if (!/wrong user name or password/i.test(text)) fail(`the login error says "${text}"`);
    if (await tid('page-login').count() !== 1) fail('left the login page after a wrong password');
  });

  await step('log in as alice (admin)', async () => {
    await tid('login-user').fill('alice');
    await tid('login-password').fill(PASSWORD);
    await tid('login-submit').click();
    await tid('page-overview').waitFor();
    const user = await tid('user').textContent();
    const role = await tid('role').textContent();
    if (user !== 'alice' || role !== 'admin') fail(`the header shows user "${user}" role "${role}"`);
    if (await tid('open-mode').count() !== 0) fail('"open mode" is shown although users are configured');
  });

  await step('overview: nodes, queue depths, charts', async () => {
    await until(async () => Number(await tid('nodes-TASK_TRACKER').locator('.card-value').textContent()) >= 1,
      { timeoutMs: 20_000, what: 'the overview to count a TaskTracker' });
    if (Number(await tid('nodes-JOB_TRACKER').locator('.card-value').textContent()) < 1) fail('no JobTracker counted');
    for (const q of ['executable', 'executing', 'cron', 'repeat', 'suspended', 'dead']) {
      await tid(`count-${q}`).waitFor();
    }
    for (const c of ['chart-outcomes', 'chart-depths']) {
      const box = await tid(c).boundingBox();
      if (!box || box.width < 200 || box.height < 100) fail(`chart ${c} is not drawn (${JSON.stringify(box)})`);
    }
    if (await tid('view-error').count() > 0) fail(`the overview shows an error: ${await tid('view-error').first().textContent()}`);
  });

  await step('add a cron job through the form', async () => {
    await openView('add', 'page-add-job');
    await tid('add-taskid').fill('ui-cron');
    if (await tid('add-group').inputValue() !== 'shell') fail('the group does not default to shell');
    await tid('add-kind').selectOption('cron');
    await tid('add-cron').fill('0 0 3 * * ?');
    await tid('add-command').fill('echo hello-from-ui');
    await tid('add-submit').click();
    const res = await Promise.race([
      tid('add-ok').waitFor().then(() => 'ok'),
      tid('add-error').waitFor().then(() => 'error'),
    ]);
    const text = await tid('add-result').textContent();
    if (res !== 'ok') fail(`submitting ui-cron failed: ${text}`);
    if (!/ui-cron/.test(text)) fail(`the result does not name the job: ${text}`);
    log(`  ${text}`);
    await shot(page, 'add-job', 'add-job.png');
  });

  await step('find ui-cron in the cron queue; pause it (to suspended)', async () => {
    const row = await jobRow('cron', 'ui-cron');
    const rowText = await row.textContent();
    if (!/0 0 3 \* \* \?/.test(rowText) || !/shell/.test(rowText)) fail(`the cron row shows: ${rowText}`);
    await shot(page, 'jobs-cron', 'jobs.png');
    await confirmAndReport(row.locator('[data-testid="action-pause"]'), 'pause ui-cron');
    await rowGone('cron', 'ui-cron');
    await jobRow('suspended', 'ui-cron');
  });

  await step('resume ui-cron (back to cron)', async () => {
    const row = rowIn('suspended', 'ui-cron');
    await confirmAndReport(row.locator('[data-testid="action-resume"]'), 'resume ui-cron');
    await rowGone('suspended', 'ui-cron');
    await jobRow('cron', 'ui-cron');
  });

  await step('ui-cron on its job page: trigger it now, see the run and its BizLog', async () => {
    const row = rowIn('cron', 'ui-cron');
    const before = await renderCount();
    await row.locator('[data-testid="job-link"]').click();
    await waitRendered(before, 'page-job');
    if (!decodeURIComponent(new URL(page.url()).hash).startsWith('#/job/shell/ui-cron')) fail(`the job link went to ${page.url()}`);
    const title = await tid('job-title').textContent();
    if (title !== 'ui-cron') fail(`the job page's title is "${title}"`);
    await tid('job-fields').waitFor();
    const fields = await tid('job-fields').textContent();
    if (!/0 0 3 \* \* \?/.test(fields)) fail(`the job's fields do not show its cron expression: ${fields}`);
    await confirmAndReport(tid('job-actions').locator('[data-testid="action-trigger"]'), 'trigger ui-cron');
    const biz = await waitForLogRow('bizlog-row', /hello-from-ui/, 'hello-from-ui in the BizLog');
    log(`  BizLog: ${biz}`);
    const run = await waitForLogRow('history-row', /FINISHED\s*ok.*EXECUTE_SUCCESS/, 'a successful run (FINISHED, ok, EXECUTE_SUCCESS) in the execution history');
    log(`  history: ${run}`);
    await tid('live').waitFor();
    await shot(page, 'job', 'job.png');
  });

  await step('a real-time sleep 300 job: executing, terminated from the console', async () => {
    await openView('add', 'page-add-job');
    await tid('add-taskid').fill('ui-sleep');
    await tid('add-kind').selectOption('realtime');
    await tid('add-command').fill('sleep 300');
    await tid('add-submit').click();
    await tid('add-ok').waitFor({ timeout: 15_000 }).catch(async () => fail(`submitting ui-sleep: ${await tid('add-result').textContent()}`));
    const row = await jobRow('executing', 'ui-sleep', { timeoutMs: 20_000 });
    await confirmAndReport(row.locator('[data-testid="action-terminate"]'), 'terminate ui-sleep');
    await gotoHash('#/job/shell/ui-sleep', 'page-job');
    // The JobTracker records the run as FINISHED, not ok, "EXECUTE_FAILED (terminated): ...".
    const t = await waitForLogRow('history-row', /FINISHED\s*not ok.*\(?terminated/i,
      'the run recorded as terminated (FINISHED, not ok, "terminated") in the history', 30_000);
    log(`  history: ${t}`);
    await until(async () => (await tid('job-gone').count()) === 1, { timeoutMs: 15_000, what: 'ui-sleep to leave the queues' });
  });

  await step('nodes: the TaskTracker, disable and enable it', async () => {
    await openView('nodes', 'page-nodes');
    const tt = page.locator('[data-testid="node-row"][data-type="TASK_TRACKER"]').first();
    await tt.waitFor();
    const jt = page.locator('[data-testid="node-row"][data-type="JOB_TRACKER"]').first();
    await jt.waitFor();
    if (await jt.locator('button').count() !== 0) fail('a JobTracker row offers actions');
    await shot(page, 'nodes', 'nodes.png');
    await confirmAndReport(tt.locator('[data-testid="action-disable"]'), 'disable the TaskTracker');
    await tt.locator('[data-testid="action-enable"]').waitFor();
    await confirmAndReport(tt.locator('[data-testid="action-enable"]'), 'enable the TaskTracker');
    await tt.locator('[data-testid="action-disable"]').waitFor();
  });

  await step('viewer victor: everything readable, no action offered', async () => {
    const vctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    vctx.setDefaultTimeout(10_000);
    const vp = await vctx.newPage();
    watchPage(vp, 'victor');
    const vt = (id) => vp.locator(`[data-testid="${id}"]`);
    await vp.goto(`${base}/`);
    await vt('login-user').fill('victor');
    await vt('login-password').fill(PASSWORD);
    await vt('login-submit').click();
    await vt('page-overview').waitFor();
    if (await vt('role').textContent() !== 'viewer') fail(`victor's role shows as ${await vt('role').textContent()}`);
    if (await vt('nav-add').count() !== 0) fail('the viewer is offered "Add job"');
    const noActions = async (where) => {
      const n = await vp.locator('[data-testid^="action-"], [data-testid="add-submit"]').count();
      if (n !== 0) fail(`the viewer is offered ${n} action button(s) on ${where}`);
    };
    await vp.goto(`${base}/#/jobs?queue=cron&taskId=ui-cron`);
    await vp.locator('[data-testid="job-row"][data-task-id="ui-cron"]').waitFor();
    await noActions('the cron queue');
    await vp.goto(`${base}/#/job/shell/ui-cron`);
    await vt('job-fields').waitFor();
    await noActions('the job page');
    await vp.goto(`${base}/#/nodes`);
    await vp.locator('[data-testid="node-row"][data-type="TASK_TRACKER"]').first().waitFor();
    await noActions('the nodes page');
    await vp.goto(`${base}/#/add`);
    await vt('page-add-job').waitFor();
    await noActions('the add-job page');
    await vctx.close();
  });

  await step('overview again, with the runs of the steps above', async () => {
    await openView('overview', 'page-overview');
    await until(async () => Number(await tid('count-cron').locator('.card-value').textContent()) >= 1,
      { what: 'the overview to count ui-cron in the cron queue' });
    await shot(page, 'overview', 'overview.png');
  });

  await step('log out', async () => {
    await tid('logout').click();
    await tid('page-login').waitFor();
    const r = await page.evaluate(async () => (await fetch('api/counts', { credentials: 'same-origin' })).status);
    if (r !== 401) fail(`after logout GET /api/counts answers ${r}, not 401`);
  });

  await step('no errors in the browser console', async () => {
    const errs = consoleErrors.filter((e) => !expectedAfterTheFact(e));
    if (errs.length) fail(`the browser reported ${errs.length} error(s):\n  ${errs.join('\n  ')}`);
  });
}

const watchdog = setTimeout(async () => {
  console.error(`FAIL: the test ran over ${TOTAL_BUDGET_MS / 1000} s (in step: ${currentStep})`);
  await cleanup().catch(() => {});
  process.exit(1);
}, TOTAL_BUDGET_MS);

let rc = 0;
try {
  await main();
  log(`PASS: the console works end to end; screenshots:\n  ${shots.join('\n  ')}`);
  console.log('1 passed, 0 failed');
} catch (e) {
  rc = 1;
  console.error(`FAIL in step "${currentStep}": ${e instanceof TestFailure ? e.message : e.stack || e}`);
  if (browser) {
    for (const ctx of browser.contexts()) {
      for (const [i, p] of ctx.pages().entries()) {
        const f = path.join(ARTIFACTS, `failure-${browser.contexts().indexOf(ctx)}-${i}.png`);
        await p.screenshot({ path: f }).then(() => console.error(`  screenshot: ${f}`)).catch(() => {});
      }
    }
  }
  if (consoleErrors.length) console.error(`browser errors so far:\n  ${consoleErrors.join('\n  ')}`);
  if (ltsLogPath && fs.existsSync(ltsLogPath)) {
    const keep = path.join(ARTIFACTS, 'lts-standalone.log');
    fs.copyFileSync(ltsLogPath, keep);
    const lines = fs.readFileSync(ltsLogPath, 'utf8').trimEnd().split('\n');
    console.error(`last lines of the lts log (all of it in ${keep}):\n  ${lines.slice(-30).join('\n  ')}`);
  }
  console.log('0 passed, 1 failed');
} finally {
  await cleanup();
  clearTimeout(watchdog);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(rc);
