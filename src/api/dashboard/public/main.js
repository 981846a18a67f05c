/* global document, window */
// The dashboard's life cycle: sign in with a token, fetch the one snapshot, follow the change
// stream and refetch on each signal (never reloading the page), tick the clocks every second.
import { ApiError, api, readEvents, tokenStore } from './api.js';
import { wireActions } from './actions.js';
import { h, liveText, replaceChildren } from './dom.js';
import { renderIncidents, renderRecent } from './incidents.js';
import { renderPair, renderRequests, renderTargets } from './render.js';

const $ = (id) => document.getElementById(id);
const state = { session: 0, snapshot: null, offsetMs: 0, fetching: null, again: false, stream: null, phases: new Map(), requests: { missing: true } };

function setConn(mode, text) {
  const el = $('conn');
  el.dataset.state = mode;
  el.textContent = text;
}

function announce(text) {
  $('live').textContent = `${new Date().toLocaleTimeString([], { hour12: false })}: ${text}`;
}

/** What changed since the last snapshot, in one sentence for the live region. */
function describeChanges(s) {
  const changes = [];
  for (const t of s.targets) {
    const before = state.phases.get(t.targetId);
    if (before !== undefined && before !== t.phase) changes.push(`${t.targetId} ${before} → ${t.phase}${t.rung !== null ? ` (rung ${t.rung} ${t.rungName})` : ''}`);
  }
  state.phases = new Map(s.targets.map((t) => [t.targetId, t.phase]));
  return changes;
}

function showLogin(message = '') {
  stopStream();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  replaceChildren($('who'));
  setConn('off', 'not connected');
  $('token-input').focus();
}

function signOut() {
  // Answers to requests sent with the old token are dropped, not rendered for the next person.
  state.session++;
  tokenStore.clear();
  state.snapshot = null;
  showLogin();
}

function render(s) {
  $('login').hidden = true;
  $('app').hidden = false;
  replaceChildren($('who'), h('span', { id: 'role', 'data-role': s.principal.role }, `${s.principal.name} (${s.principal.role})`), h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
  renderPair(s);
  renderIncidents(s);
  renderTargets(s);
  renderRecent(s);
  renderRequests(state.requests);
  tick();
}

async function fetchRequests() {
  try {
    state.requests = { data: await api('/api/v1/requests') };
  } catch (e) {
    // 404: a controller without the requests API; 409 RRC_ERR_INVALID_STATE: host on demand not set up.
    const absent = e instanceof ApiError && (e.status === 404 || (e.status === 409 && e.code === 'RRC_ERR_INVALID_STATE'));
    state.requests = absent ? { missing: true } : { data: [], error: `requests: ${e.message}` };
  }
}

/** One refetch at a time; a signal during a fetch schedules exactly one more. */
async function refresh() {
  if (state.fetching) {
    state.again = true;
    return state.fetching;
  }
  state.fetching = (async () => {
    try {
      do {
        state.again = false;
        const before = Date.now();
        const session = state.session;
        const [s] = await Promise.all([api('/api/v1/dashboard'), fetchRequests()]);
        if (session !== state.session || !tokenStore.get()) continue;
        state.offsetMs = Date.parse(s.generatedAt) - (before + Date.now()) / 2;
        const first = state.snapshot === null;
        const changes = describeChanges(s);
        state.snapshot = s;
        render(s);
        if (!first && changes.length) announce(changes.join('; '));
        document.documentElement.dataset.refreshes = String(Number(document.documentElement.dataset.refreshes ?? 0) + 1);
      } while (state.again);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        tokenStore.clear();
        showLogin(`Token refused: ${e.message}`);
      } else {
        announce(`Could not refresh: ${e.message}`);
      }
      throw e;
    } finally {
      state.fetching = null;
    }
  })();
  return state.fetching;
}

function stopStream() {
  state.stream?.abort();
  state.stream = null;
}

/** Follows the change stream; reconnects with a growing pause, and refetches after each reconnect. */
async function follow() {
  stopStream();
  const controller = new AbortController();
  state.stream = controller;
  let pause = 1000;
  while (!controller.signal.aborted) {
    let silence = null;
    let keepAliveMs = 15000;
    const inner = new AbortController();
    const watchdog = () => {
      clearTimeout(silence);
      // Nothing (not even a keep-alive) for two periods: the connection is dead without knowing it.
      silence = setTimeout(() => inner.abort(), keepAliveMs * 2 + 5000);
    };
    const onAbort = () => inner.abort();
    controller.signal.addEventListener('abort', onAbort);
    try {
      watchdog();
      await readEvents((ev) => {
        watchdog();
        if (ev.comment) return;
        if (ev.event === 'hello') {
          keepAliveMs = JSON.parse(ev.data || '{}').keepAliveMs ?? keepAliveMs;
          pause = 1000;
          setConn('live', 'live');
          void refresh().catch(() => undefined);
        } else if (ev.event === 'changed') {
          void refresh().catch(() => undefined);
        }
      }, inner.signal);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return showLogin(`Token refused: ${e.message}`);
    } finally {
      clearTimeout(silence);
      controller.signal.removeEventListener('abort', onAbort);
    }
    if (controller.signal.aborted) return;
    setConn('reconnecting', `reconnecting in ${Math.round(pause / 1000)} s…`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 15000);
  }
}

/** Every second: the "for 1 m 05 s" and "in 30 s" texts, without a refetch. */
function tick() {
  for (const el of document.querySelectorAll('time[data-live]')) el.textContent = liveText(el, state.offsetMs);
}

async function start() {
  try {
    await refresh();
  } catch {
    return;
  }
  void follow();
}

function boot() {
  document.documentElement.dataset.loadedAt = String(Date.now());
  wireActions({ onChange: () => void refresh().catch(() => undefined), announce });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    state.session++;
    tokenStore.set(token);
    $('token-input').value = '';
    void start();
  });
  setInterval(tick, 1000);
  if (tokenStore.get()) void start();
  else showLogin();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
window.addEventListener('pagehide', stopStream);
