/**
 * The real controller (machines, ladder, executor, store) against the simulated rack on a virtual
 * clock, on every store: memory, SQLite and PostgreSQL. Each failure must be recovered by the
 * expected rung, with the incident timeline persisted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client } from 'pg';
import { applyFaultLine } from '../../src/env/sim/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { buildSimRack, labHosts, labVms, type SimRack } from '../../src/sim-rack/index.js';
import { testLog } from '../lab/sim-lab.js';

const PG_URL = process.env.RRC_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const tmp = mkdtempSync(join(tmpdir(), 'rrc-ctl-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A memory store whose writes take 30 ms of real time: what PostgreSQL looks like on a loaded CI
 * machine. Virtual time must not run ahead of a write the controller is waiting for (it did, and
 * a fence-migrate timed out on real I/O latency).
 */
async function openSlowWriteStore(): Promise<Store> {
  const inner = await openStore('memory:');
  const delay = () => new Promise((resolve) => setTimeout(resolve, 30));
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!/^(add|update|save|remove|delete|create|upsert)/.test(String(key))) return method.bind(target);
      return async (...args: unknown[]) => {
        await delay();
        return method.apply(target, args);
      };
    },
  });
}

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', () => openStore('memory:')],
  ['slow-write memory', openSlowWriteStore],
  ['sqlite', () => openStore(`file:${join(tmp, `ctl-${Math.random().toString(36).slice(2)}.db`)}`)],
  [
    'postgresql',
    () => {
      const schema = `rrc_ctl_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      pgSchemas.push(schema);
      return openStore(`${PG_URL}?schema=${schema}`);
    },
  ],
];

async function withLab(makeStore: () => Promise<Store>, fn: (lab: SimRack) => Promise<void>): Promise<void> {
  const store = await makeStore();
  const lab = await buildSimRack({ hosts: labHosts(), vms: labVms(), store, ...testLog() });
  await lab.start();
  try {
    await lab.runFor(30); // every target probed healthy a few times
    await fn(lab);
  } finally {
    await lab.stop();
    await store.close();
  }
}

const pgSchemas: string[] = [];
after(async () => {
  if (pgSchemas.length === 0) return;
  const pg = new Client({ connectionString: PG_URL });
  await pg.connect();
  for (const schema of pgSchemas) await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pg.end();
});

for (const [name, makeStore] of stores) {
  describe(`controller on the simulated rack (${name} store)`, () => {
    test('a crashed VM is restarted in place (rung 2) and the timeline is persisted', async () => {
      await withLab(makeStore, async (lab) => {
        applyFaultLine(lab.world, 'vm db1 panic');
        const injectedAt = lab.clock.now();
        const ok = await lab.runUntil(() => lab.controller.targetStatus('vm:db1')?.phase === 'healthy' && lab.events.some((e) => e.type === 'emitted' && e.event.type === 'incident.resolved'), 400);
        assert.ok(ok, `db1 not recovered: ${JSON.stringify(lab.controller.targetStatus('vm:db1'))}`);
        const [incident] = await lab.store.listIncidents({ targetId: 'vm:db1' });
        assert.ok(incident, 'incident recorded');
        assert.equal(incident.state, 'resolved');
        assert.equal(incident.entryRung, 2);
        assert.equal(incident.signature, 'vm-crashed');
        assert.ok(incident.recoverySeconds! > 0 && incident.recoverySeconds! < 120, `recovery ${incident.recoverySeconds}`);
        assert.ok(incident.detectedAt >= injectedAt);
        const detail = await lab.store.getIncident(incident.id);
        assert.deepEqual(detail!.actions.map((a) => [a.kind, a.outcome]), [['vm-restart', 'ok']]);
        const kinds = detail!.events.map((e) => e.kind);
        for (const k of ['opened', 'rung', 'action-start', 'action-end', 'transition', 'resolved']) assert.ok(kinds.includes(k), `timeline has ${k}: ${kinds}`);
        assert.deepEqual(lab.world.runningCopies('db1'), ['hv1']);
      });
    });

    test('a hung host is fenced, its VMs started on the spare, then the host is rebooted', async () => {
      await withLab(makeStore, async (lab) => {
        applyFaultLine(lab.world, 'host hv1 hang');
        const ok = await lab.runUntil(
          () =>
            ['host:hv1', 'vm:web1', 'vm:db1'].every((id) => lab.controller.targetStatus(id as 'host:hv1')?.phase === 'healthy') &&
            lab.events.some((e) => e.type === 'emitted' && e.event.type === 'incident.resolved' && e.targetId === 'host:hv1') &&
            lab.events.some((e) => e.type === 'action-done' && e.action.kind === 'remove-stale-copies'),
          900,
        );
        assert.ok(ok, `not recovered: ${JSON.stringify(lab.controller.status().filter((s) => s.phase !== 'healthy'))}`);
        const [incident] = await lab.store.listIncidents({ targetId: 'host:hv1' });
        assert.equal(incident!.state, 'resolved');
        assert.equal(incident!.entryRung, 4, 'evacuation first (fence + migrate)');
        const detail = await lab.store.getIncident(incident!.id);
        assert.deepEqual(detail!.actions.map((a) => [a.kind, a.outcome]), [['fence-migrate', 'ok'], ['host-reboot', 'ok'], ['remove-stale-copies', 'ok']]);
        const messages = detail!.events.map((e) => e.message).join('\n');
        assert.match(messages, /BMC confirms power off/);
        assert.match(messages, /removed stale copy of web1 \(it lives on spare1\)/, 'the fenced host came back with the old copies: removed and recorded');
        assert.match(messages, /web1 started on spare1/);
        assert.match(messages, /db1 started on spare1/);
        for (const vm of ['web1', 'db1']) {
          assert.deepEqual(lab.world.runningCopies(vm), ['spare1'], `${vm} runs exactly once, on the spare`);
          assert.equal((await lab.store.getVm(vm))!.currentHost, 'spare1');
        }
        assert.equal((await lab.store.getHost('hv1'))!.state, 'active');
      });
    });

    test('a dead hypervisor is restarted (rung 3) and its VMs keep running', async () => {
      await withLab(makeStore, async (lab) => {
        applyFaultLine(lab.world, 'hypervisor hv2 crash');
        const ok = await lab.runUntil(() => lab.events.some((e) => e.type === 'emitted' && e.event.type === 'incident.resolved' && e.targetId === 'host:hv2'), 400);
        assert.ok(ok, `hv2 not recovered: ${JSON.stringify(lab.controller.targetStatus('host:hv2'))}`);
        const [incident] = await lab.store.listIncidents({ targetId: 'host:hv2' });
        assert.equal(incident!.signature, 'hypervisor-down');
        assert.equal(incident!.entryRung, 3);
        const detail = await lab.store.getIncident(incident!.id);
        assert.deepEqual(detail!.actions.map((a) => a.kind), ['hypervisor-restart']);
        assert.deepEqual(lab.world.runningCopies('ce1'), ['hv2']);
        assert.deepEqual(lab.world.runningCopies('ui1'), ['hv2']);
        const vmIncidents = (await lab.store.listIncidents()).filter((i) => i.targetKind === 'vm');
        assert.equal(vmIncidents.length, 0, 'the VMs were never acted on: the host incident owned them');
      });
    });
  });
}
