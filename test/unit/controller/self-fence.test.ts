/**
 * Self-fencing only with a declared watchdog (issue 9): without one, a silent host with a dead BMC
 * waits for a person however long it is silent; with one, its VMs move once max(policy, lease)
 * seconds have passed since the last contact, not since the fence began.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selfFenceWait } from '../../../src/controller/self-fence.js';
import type { HostSpec } from '../../../src/core/types.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { labHosts } from '../../../src/sim-rack/index.js';
import { evacuationRig } from './evacuation-rig.js';

const SANLOCK_80 = { kind: 'sanlock' as const, leaseTimeoutSeconds: 80 };

test('selfFenceWait: only a declared watchdog with the policy set, never before the lease runs out', () => {
  assert.equal(selfFenceWait({}, { selfFenceAfterSeconds: 60 }), null, 'no watchdog declared');
  assert.equal(selfFenceWait({ watchdog: SANLOCK_80 }, { selfFenceAfterSeconds: null }), null, 'policy off');
  assert.deepEqual(selfFenceWait({ watchdog: SANLOCK_80 }, { selfFenceAfterSeconds: 60 }), { kind: 'sanlock', seconds: 80 });
  assert.deepEqual(selfFenceWait({ watchdog: { kind: 'wdmd', leaseTimeoutSeconds: 30 } }, { selfFenceAfterSeconds: 60 }), { kind: 'wdmd', seconds: 60 });
});

/** hv1 silent (network and BMC gone) since `lostAt`, 20 s before the fence starts. */
async function silentHv1(hosts: HostSpec[]) {
  let lostAt = 0;
  const rig = await evacuationRig({ hosts, policy: { selfFenceAfterSeconds: 60 }, world: { watchdogSeconds: 60 }, silentSince: (h) => (h === 'hv1' ? lostAt : null) });
  lostAt = rig.rack.clock.now();
  applyFaultLine(rig.rack.world, 'host hv1 bmc-dead');
  applyFaultLine(rig.rack.world, 'host hv1 isolate');
  await rig.rack.clock.advanceBy(20_000);
  return { rig, lostAt };
}

test('no watchdog declared: the fence is unconfirmed and waits for a person, nothing moves', async () => {
  const { rig } = await silentHv1(labHosts());
  const result = await rig.run('fence-migrate', 'hv1');
  assert.equal(result.outcome, 'blocked');
  assert.match(result.outcome === 'blocked' ? result.reason : '', /hv1 declares no watchdog, so it is not assumed to have fenced itself: confirm by hand/);
  assert.equal(rig.index.vms.get('web1')?.currentHost, 'hv1');
  for (const host of ['hv2', 'spare1']) assert.ok(!rig.rack.world.runningCopies('web1').includes(host), `web1 not started on ${host}`);
});

test('a declared watchdog: VMs move once max(policy, lease) has passed since the last contact', async () => {
  const hosts = labHosts().map((h) => ({ ...h, watchdog: SANLOCK_80 }));
  const { rig, lostAt } = await silentHv1(hosts);
  const result = await rig.run('fence-migrate', 'hv1');
  assert.equal(result.outcome, 'ok', JSON.stringify(result));
  const movedBy = rig.rack.clock.now();
  assert.ok(movedBy >= lostAt + 80_000, `moved ${(movedBy - lostAt) / 1000} s after the last contact`);
  assert.ok(movedBy < lostAt + 20_000 + 80_000, 'counted from the last contact, not from the start of the fence');
  for (const vm of ['web1', 'db1']) assert.deepEqual(rig.rack.world.runningCopies(vm), ['spare1']);
  assert.ok(
    rig.timeline.some((l) => l.includes(`(80 s + 0 s margin since the last contact at ${new Date(lostAt).toISOString()})`)),
    rig.timeline.join('\n'),
  );
});
