/**
 * One receiver's delivery queue on a virtual clock with an injected sender: in order, one at a
 * time, retries on the backoff schedule, a dead letter when the attempts run out, a bounded queue
 * whose oldest waiting entry is dead-lettered when full, and publish() that never waits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../../../src/env/sim/index.js';
import { Notifier } from '../../../src/notify/notifier.js';
import type { WebhookRequest } from '../../../src/notify/post-webhook.js';
import { verifySignature } from '../../../src/notify/signing.js';
import type { WebhookReceiverConfig } from '../../../src/notify/types.js';
import { silentLogger } from '../../../src/sim-rack/index.js';
import type { DeadLetterRecord } from '../../../src/store/types.js';

const START = Date.UTC(2026, 10, 22);

function receiver(over: Partial<WebhookReceiverConfig> = {}): WebhookReceiverConfig {
  return {
    name: 'ops',
    url: 'http://127.0.0.1:9/hook',
    secretRef: 'ops-secret',
    timeoutSeconds: 5,
    retry: { maxAttempts: 4, initialSeconds: 2, maxSeconds: 60, factor: 2, jitter: 0 },
    queueSize: 100,
    ...over,
  };
}

/** A sender whose answers the test decides; every request is kept with the clock time it was made. */
function scriptedSender(clock: VirtualClock, answer: (req: WebhookRequest, n: number) => Promise<void>) {
  const sent: Array<{ at: number; req: WebhookRequest }> = [];
  return {
    sent,
    send: async (req: WebhookRequest) => {
      sent.push({ at: clock.now(), req });
      return answer(req, sent.length);
    },
  };
}

function setup(rcv: WebhookReceiverConfig, answer: (req: WebhookRequest, n: number) => Promise<void>) {
  const clock = new VirtualClock({ start: START });
  const dead: DeadLetterRecord[] = [];
  const sender = scriptedSender(clock, answer);
  const notifier = new Notifier({
    receivers: [rcv],
    clock,
    log: silentLogger,
    resolveSecret: async (ref) => (ref === 'ops-secret' ? 'k3y' : Promise.reject(new Error(`unknown secret ${ref}`))),
    addDeadLetter: async (rec) => void dead.push(rec),
    send: sender.send,
    random: () => 0,
  });
  return { clock, dead, sent: sender.sent, notifier };
}

const seqOf = (req: WebhookRequest) => (JSON.parse(req.body) as { sequence: number }).sequence;

describe('webhook receiver queue', () => {
  test('delivers in publishing order, one at a time, signed with the receiver secret', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { clock, sent, notifier } = setup(receiver(), async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    for (let i = 0; i < 5; i++) notifier.publish({ type: 'incident-opened', data: { i } });
    await notifier.idle();
    assert.deepEqual(sent.map((s) => seqOf(s.req)), [1, 2, 3, 4, 5]);
    assert.equal(maxInFlight, 1);
    for (const { req } of sent) {
      const v = verifySignature({ body: req.body, secret: 'k3y', timestamp: req.headers['x-3rc-timestamp'], signature: req.headers['x-3rc-signature'], nowMs: clock.now() });
      assert.deepEqual(v, { ok: true });
      assert.equal(req.headers['x-3rc-event'], 'incident-opened');
    }
  });

  test('retries on the backoff schedule of the clock, then succeeds without skipping or reordering', async () => {
    const { clock, sent, dead, notifier } = setup(receiver(), async (_req, n) => {
      if (n <= 2) throw new Error('HTTP 503');
    });
    notifier.publish({ type: 'incident-opened', data: {} });
    notifier.publish({ type: 'incident-resolved', data: {} });
    await clock.settle();
    assert.equal(sent.length, 1);
    await clock.advanceBy(1999);
    assert.equal(sent.length, 1, 'no retry before the first delay (2 s)');
    await clock.advanceBy(1);
    assert.equal(sent.length, 2);
    await clock.advanceBy(4000);
    await notifier.idle();
    assert.deepEqual(sent.map((s) => [s.at - START, seqOf(s.req)]), [[0, 1], [2000, 1], [6000, 1], [6000, 2]]);
    assert.equal(dead.length, 0);
  });

  test('gives up after maxAttempts: a dead letter with the last error, then the next one goes', async () => {
    const { clock, sent, dead, notifier } = setup(receiver({ retry: { maxAttempts: 3, initialSeconds: 1, maxSeconds: 60, factor: 2, jitter: 0 } }), async (req) => {
      if (seqOf(req) === 1) throw new Error('ECONNREFUSED');
    });
    notifier.publish({ type: 'incident-opened', data: {} });
    notifier.publish({ type: 'incident-resolved', data: {} });
    await clock.advanceBy(10_000);
    await notifier.idle();
    assert.deepEqual(sent.map((s) => [s.at - START, seqOf(s.req)]), [[0, 1], [1000, 1], [3000, 1], [3000, 2]]);
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.sequence, 1);
    assert.equal(dead[0]!.attempts, 3);
    assert.equal(dead[0]!.lastError, 'ECONNREFUSED');
    assert.equal(dead[0]!.receiver, 'ops');
    assert.equal(JSON.parse(dead[0]!.payload).type, 'incident-opened');
    assert.deepEqual(notifier.stats().ops, { waiting: 0, delivered: 1, deadLettered: 1, attempts: 4 });
  });

  test('bounded: a full queue sends its oldest waiting entry to the dead letters; publish never waits', async () => {
    // A receiver that never answers: the first notification stays in flight for ever.
    const { dead, sent, notifier } = setup(receiver({ queueSize: 3 }), () => new Promise<void>(() => undefined));
    const started = Date.now();
    for (let i = 0; i < 10; i++) notifier.publish({ type: 'incident-opened', data: { i } });
    assert.ok(Date.now() - started < 5000);
    await new Promise((r) => setImmediate(r));
    await Promise.resolve();
    assert.equal(sent.length, 1, 'only the head is in flight');
    // 1 in flight, 3 waiting (8, 9, 10); 2..7 dropped, oldest first.
    assert.deepEqual(dead.map((d) => d.sequence), [2, 3, 4, 5, 6, 7]);
    assert.match(dead[0]!.lastError, /queue full/);
    assert.equal(notifier.stats().ops!.waiting, 4);
    await notifier.stop();
    assert.deepEqual(dead.map((d) => d.sequence), [2, 3, 4, 5, 6, 7, 1, 8, 9, 10]);
    assert.match(dead.at(-1)!.lastError, /stopped/);
  });

  test('only the types a receiver asked for reach it; the sequence still counts every notification', async () => {
    const { sent, notifier } = setup(receiver({ events: ['incident-resolved'] }), async () => undefined);
    notifier.publish({ type: 'incident-opened', data: {} });
    notifier.publish({ type: 'incident-resolved', data: {} });
    await notifier.idle();
    assert.deepEqual(sent.map((s) => seqOf(s.req)), [2]);
  });

  test('a secret that cannot be read is a failed attempt, retried, then dead-lettered', async () => {
    const { clock, dead, sent, notifier } = setup(receiver({ secretRef: 'missing', retry: { maxAttempts: 2, initialSeconds: 1, maxSeconds: 1, factor: 2, jitter: 0 } }), async () => undefined);
    notifier.publish({ type: 'storm-guard-on', data: {} });
    await clock.advanceBy(2000);
    await notifier.idle();
    assert.equal(sent.length, 0);
    assert.equal(dead.length, 1);
    assert.match(dead[0]!.lastError, /unknown secret missing/);
  });
});
