/**
 * The dashboard's server side without a browser: the page and its assets are public and fixed,
 * the snapshot needs a token and says who asks, the event stream signals changes over real HTTP,
 * coalesces bursts, and lets the app close while a client is connected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type ApiApp } from '../../../src/api/app.js';
import { ChangeFeed } from '../../../src/api/dashboard/change-feed.js';
import { nextStepOf } from '../../../src/api/dashboard/next-step.js';
import type { TargetStatus } from '../../../src/controller/types.js';
import { bearer, tokenFor } from '../../unit/api/auth-helper.js';
import { FakeController, hostSpec, T0 } from '../../unit/api/fake-controller.js';

const status = (over: Partial<TargetStatus>): TargetStatus => ({
  targetId: 'host:hv1', kind: 'host', name: 'hv1', phase: 'healthy', rung: null, rungName: null, incidentId: null,
  signature: null, maintenance: false, penalty: 0, since: T0, reason: null, ...over,
});

describe('dashboard routes', () => {
  let controller: FakeController;
  let app: ApiApp;
  let viewer = '';

  before(async () => {
    controller = new FakeController();
    app = buildApp({ controller });
    await app.ready();
    await controller.addHost(hostSpec('hv1', '52:54:00:00:00:01'), 'test');
    viewer = await tokenFor(controller.store, 'viewer');
  });
  after(() => app.close());

  it('serves the page and its assets without a token, with a strict content security policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.body, /<table id="hosts"/);
    const js = await app.inject({ method: 'GET', url: '/dashboard/main.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    for (const url of ['/dashboard/nope.js', '/dashboard/..%2F..%2F..%2Fpackage.json', '/dashboard/index.html']) {
      const res = await app.inject({ method: 'GET', url });
      assert.ok(res.statusCode === 404 || res.statusCode === 401, `${url}: ${res.statusCode}`);
    }
  });

  it('the snapshot needs a token and names who asks', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/dashboard' })).statusCode, 401);
    const res = await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: bearer(viewer) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.principal, { name: 'viewer', role: 'viewer' });
    assert.ok(body.targets.some((t: { targetId: string; next: unknown }) => t.targetId === 'host:hv1' && t.next === null));
    assert.equal(body.rungs.length, 7);
    assert.deepEqual(body.openIncidents, []);
  });

  it('the event stream says hello, signals a change, and does not keep the app from closing', async () => {
    const live = buildApp({ controller });
    const url = await live.listen({ host: '127.0.0.1', port: 0 });
    const abort = new AbortController();
    const res = await fetch(`${url}/api/v1/events`, { headers: bearer(viewer), signal: abort.signal });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!re.test(text)) {
        assert.ok(Date.now() < deadline, `no ${re} in ${JSON.stringify(text)}`);
        const { value, done } = await reader.read();
        assert.ok(!done, 'stream ended');
        text += value;
      }
    };
    await readUntil(/event: hello/);
    // The fake has no event emitter: the fingerprint poll notices the phase change.
    await controller.setMaintenance('host:hv1', true, 'test');
    await readUntil(/event: changed/);
    const closed = live.close();
    await readUntil(/$^|/); // nothing to wait for: close must not hang on the open stream
    await closed;
    abort.abort();
  });
});

describe('change feed', () => {
  it('coalesces a burst of controller events into one signal and stops when the last listener goes', async () => {
    const listeners = new Set<() => void>();
    const controller = Object.assign(new FakeController(), {
      onEvent(l: () => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    });
    const feed = new ChangeFeed(controller, { coalesceMs: 250, pollMs: 60_000 });
    const seen: number[] = [];
    const stop = feed.listen((seq) => seen.push(seq));
    assert.equal(listeners.size, 1);
    for (let i = 0; i < 50; i++) for (const l of listeners) l();
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen, [1]);
    stop();
    assert.equal(listeners.size, 0, 'unsubscribed from the controller');
    assert.equal(feed.size, 0);
    feed.close();
  });
});

describe('next step', () => {
  const guardOff = { on: false, reason: null };
  it('says what runs, why, and where the ladder goes next', () => {
    const next = nextStepOf(status({ phase: 'recovering', rung: 1, rungName: 'reboot', reason: null, signature: 'host-unreachable' }),
      { ladder: [1, 4, 6], ladderIndex: 0, rungDeadline: T0 + 300_000, pendingAction: { kind: 'host-power-cycle', rung: 1, attempt: 1 } }, guardOff);
    assert.equal(next?.mode, 'act');
    assert.match(next!.what, /host-power-cycle \(rung 1 reboot, attempt 1\)/);
    assert.match(next!.why, /rung 4 fence-migrate/);
    assert.equal(next!.at, new Date(T0 + 300_000).toISOString());
  });
  it('says why it holds: the storm guard, the safety gate, a person', () => {
    const held = nextStepOf(status({ phase: 'recovering', rung: 4 }), { pendingAction: { kind: 'fence', rung: 4, attempt: 1 } }, { on: true, reason: 'storm guard: 3 of 5 hosts bad' });
    assert.equal(held?.mode, 'hold');
    assert.match(held!.why, /storm guard: 3 of 5 hosts bad/);
    const holding = nextStepOf(status({ phase: 'holding', rung: 1 }), { holdReason: "controller's path to hv1 is down; 2 of 2 peers reach it", holdUntil: T0 + 30_000 }, guardOff);
    assert.equal(holding?.mode, 'hold');
    assert.match(holding!.why, /peers reach it/);
    const person = nextStepOf(status({ phase: 'awaiting-operator', reason: 'no evidence of a broken installation' }), {}, guardOff);
    assert.equal(person?.mode, 'person');
    assert.match(person!.why, /no evidence/);
    assert.equal(nextStepOf(status({}), {}, guardOff), null);
  });
});
