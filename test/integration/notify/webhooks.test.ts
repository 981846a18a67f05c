/**
 * Webhooks from a real controller on the simulated rack (virtual clock) to real HTTP receivers on
 * 127.0.0.1: a hung host is fenced, its VMs moved, the host rebooted. One receiver gets every
 * notification of that recovery in order, each with a valid signature; another that always answers
 * 500 ends in the dead-letter store (SQLite) and does not slow the recovery: the incident resolves
 * at the same virtual time as in a run without any receiver.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secretResolver } from '../../../src/env/real/secrets.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { startNotifications, verifySignature, type Notification, type WebhookReceiverConfig } from '../../../src/notify/index.js';
import { silentLogger } from '../../../src/sim-rack/index.js';
import { openStore } from '../../../src/store/index.js';
import { makeTempDir } from '../../lab/peers/common.js';
import { startSimLab, type SimLab } from '../../lab/sim-lab.js';

interface Received {
  notification: Notification;
  verified: boolean;
  reason?: string;
}

/** A webhook receiver: answers `status`, checks each signature against `secret` on `now()`. */
async function startReceiver(status: number, secret: string, now: () => number): Promise<{ server: Server; url: string; got: Received[]; hits: number }> {
  const state = { got: [] as Received[], hits: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.hits++;
      const body = Buffer.concat(chunks).toString('utf8');
      if (status === 200) {
        const v = verifySignature({ body, secret, timestamp: req.headers['x-3rc-timestamp'] as string, signature: req.headers['x-3rc-signature'] as string, nowMs: now() });
        state.got.push({ notification: JSON.parse(body) as Notification, verified: v.ok, ...(v.ok ? {} : { reason: v.reason }) });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${addr.port}/hook`,
    get got() {
      return state.got;
    },
    get hits() {
      return state.hits;
    },
  };
}

const RETRY = { maxAttempts: 3, initialSeconds: 1, maxSeconds: 4, factor: 2, jitter: 0.2 };

/** Hangs hv1 and runs until its incident is resolved; returns the virtual seconds from the fault. */
async function hangAndRecover(lab: SimLab): Promise<number> {
  await lab.runFor(30); // every target probed healthy a few times
  const faultAt = lab.clock.now();
  applyFaultLine(lab.world, 'host hv1 hang');
  const resolved = () => lab.events.some((e) => e.type === 'emitted' && e.event.type === 'incident.resolved' && e.targetId === 'host:hv1');
  assert.ok(await lab.runUntil(resolved, 900), `hv1 not recovered: ${JSON.stringify(lab.controller.targetStatus('host:hv1'))}`);
  const [incident] = await lab.store.listIncidents({ targetId: 'host:hv1' });
  assert.equal(incident!.state, 'resolved');
  return (incident!.resolvedAt! - faultAt) / 1000;
}

describe('webhooks during a real recovery', () => {
  const tmp = makeTempDir('webhooks');
  const servers: Server[] = [];
  before(() => {
    writeFileSync(join(tmp.dir, 'good.secret'), 'good-s3cret\n', { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'bad.secret'), 'bad-s3cret\n', { mode: 0o600 });
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    tmp.remove();
  });

  test('every event in order with valid signatures; a failing receiver is dead-lettered and costs no recovery time', async () => {
    // Run A: no notifications at all.
    const storeA = await openStore(`file:${join(tmp.dir, 'a.db')}`);
    const labA = await startSimLab(storeA);
    let withoutReceivers: number;
    try {
      withoutReceivers = await hangAndRecover(labA);
    } finally {
      await labA.stop();
      await storeA.close();
    }

    // Run B: the same rack and seed, with a receiver that takes everything and one that always fails.
    const storeB = await openStore(`file:${join(tmp.dir, 'b.db')}`);
    const labB = await startSimLab(storeB);
    const good = await startReceiver(200, 'good-s3cret', () => labB.clock.now());
    const bad = await startReceiver(500, 'bad-s3cret', () => labB.clock.now());
    servers.push(good.server, bad.server);
    const receivers: WebhookReceiverConfig[] = [
      { name: 'good', url: good.url, secretRef: 'good', timeoutSeconds: 10, retry: RETRY, queueSize: 1000 },
      { name: 'failing', url: bad.url, secretRef: 'bad', timeoutSeconds: 10, retry: RETRY, queueSize: 1000 },
    ];
    const notifications = startNotifications({
      controller: labB.controller,
      receivers,
      clock: labB.clock,
      log: silentLogger,
      resolveSecret: secretResolver({ good: { file: join(tmp.dir, 'good.secret') }, bad: { file: join(tmp.dir, 'bad.secret') } }),
      store: storeB,
      stormGuardEveryMs: 5000,
    });
    const published: Notification[] = [];
    notifications.notifier.onPublish((n) => published.push(n));
    try {
      const withReceivers = await hangAndRecover(labB);
      assert.equal(withReceivers, withoutReceivers, 'the failing receiver did not delay the recovery (virtual seconds from fault to resolved)');

      // The recovery published what people hear about, in this order.
      const hv1 = published.filter((n) => n.data.targetId === 'host:hv1').map((n) => n.type);
      assert.equal(hv1[0], 'incident-opened');
      assert.ok(hv1.includes('incident-escalated'), `fence-migrate then reboot is a rung change: ${hv1.join(', ')}`);
      assert.equal(hv1.at(-1), 'incident-resolved');
      const escalated = published.find((n) => n.type === 'incident-escalated')!;
      assert.deepEqual([escalated.data.fromRungName, escalated.data.rungName], ['fence-migrate', 'reboot']);

      // Retries run on the virtual clock: step it (bounded) until both queues are empty.
      const drained = () => Object.values(notifications.notifier.stats()).every((s) => s.waiting === 0);
      for (let i = 0; i < 600 && !drained(); i++) {
        await labB.step();
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(drained(), `queues not drained: ${JSON.stringify(notifications.notifier.stats())}`);
      await notifications.notifier.idle();

      // The good receiver: every notification, in publishing order, each signed validly.
      assert.deepEqual(good.got.map((g) => g.notification.sequence), published.map((n) => n.sequence));
      assert.deepEqual(published.map((n) => n.sequence), published.map((_, i) => i + 1));
      for (const g of good.got) assert.ok(g.verified, `signature of #${g.notification.sequence} refused: ${g.reason}`);
      assert.deepEqual(good.got.map((g) => g.notification.type), published.map((n) => n.type));

      // The failing receiver: each notification tried maxAttempts times, then a dead letter in the store.
      assert.equal(bad.hits, published.length * RETRY.maxAttempts);
      const dead = await storeB.listDeadLetters({ receiver: 'failing' });
      assert.deepEqual(dead.map((d) => d.sequence).sort((a, b) => a - b), published.map((n) => n.sequence));
      for (const d of dead) {
        assert.equal(d.attempts, RETRY.maxAttempts);
        assert.equal(d.lastError, 'HTTP 500');
        assert.equal(d.url, bad.url);
      }
      assert.deepEqual(await storeB.listDeadLetters({ receiver: 'good' }), []);
    } finally {
      await notifications.stop();
      await labB.stop();
      await storeB.close();
    }
  });
});
