/**
 * Before a VM is started on a new host, every other hypervisor is asked for its domains by UUID
 * (issue 9): one live copy elsewhere is the VM (recorded there, not started again); two or more
 * wait for a person.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveCopies, type RackListing } from '../../../src/controller/vm-locator.js';
import type { VmSpec } from '../../../src/core/types.js';
import { drive } from '../env/sim-fixture.js';
import { evacuationRig } from './evacuation-rig.js';

const WEB1 = { name: 'web1', uuid: '6f1c0000-0000-4000-8000-000000000001' } as VmSpec;

test('liveCopies: matched by UUID (by name only without one), running or paused, sorted by host', () => {
  const listing: RackListing = {
    silent: [],
    domains: new Map([
      ['hv3', [{ name: 'renamed', uuid: WEB1.uuid, state: 'running' }]],
      ['hv1', [{ name: 'web1', uuid: '', state: 'paused' }]],
      ['hv2', [{ name: 'web1', uuid: 'another-vm-with-that-name', state: 'running' }]],
      ['hv4', [{ name: 'web1', uuid: WEB1.uuid, state: 'shutoff' }]],
    ]),
  };
  assert.deepEqual(liveCopies(listing, WEB1), [
    { host: 'hv1', state: 'paused' },
    { host: 'hv3', state: 'running' },
  ]);
});

test('vm-move: one live copy on another host is recorded there and not started again', async () => {
  const rig = await evacuationRig();
  const { env, world } = rig.rack;
  await drive(rig.rack.clock, () => env.hypervisor.defineAndStart(rig.index.requireHost('hv2'), rig.index.vms.get('web1')!));
  assert.deepEqual(world.runningCopies('web1'), ['hv1', 'hv2']);

  const result = await rig.run('vm-move', 'web1');
  assert.equal(result.outcome, 'ok', JSON.stringify(result));
  assert.deepEqual(world.runningCopies('web1'), ['hv2'], 'the copy on hv1 stopped, none started on spare1');
  assert.equal(rig.index.vms.get('web1')?.currentHost, 'hv2');
  assert.equal((await rig.rack.store.getVm('web1'))?.currentHost, 'hv2', 'recorded in the store');
  assert.ok(rig.timeline.some((l) => l.includes('already runs on hv2: recorded there, not started again')), rig.timeline.join('\n'));
});

test('vm-move: live copies on two other hosts block the move for a person', async () => {
  const rig = await evacuationRig();
  const { env, world } = rig.rack;
  const web1 = rig.index.vms.get('web1')!;
  for (const h of ['hv2', 'spare1']) await drive(rig.rack.clock, () => env.hypervisor.defineAndStart(rig.index.requireHost(h), web1));

  const result = await rig.run('vm-move', 'web1');
  assert.equal(result.outcome, 'blocked');
  assert.match(result.outcome === 'blocked' ? result.reason : '', /web1 runs on hv2, spare1 at once: a person must stop all but one/);
  assert.deepEqual(world.runningCopies('web1'), ['hv2', 'spare1'], 'nothing started, nothing else stopped');
  assert.equal(rig.index.vms.get('web1')?.currentHost, 'hv1', 'the record is left for the person');
});
