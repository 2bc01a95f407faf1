// The Admin HTTP API (docs/http_api.md): one fetch wrapper and the session.
//
// Every request is same-origin with the session cookie; every state-changing request carries
// X-CSRF-Token, and a request with a body is application/json. Errors come back as ApiError
// with the HTTP status and the server's {"error", "field"}.

export class ApiError extends Error {
  constructor(status, message, field, retryAfter) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field || '';
    this.retryAfter = retryAfter;  // seconds, from Retry-After (429)
  }
}

// The logged-in session: {user, role, csrfToken, authRequired}, or null.
let session = null;
const unauthorizedListeners = [];

export function currentSession() { return session; }
export function setSession(s) { session = s; }
export function onUnauthorized(fn) { unauthorizedListeners.push(fn); }

const ROLE_RANK = { viewer: 0, operator: 1, admin: 2 };
export function roleAtLeast(role) {
  if (!session) return false;
  return (ROLE_RANK[session.role] ?? -1) >= ROLE_RANK[role];
}

// api('GET', 'api/jobs', {query: {queue: 'cron'}}) -> parsed JSON body.
// api('POST', 'api/jobs', {body: {...}}).
// Options: query (object; empty values left out), body (JSON-encoded), quiet401 (do not treat a
// 401 as "the session ended": for the session probe and the login itself).
export async function api(method, path, { query, body, quiet401 = false } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += '?' + s;
  }
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && session && session.csrfToken) {
    headers['X-CSRF-Token'] = session.csrfToken;
  }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `the Admin server cannot be reached (${e.message})`);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const message = (data && typeof data.error === 'string' && data.error) ||
      `${res.status} ${res.statusText || 'error'}`;
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(res.status, message, data && data.field,
      retry !== null && retry !== '' ? Number(retry) : undefined);
    if (res.status === 401 && !quiet401) {
      session = null;
      for (const fn of unauthorizedListeners) fn(err);
    }
    throw err;
  }
  if (data === null) throw new ApiError(res.status, `the server answered ${res.status} without JSON`);
  return data;
}

// GET /api/session: the session, or null when not logged in (401).
export async function loadSession() {
  try {
    session = await api('GET', 'api/session', { quiet401: true });
  } catch (e) {
    if (e.status === 401) {
      session = null;
    } else {
      throw e;
    }
  }
  return session;
}

export async function login(username, password) {
  session = null;
  const s = await api('POST', 'api/login', { body: { username, password }, quiet401: true });
  // POST /api/login does not say authRequired: a login only exists when users are configured.
  session = { authRequired: true, ...s };
  return session;
}

export async function logout() {
  try {
    await api('POST', 'api/logout', { quiet401: true });
  } finally {
    session = null;
  }
}

export function seg(s) { return encodeURIComponent(s); }
export function jobPath(group, taskId) { return `api/jobs/${seg(group)}/${seg(taskId)}`; }
