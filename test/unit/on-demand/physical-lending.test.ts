/**
 * A whole host lent out (--physical) on the simulated rack and a virtual clock: the spare beyond
 * the N+1 reserve goes into maintenance, is reinstalled over the sim PXE path with the requested
 * template, comes back at expiry reinstalled as a hypervisor and is a spare again; refusal when
 * the spare is the reserve; a controller restart in the middle of the lend install observes it
 * and never starts a second reinstall.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import { RequestCreateSchema, type RequestCreateInput } from '../../../src/on-demand/request-input.js';
import { labHosts, labVms } from '../../../src/sim-rack/index.js';
import type { RequestRecord } from '../../../src/store/types.js';
import { lendingRig, type LendingRig } from './lending-rig.js';

const alice = { name: 'alice', admin: false };
const ask = (over: Partial<RequestCreateInput> = {}) =>
  RequestCreateSchema.parse({ cores: 16, ram: '64G', disk: '500G', os: 'alma-9', middleware: 'htcondor', for: '30m', physical: true, ...over });

let rig: LendingRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

async function rec(r: LendingRig, id: string): Promise<RequestRecord> {
  const got = await r.rack.store.getRequest(id);
  assert.ok(got, `request ${id} exists`);
  return got;
}

async function until(r: LendingRig, id: string, want: RequestRecord['state'], maxSeconds: number): Promise<RequestRecord> {
  const ok = await r.runUntil(async () => (await rec(r, id)).state === want, maxSeconds);
  const got = await rec(r, id);
  assert.ok(ok, `request ${id} reached ${want} within ${maxSeconds} s (is ${got.state}; ${got.error ?? ''})`);
  return got;
}

/** How many PXE installs the sim world started on `host` (its boot device set to pxe by the provisioner). */
function countPxeBoots(r: LendingRig, host: string): () => number {
  let n = 0;
  r.rack.world.onChange((e) => {
    if (e.target === `host:${host}` && e.change.endsWith('PXE boot')) n++;
  });
  return () => n;
}

describe('host on demand, --physical (sim rack)', () => {
  test('lent, reinstalled with its template, back as a hypervisor at expiry, a spare again', async () => {
    rig = await lendingRig({ physical: true });
    const boots = countPxeBoots(rig, 'spare1');
    const r = await rig.settle(rig.service.create(ask(), alice));
    assert.equal(r.kind, 'physical');
    assert.equal(r.host, 'spare1');
    const ready = await until(rig, r.id, 'ready', 1500);
    assert.deepEqual(ready.steps, ['lend:maintenance', 'lend:reinstall-started', 'lend:reinstall']);
    assert.equal(ready.address, '198.18.0.13');
    assert.equal(rig.rack.world.host('spare1').installedTemplate, 'alma-9');
    // Lent: in maintenance (the ladder takes no action, no VM goes there), no room for VMs.
    assert.equal(rig.controller.targetStatus('host:spare1')?.phase, 'maintenance');
    assert.equal((await rig.rack.store.getHost('spare1'))?.state, 'maintenance');

    const closed = await until(rig, r.id, 'erased', 2 * 3600);
    assert.equal(closed.endReason, 'expired');
    assert.equal(closed.erasedHow, 'reinstall');
    assert.ok(closed.steps.includes('end:reinstall') && closed.steps.includes('end:maintenance-off'));
    assert.equal(rig.rack.world.host('spare1').installedTemplate, 'default');
    assert.equal(boots(), 2, 'one install to lend it, one to take it back');
    // Back in the pool: the ladder sees it healthy again.
    assert.ok(await rig.runUntil(() => rig?.controller.targetStatus('host:spare1')?.phase === 'healthy', 300), 'spare1 healthy again');
    const timeline = (await rig.rack.store.listRequestEvents(r.id)).map((e) => e.message).join('\n');
    assert.match(timeline, /template alma-9/);
    assert.match(timeline, /spare1: callback/);
  });

  test('refused with the reason when the only spare is the N+1 reserve', async () => {
    // Each primary carries 24 cores: the loss of one needs the spare's room.
    const vms = labVms().map((v) => ({ ...v, resources: { cores: 12, ramGb: 24, diskGb: 40 } }));
    rig = await lendingRig({ physical: true, hosts: labHosts(), vms });
    await assert.rejects(rig.settle(rig.service.create(ask(), alice)), (e: unknown) => {
      assert.ok(isRrcError(e, 'RRC_ERR_NO_CAPACITY'));
      assert.match(e.message, /spare1 is the N\+1 reserve: without it, losing hv1 \(24 cores in use\)/);
      return true;
    });
    assert.equal(rig.controller.targetStatus('host:spare1')?.phase, 'healthy');
    assert.equal((await rig.rack.store.listRequests({})).length, 0);
  });

  test('refused when the OS is a VM image, or no spare is left', async () => {
    rig = await lendingRig({ physical: true });
    await assert.rejects(rig.settle(rig.service.create(ask({ os: 'debian-12' }), alice)), /disk image for VMs: --physical installs over PXE; install OSes: alma-9/);
    await rig.settle(rig.service.create(ask(), alice));
    await assert.rejects(rig.settle(rig.service.create(ask(), { name: 'bob', admin: false })), /spare1: lent out whole \(request r-00000001\)/);
  });

  test('a controller restart in the middle of the lend install observes it: no second install', async () => {
    rig = await lendingRig({ physical: true });
    const boots = countPxeBoots(rig, 'spare1');
    const r = await rig.settle(rig.service.create(ask({ for: '2h' }), alice));
    assert.ok(await rig.runUntil(async () => (await rec(rig as LendingRig, r.id)).steps.includes('lend:reinstall-started'), 60));
    await rig.run(120);
    await rig.restartController();
    const ready = await until(rig, r.id, 'ready', 1500);
    assert.equal(boots(), 1, 'the restarted controller did not start the install again');
    assert.equal(rig.rack.world.host('spare1').installedTemplate, 'alma-9');
    const timeline = (await rig.rack.store.listRequestEvents(r.id)).map((e) => e.message).join('\n');
    assert.match(timeline, /taken over after a restart/);
    // Released now: reinstalled back and returned.
    await rig.settle(rig.service.release(ready.id, alice));
    const closed = await until(rig, r.id, 'released', 1500);
    assert.equal(closed.erasedHow, 'reinstall');
    assert.equal(boots(), 2);
  });
});
