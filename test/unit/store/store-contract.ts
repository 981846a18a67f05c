/**
 * The Store contract, as tests shared by every implementation (memory, SQLite, PostgreSQL).
 * Each implementation's test file calls `storeContract` with a harness that hands out a store
 * with empty tables and the test clock.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import { isRrcError, type ErrorCode } from '../../../src/errors.js';
import type { ActionRecord, IncidentRecord, Store } from '../../../src/store/types.js';

export interface StoreHarness {
  /** A store with empty tables whose clock is `now`. */
  fresh(now: () => number): Promise<Store>;
  /** Called after each test with the store `fresh` returned. */
  release(store: Store): Promise<void>;
}

export const T0 = 1_763_000_000_123; // not a whole second: catches lost milliseconds

export function host(name: string, macs: string[], extra: Partial<HostSpec> = {}): HostSpec {
  return {
    name,
    role: 'primary',
    macs,
    ip: `10.0.0.${name.length}`,
    hypervisorUri: `qemu+ssh://root@${name}/system`,
    capacity: { cores: 32, ramGb: 256, diskTb: 1.92 },
    ...extra,
  };
}

export function vm(name: string, uuid: string, homeHost: string, extra: Partial<VmSpec> = {}): VmSpec {
  return { name, uuid, homeHost, currentHost: homeHost, priority: 10, resources: { cores: 2, ramGb: 4.5, diskGb: 40 }, ...extra };
}

export function incident(id: string, detectedAt: number, extra: Partial<IncidentRecord> = {}): IncidentRecord {
  const target = id.split('#')[0] ?? 'vm:x';
  return {
    id,
    targetId: target as IncidentRecord['targetId'],
    targetKind: target.startsWith('host:') ? 'host' : 'vm',
    targetName: target.slice(target.indexOf(':') + 1),
    detectedAt,
    signature: 'vm-crashed',
    signatureSummary: 'domain shut off unexpectedly',
    entryRung: 2,
    currentRung: 2,
    state: 'open',
    resolvedAt: null,
    recoverySeconds: null,
    note: null,
    ...extra,
  };
}

export function action(incidentId: string, rung: number, attempt: number, startedAt: number, extra: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: `${incidentId}/r${rung}a${attempt}`,
    incidentId,
    targetId: (incidentId.split('#')[0] ?? 'vm:x') as ActionRecord['targetId'],
    rung,
    kind: 'vm-restart',
    attempt,
    startedAt,
    finishedAt: null,
    outcome: null,
    error: null,
    fencingToken: null,
    ...extra,
  };
}

export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, text?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isRrcError(e, code), `expected ${code}, got ${String(e)}`);
    if (text) assert.match(e.message, text);
    return true;
  });
}

export function storeContract(name: string, harness: StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let clock = T0;
    const now = () => clock;

    beforeEach(async () => {
      clock = T0;
      store = await harness.fresh(now);
    });
    afterEach(async () => {
      await harness.release(store);
    });

    test('ping answers on an open store (the self-check)', async () => {
      await store.ping();
    });

    test('hosts: add, get, list, update keep every field, normalized MACs and the clock', async () => {
      const spec = host('h1', ['AA:BB:CC:00:00:01', 'aa-bb-cc-00-00-02'], {
        bmc: { address: '10.1.0.1', port: 623, user: 'admin', secretRef: 'BMC_H1' },
        ssh: { host: '10.0.0.1', port: 22, user: 'root' },
      });
      const added = await store.addHost(spec);
      assert.deepEqual(added, {
        ...spec,
        macs: ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:02'],
        state: 'active',
        lastContactAt: null,
        createdAt: T0,
        updatedAt: T0,
      });
      assert.deepEqual(await store.getHost('h1'), added);
      await store.addHost(host('a0', ['aa:bb:cc:00:00:03'], { role: 'spare', ssh: { host: 'a0', port: 2222, user: 'ops', keyRef: 'K' } }), 'maintenance');
      assert.deepEqual((await store.listHosts()).map((h) => [h.name, h.state]), [['a0', 'maintenance'], ['h1', 'active']]);
      assert.deepEqual((await store.getHost('a0'))?.ssh, { host: 'a0', port: 2222, user: 'ops', keyRef: 'K' });
      assert.equal(await store.getHost('nope'), null);

      clock = T0 + 5_001;
      const updated = await store.updateHost('h1', { ip: '10.9.9.9', state: 'failed', capacity: { cores: 16, ramGb: 128.5, diskTb: 3 } });
      assert.deepEqual(updated, { ...added, ip: '10.9.9.9', state: 'failed', capacity: { cores: 16, ramGb: 128.5, diskTb: 3 }, updatedAt: T0 + 5_001 });
      assert.deepEqual(await store.getHost('h1'), updated);

      // null clears an optional block (the patch types leave that to runtime)
      const cleared = await store.updateHost('h1', { bmc: null } as unknown as { bmc: undefined });
      assert.equal(cleared.bmc, undefined);
      assert.equal((await store.getHost('h1'))?.bmc, undefined);
      assert.deepEqual((await store.getHost('h1'))?.ssh, spec.ssh);
    });

    test('hosts: the watchdog contract and the last contact of a silent host round-trip', async () => {
      const watchdog = { kind: 'sanlock' as const, leaseTimeoutSeconds: 80 };
      await store.addHost(host('h1', ['aa:bb:cc:00:00:01'], { watchdog }));
      assert.deepEqual((await store.getHost('h1'))?.watchdog, watchdog);
      assert.equal((await store.getHost('h1'))?.lastContactAt, null);

      clock = T0 + 1_000;
      await store.setHostLastContact('h1', T0 + 123);
      const silent = await store.getHost('h1');
      assert.equal(silent?.lastContactAt, T0 + 123);
      assert.equal(silent?.updatedAt, T0, 'not an inventory change');
      // An inventory update keeps both.
      const updated = await store.updateHost('h1', { ip: '10.9.9.9' });
      assert.deepEqual([updated.watchdog, updated.lastContactAt], [watchdog, T0 + 123]);
      assert.deepEqual((await store.listHosts())[0]?.lastContactAt, T0 + 123);
      await store.setHostLastContact('h1', null);
      assert.equal((await store.getHost('h1'))?.lastContactAt, null);
      await assert.rejects(store.setHostLastContact('nope', T0), (e: unknown) => isRrcError(e, 'RRC_ERR_NOT_FOUND'));
      // null clears the watchdog
      const cleared = await store.updateHost('h1', { watchdog: null } as unknown as { watchdog: undefined });
      assert.equal(cleared.watchdog, undefined);
      assert.equal((await store.getHost('h1'))?.watchdog, undefined);
    });

    test('hosts: duplicate name or MAC is refused and nothing is written', async () => {
      await store.addHost(host('h1', ['aa:bb:cc:00:00:01']));
      const before = await store.listHosts();
      await rejectsWith(store.addHost(host('h1', ['aa:bb:cc:00:00:09'])), 'RRC_ERR_CONFLICT', /host h1 already exists/);
      await rejectsWith(
        store.addHost(host('h2', ['aa:bb:cc:00:00:07', 'AA:BB:CC:00:00:01'])),
        'RRC_ERR_CONFLICT',
        /MAC aa:bb:cc:00:00:01 already belongs to host h1/,
      );
      await rejectsWith(store.addHost(host('h3', ['aa:bb:cc:00:00:05', 'AA:BB:CC:00:00:05'])), 'RRC_ERR_CONFLICT', /listed twice/);
      assert.deepEqual(await store.listHosts(), before);
      assert.equal(await store.getHost('h2'), null);
      // the first MAC of the refused host was not claimed either
      await store.addHost(host('h4', ['aa:bb:cc:00:00:07']));
    });

    test('hosts: changing MACs is checked against other hosts; freed MACs can be reused', async () => {
      await store.addHost(host('h1', ['aa:00:00:00:00:01', 'aa:00:00:00:00:02']));
      await store.addHost(host('h2', ['bb:00:00:00:00:01']));
      await rejectsWith(store.updateHost('h2', { macs: ['AA:00:00:00:00:02'] }), 'RRC_ERR_CONFLICT', /already belongs to host h1/);
      assert.deepEqual((await store.getHost('h2'))?.macs, ['bb:00:00:00:00:01']);
      const h1 = await store.updateHost('h1', { macs: ['aa:00:00:00:00:02', 'aa:00:00:00:00:03'] });
      assert.deepEqual(h1.macs, ['aa:00:00:00:00:02', 'aa:00:00:00:00:03']);
      await store.updateHost('h2', { macs: ['bb:00:00:00:00:01', 'aa:00:00:00:00:01'] });
      assert.deepEqual((await store.getHost('h2'))?.macs, ['bb:00:00:00:00:01', 'aa:00:00:00:00:01']);
    });

    test('hosts: unknown ones are NOT_FOUND', async () => {
      await rejectsWith(store.updateHost('ghost', { ip: '1.2.3.4' }), 'RRC_ERR_NOT_FOUND', /host ghost/);
      await rejectsWith(store.removeHost('ghost'), 'RRC_ERR_NOT_FOUND', /host ghost/);
    });

    test('VMs: add, get, list, update, remove with every optional field', async () => {
      await store.addHost(host('h1', ['aa:00:00:00:00:01']));
      await store.addHost(host('h2', ['aa:00:00:00:00:02']));
      const full = vm('web', '6f1c1c7e-0000-4000-8000-000000000001', 'h1', {
        domainXml: '<domain type="kvm"><name>web</name></domain>',
        template: 'debian-12',
        diskPath: '/srv/shared/web.qcow2',
        guestAddress: '10.2.0.10',
        ssh: { host: '10.2.0.10', port: 22, user: 'svc', keyRef: 'guest-key' },
        serviceCheck: { kind: 'http', port: 80, path: '/health', expectStatus: 200 },
      });
      const added = await store.addVm(full);
      assert.deepEqual(added, { ...full, createdAt: T0, updatedAt: T0 });
      assert.deepEqual(await store.getVm('web'), added);
      const bare = await store.addVm(vm('db', '6f1c1c7e-0000-4000-8000-000000000002', 'h2'));
      assert.deepEqual(Object.keys(bare).sort(), ['createdAt', 'currentHost', 'homeHost', 'name', 'priority', 'resources', 'updatedAt', 'uuid']);
      assert.deepEqual((await store.listVms()).map((v) => v.name), ['db', 'web']);

      clock = T0 + 42;
      const moved = await store.updateVm('web', { currentHost: 'h2', priority: 99, template: null } as unknown as { currentHost: string });
      assert.equal(moved.currentHost, 'h2');
      assert.equal(moved.homeHost, 'h1');
      assert.equal(moved.priority, 99);
      assert.equal('template' in moved, false);
      assert.equal(moved.updatedAt, T0 + 42);
      assert.deepEqual(await store.getVm('web'), moved);

      await store.removeVm('db');
      assert.equal(await store.getVm('db'), null);
      await rejectsWith(store.removeVm('db'), 'RRC_ERR_NOT_FOUND', /VM db/);
      await rejectsWith(store.updateVm('db', { priority: 1 }), 'RRC_ERR_NOT_FOUND', /VM db/);
    });

    test('VMs: duplicate name or UUID and unknown hosts are refused, nothing written', async () => {
      await store.addHost(host('h1', ['aa:00:00:00:00:01']));
      await store.addVm(vm('web', 'u-1', 'h1'));
      const before = await store.listVms();
      await rejectsWith(store.addVm(vm('web', 'u-2', 'h1')), 'RRC_ERR_CONFLICT', /VM web already exists/);
      await rejectsWith(store.addVm(vm('api', 'u-1', 'h1')), 'RRC_ERR_CONFLICT', /UUID u-1 already belongs to VM web/);
      await rejectsWith(store.addVm(vm('api', 'u-3', 'h9')), 'RRC_ERR_NOT_FOUND', /home host h9/);
      await rejectsWith(store.addVm(vm('api', 'u-3', 'h1', { currentHost: 'h8' })), 'RRC_ERR_NOT_FOUND', /current host h8/);
      assert.deepEqual(await store.listVms(), before);
      await store.addVm(vm('api', 'u-3', 'h1'));
      await rejectsWith(store.updateVm('api', { uuid: 'u-1' }), 'RRC_ERR_CONFLICT', /UUID u-1/);
      await rejectsWith(store.updateVm('api', { currentHost: 'h7' }), 'RRC_ERR_NOT_FOUND', /current host h7/);
      assert.deepEqual((await store.getVm('api'))?.currentHost, 'h1');
    });

    test('removeHost is refused while VMs live on it or call it home', async () => {
      await store.addHost(host('h1', ['aa:00:00:00:00:01']));
      await store.addHost(host('h2', ['aa:00:00:00:00:02']));
      await store.addVm(vm('web', 'u-1', 'h1'));
      await store.addVm(vm('db', 'u-2', 'h2', { currentHost: 'h1' }));
      await rejectsWith(store.removeHost('h1'), 'RRC_ERR_CONFLICT', /host h1 still has VMs: db \(current\), web \(current, home\)/);
      await rejectsWith(store.removeHost('h2'), 'RRC_ERR_CONFLICT', /db \(home\)/);
      assert.equal((await store.listHosts()).length, 2);
      await store.removeVm('web');
      await store.updateVm('db', { currentHost: 'h2' });
      await store.removeHost('h1');
      assert.equal(await store.getHost('h1'), null);
      await store.addHost(host('h3', ['aa:00:00:00:00:01'])); // its MAC went with it
    });

    test('target states: upsert, list, delete', async () => {
      const snapshot = { status: 'active', value: { recovering: 'restart-vm' }, context: { attempts: [1, 2], since: T0 } };
      await store.saveTargetState({ targetId: 'vm:web', phase: 'recovering', rung: 2, maintenance: false, snapshot, updatedAt: T0 });
      await store.saveTargetState({ targetId: 'host:h1', phase: 'healthy', rung: null, maintenance: true, snapshot: null, updatedAt: T0 + 1 });
      await store.saveTargetState({ targetId: 'vm:web', phase: 'verifying', rung: 3, maintenance: false, snapshot: { ...snapshot, v: 2 }, updatedAt: T0 + 7 });
      assert.deepEqual(await store.listTargetStates(), [
        { targetId: 'host:h1', phase: 'healthy', rung: null, maintenance: true, snapshot: null, updatedAt: T0 + 1 },
        { targetId: 'vm:web', phase: 'verifying', rung: 3, maintenance: false, snapshot: { ...snapshot, v: 2 }, updatedAt: T0 + 7 },
      ]);
      await store.deleteTargetState('vm:web');
      await store.deleteTargetState('vm:never'); // no-op
      assert.deepEqual((await store.listTargetStates()).map((s) => s.targetId), ['host:h1']);
    });

    test('incidents: events and actions round-trip with exact epoch-ms times and order', async () => {
      const inc = incident('vm:web#1', T0 + 1);
      await store.createIncident(inc);
      await store.addIncidentEvent({ incidentId: inc.id, at: T0 + 30, kind: 'action-start', message: 'restart', data: { rung: 2, nested: { ok: true } } });
      await store.addIncidentEvent({ incidentId: inc.id, at: T0 + 10, kind: 'transition', message: 'healthy => failed' });
      await store.addIncidentEvent({ incidentId: inc.id, at: T0 + 30, kind: 'action-end', message: 'restart ok' });
      const a1 = action(inc.id, 2, 1, T0 + 20, { fencingToken: 2 ** 40 + 3 });
      const a2 = action(inc.id, 3, 1, T0 + 25, { kind: 'hypervisor-restart' });
      await store.upsertAction(a2);
      await store.upsertAction(a1);
      const a1done = { ...a1, finishedAt: T0 + 999, outcome: 'failed' as const, error: 'domain would not start' };
      await store.upsertAction(a1done);
      await store.updateIncident(inc.id, { state: 'resolved', resolvedAt: T0 + 61_500, recoverySeconds: 61.499, currentRung: 3, note: 'ok' });

      const detail = await store.getIncident(inc.id);
      assert.deepEqual(detail, {
        ...inc,
        state: 'resolved',
        resolvedAt: T0 + 61_500,
        recoverySeconds: 61.499,
        currentRung: 3,
        note: 'ok',
        events: [
          { incidentId: inc.id, at: T0 + 10, kind: 'transition', message: 'healthy => failed' },
          { incidentId: inc.id, at: T0 + 30, kind: 'action-start', message: 'restart', data: { rung: 2, nested: { ok: true } } },
          { incidentId: inc.id, at: T0 + 30, kind: 'action-end', message: 'restart ok' },
        ],
        actions: [a1done, a2],
      });
      assert.equal(await store.getIncident('vm:web#404'), null);
    });

    test('incidents: duplicates and unknown ids are refused', async () => {
      await store.createIncident(incident('vm:web#1', T0));
      await rejectsWith(store.createIncident(incident('vm:web#1', T0 + 5)), 'RRC_ERR_CONFLICT', /incident vm:web#1 already exists/);
      assert.equal((await store.getIncident('vm:web#1'))?.detectedAt, T0);
      await rejectsWith(store.updateIncident('vm:web#2', { state: 'resolved' }), 'RRC_ERR_NOT_FOUND', /incident vm:web#2/);
      await rejectsWith(store.updateIncident('vm:web#2', {}), 'RRC_ERR_NOT_FOUND');
      await store.updateIncident('vm:web#1', {}); // empty patch on a known incident is fine
      await rejectsWith(store.addIncidentEvent({ incidentId: 'vm:web#2', at: T0, kind: 'x', message: 'y' }), 'RRC_ERR_NOT_FOUND', /incident vm:web#2/);
      await rejectsWith(store.upsertAction(action('vm:web#2', 2, 1, T0)), 'RRC_ERR_NOT_FOUND', /incident vm:web#2/);
      await rejectsWith(store.upsertAction(action('vm:web#1', 2, 1, T0, { fencingToken: 1.5 })), 'RRC_ERR_VALIDATION');
      assert.deepEqual(await store.listActions(), []);
    });

    test('listIncidents: newest first, open filter, target filter, limit', async () => {
      await store.createIncident(incident('vm:a#1', T0 + 100, { state: 'resolved', resolvedAt: T0 + 150 }));
      await store.createIncident(incident('vm:a#2', T0 + 300, { state: 'recovering' }));
      await store.createIncident(incident('host:h1#1', T0 + 200, { state: 'awaiting-operator', signature: 'host-power-off' }));
      await store.createIncident(incident('vm:b#1', T0 + 400, { state: 'cancelled' }));
      await store.createIncident(incident('vm:b#2', T0 + 500, { state: 'quarantined' }));
      await store.createIncident(incident('vm:c#1', T0 + 600));
      const ids = (list: IncidentRecord[]) => list.map((i) => i.id);
      assert.deepEqual(ids(await store.listIncidents()), ['vm:c#1', 'vm:b#2', 'vm:b#1', 'vm:a#2', 'host:h1#1', 'vm:a#1']);
      assert.deepEqual(ids(await store.listIncidents({ open: true })), ['vm:c#1', 'vm:b#2', 'vm:a#2', 'host:h1#1']);
      assert.deepEqual(ids(await store.listIncidents({ open: false })), ['vm:b#1', 'vm:a#1']);
      assert.deepEqual(ids(await store.listIncidents({ targetId: 'vm:a' })), ['vm:a#2', 'vm:a#1']);
      assert.deepEqual(ids(await store.listIncidents({ targetId: 'vm:a', open: true })), ['vm:a#2']);
      assert.deepEqual(ids(await store.listIncidents({ limit: 2 })), ['vm:c#1', 'vm:b#2']);
      await store.updateIncident('vm:c#1', { state: 'resolved', resolvedAt: T0 + 700 });
      assert.deepEqual(ids(await store.listIncidents({ open: true, limit: 10 })), ['vm:b#2', 'vm:a#2', 'host:h1#1']);
      const h1 = (await store.listIncidents({ targetId: 'host:h1' }))[0];
      assert.deepEqual(h1, incident('host:h1#1', T0 + 200, { state: 'awaiting-operator', signature: 'host-power-off' }));
    });

    test('listActions: newest first, by incident, limited', async () => {
      await store.createIncident(incident('vm:a#1', T0));
      await store.createIncident(incident('vm:b#1', T0));
      await store.upsertAction(action('vm:a#1', 2, 1, T0 + 10));
      await store.upsertAction(action('vm:b#1', 2, 1, T0 + 20));
      await store.upsertAction(action('vm:a#1', 3, 1, T0 + 30, { fencingToken: 7 }));
      assert.deepEqual((await store.listActions()).map((a) => a.id), ['vm:a#1/r3a1', 'vm:b#1/r2a1', 'vm:a#1/r2a1']);
      assert.deepEqual((await store.listActions({ incidentId: 'vm:a#1' })).map((a) => a.id), ['vm:a#1/r3a1', 'vm:a#1/r2a1']);
      assert.deepEqual(await store.listActions({ incidentId: 'vm:a#1', limit: 1 }), [action('vm:a#1', 3, 1, T0 + 30, { fencingToken: 7 })]);
      // A restart looks for the actions left without an end (reconcile.ts).
      await store.upsertAction(action('vm:b#1', 2, 1, T0 + 20, { finishedAt: T0 + 25, outcome: 'ok' }));
      assert.deepEqual((await store.listActions({ unfinished: true })).map((a) => a.id), ['vm:a#1/r3a1', 'vm:a#1/r2a1']);
    });

    test('audit: newest first (ties: last written first), limit, details round-trip', async () => {
      await store.addAudit({ at: T0 + 1, actor: 'cli:alice', action: 'host.add', target: 'host:h1', details: { macs: ['aa:00:00:00:00:01'] } });
      await store.addAudit({ at: T0 + 3, actor: 'controller', action: 'incident.open', target: null, details: null });
      await store.addAudit({ at: T0 + 3, actor: 'api:bob', action: 'maintenance.on', target: 'vm:web', details: { reason: 'patching' } });
      assert.deepEqual(await store.listAudit(), [
        { at: T0 + 3, actor: 'api:bob', action: 'maintenance.on', target: 'vm:web', details: { reason: 'patching' } },
        { at: T0 + 3, actor: 'controller', action: 'incident.open', target: null, details: null },
        { at: T0 + 1, actor: 'cli:alice', action: 'host.add', target: 'host:h1', details: { macs: ['aa:00:00:00:00:01'] } },
      ]);
      assert.deepEqual((await store.listAudit(1)).map((a) => a.actor), ['api:bob']);
    });

    test('returned records are copies: mutating them does not change the store', async () => {
      const h = await store.addHost(host('h1', ['aa:00:00:00:00:01']));
      h.macs.push('ff:ff:ff:ff:ff:ff');
      h.capacity.cores = 1;
      const got = await store.getHost('h1');
      assert.deepEqual(got?.macs, ['aa:00:00:00:00:01']);
      assert.equal(got?.capacity.cores, 32);
    });
  });
}
