/** The reinstall with VMs aboard checks its evidence again when it runs (reinstall-aboard.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlacementCandidate } from '../../../src/core/placement.js';
import type { BootProgress } from '../../../src/core/signature.js';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import type { Env } from '../../../src/env/env.js';
import type { Inventory } from '../../../src/controller/executor-types.js';
import { reinstallAboardRefusal } from '../../../src/controller/reinstall-aboard.js';

const capacity = { cores: 16, ramGb: 64, diskTb: 1 };
const host = (name: string): HostSpec => ({ name, role: 'primary', macs: [], ip: '127.0.0.1', hypervisorUri: 'test:///', capacity });
const vm = (name: string, shared = true): VmSpec => ({
  name,
  uuid: name,
  homeHost: 'hv1',
  currentHost: 'hv1',
  priority: 1,
  ...(shared ? { diskPath: `/shared/${name}.qcow2` } : {}),
  resources: { cores: 4, ramGb: 32, diskGb: 40 },
});

function rig(opts: { vms: VmSpec[]; freeRamGb: number; boot: BootProgress }) {
  const inv = {
    vmsOn: () => opts.vms,
    placementCandidates: (): PlacementCandidate[] => [{ host: host('hv2'), usable: true, used: { cores: 0, ramGb: 64 - opts.freeRamGb, diskGb: 0 } }],
  } as unknown as Inventory;
  const env = { probes: { probeHost: async () => ({ bmcReachable: true, power: 'on', reachable: false, shellOk: null, hypervisorOk: false, bootProgress: opts.boot }) } } as unknown as Env;
  return reinstallAboardRefusal(env, inv, host('hv1'));
}

test('goes on with a failed boot, shared disks and no room', async () => {
  assert.equal(await rig({ vms: [vm('a'), vm('b')], freeRamGb: 8, boot: 'boot-failed' }), null);
});

test('goes on with no VM aboard, whatever else', async () => {
  assert.equal(await rig({ vms: [], freeRamGb: 64, boot: 'os-running' }), null);
});

test('refused for a VM without a disk on shared storage', async () => {
  assert.match((await rig({ vms: [vm('a'), vm('b', false)], freeRamGb: 8, boot: 'boot-failed' })) ?? '', /without a disk on shared storage \(b\)/);
});

test('refused when room appeared meanwhile: they move first', async () => {
  assert.match((await rig({ vms: [vm('a')], freeRamGb: 32, boot: 'boot-failed' })) ?? '', /room appeared for a/);
});

test('refused when the BMC no longer reports the failed boot', async () => {
  assert.match((await rig({ vms: [vm('a')], freeRamGb: 8, boot: 'os-running' })) ?? '', /no longer reports a failed boot/);
});
