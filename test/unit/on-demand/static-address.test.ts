/**
 * Lent VMs with onDemand.addresses on the simulated rack: each placed request gets the lowest free
 * address, its seed configures it, its inventory VM carries it as the guest address the controller
 * probes; a full pool refuses (or queues with --queue) and a released request's address is reused.
 * Without the pool nothing changes: no address, no network in the seed, no guest address.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { isRrcError } from '../../../src/errors.js';
import { RequestCreateSchema, type RequestCreateInput } from '../../../src/on-demand/request-input.js';
import type { RequestRecord } from '../../../src/store/types.js';
import { lendingRig, type LendingRig } from './lending-rig.js';

const alice = { name: 'alice', admin: false };
const ask = (over: Partial<RequestCreateInput> = {}) => RequestCreateSchema.parse({ cores: 1, ram: '1G', disk: '10G', os: 'debian-12', for: '2h', ...over });
const POOL = { cidr: '10.20.0.0/24', first: '10.20.0.10', last: '10.20.0.11', gateway: '10.20.0.1', dns: ['10.20.0.2', '10.20.0.3'] };

let rig: LendingRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

async function until(r: LendingRig, id: string, want: RequestRecord['state'], maxSeconds = 300): Promise<RequestRecord> {
  const ok = await r.runUntil(async () => (await r.rack.store.getRequest(id))?.state === want, maxSeconds);
  const rec = await r.rack.store.getRequest(id);
  assert.ok(ok && rec, `request ${id} reached ${want} within ${maxSeconds} s (is ${rec?.state}; ${rec?.error ?? ''})`);
  return rec;
}

describe('static addresses of lent VMs (sim rack, virtual clock)', () => {
  test('placed with the lowest free address; the seed configures it and the controller probes it', async () => {
    rig = await lendingRig({ config: { addresses: POOL } });
    const r = await rig.settle(rig.service.create(ask(), alice));
    assert.equal(r.address, '10.20.0.10', 'given at placement, printed by create');
    const ready = await until(rig, r.id, 'ready');
    assert.equal(ready.address, '10.20.0.10');
    const seed = rig.images.seeds.get(ready.seedPath as string);
    assert.deepEqual(seed?.network, { address: '10.20.0.10/24', gateway: '10.20.0.1', dns: ['10.20.0.2', '10.20.0.3'] });
    assert.equal((await rig.rack.store.getVm(r.id))?.guestAddress, '10.20.0.10', 'the inventory VM is probed at its address');
    const second = await rig.settle(rig.service.create(ask(), alice));
    assert.equal(second.address, '10.20.0.11');
  });

  test('a full pool refuses with the pool named, or queues; a released address is given again', async () => {
    rig = await lendingRig({ config: { addresses: POOL } });
    const a = await rig.settle(rig.service.create(ask(), alice));
    const b = await rig.settle(rig.service.create(ask(), alice));
    assert.deepEqual([a.address, b.address], ['10.20.0.10', '10.20.0.11']);
    await assert.rejects(
      rig.settle(rig.service.create(ask(), alice)),
      (e: unknown) => isRrcError(e, 'RRC_ERR_NO_CAPACITY') && e.message.includes('onDemand.addresses 10.20.0.0/24 (10.20.0.10-10.20.0.11) is full') && /--queue/.test(e.message),
    );
    const q = await rig.settle(rig.service.create(ask({ queue: true }), alice));
    assert.equal(q.state, 'queued');
    assert.equal(q.address, null);
    await until(rig, a.id, 'ready');
    await rig.run(20);
    assert.equal((await rig.rack.store.getRequest(q.id))?.state, 'queued', 'waits while every address is held');
    await rig.settle(rig.service.release(a.id, alice));
    await until(rig, a.id, 'released');
    const placed = await until(rig, q.id, 'ready');
    assert.equal(placed.address, '10.20.0.10', 'the released address is reused');
    assert.equal((await rig.rack.store.getRequest(a.id))?.address, '10.20.0.10', 'the closed request keeps its address as history');
  });

  test('without a pool: no address, no network in the seed, no guest address (unchanged)', async () => {
    rig = await lendingRig();
    const r = await rig.settle(rig.service.create(ask(), alice));
    const ready = await until(rig, r.id, 'ready');
    assert.equal(ready.address, null);
    assert.equal(rig.images.seeds.get(ready.seedPath as string)?.network, undefined);
    assert.equal((await rig.rack.store.getVm(r.id))?.guestAddress, undefined);
  });
});
