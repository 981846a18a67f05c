/**
 * The two simulator features the bench relies on: the storage-lease watchdog (world option
 * `watchdogSeconds`) and the probes' `unchanged` hint.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFaultLine, constant, createSimEnv, createWorld, type VirtualClock, type World } from '../../../src/env/sim/index.js';
import type { Prober } from '../../../src/env/env.js';
import { buildSimWorld, silentLogger } from '../../../src/sim-rack/index.js';
import { drive, HOSTS, VMS } from '../env/sim-fixture.js';

function rig(watchdogSeconds: number | null = 60, watchdogContact: 'storage' | 'cluster' = 'storage'): { clock: VirtualClock; world: World; probes: Prober; unchanged: (kind: 'host' | 'vm', name: string) => boolean } {
  const { clock, world, env } = buildSimWorld({
    hosts: HOSTS,
    vms: VMS,
    start: 0,
    seed: 3,
    world: { watchdogSeconds, watchdogContact, timings: { hostBootSeconds: constant(100) } },
  });
  return { clock, world, probes: env.probes, unchanged: env.unchangedSinceLastProbe! };
}

test('watchdog: a partitioned host running guests resets itself watchdogSeconds after losing contact', async () => {
  const { clock, world } = rig(60);
  applyFaultLine(world, 'host h1 partition');
  await clock.advanceBy(59_000);
  assert.deepEqual(world.runningCopies('v1'), ['h1'], 'not yet');
  await clock.advanceBy(2_000);
  assert.deepEqual(world.runningCopies('v1'), [], 'reset: its domains stopped');
  assert.equal(world.host('h1').os, 'booting');
  assert.equal(world.watchdogResets, 1);
  await clock.advanceBy(200_000);
  assert.equal(world.host('h1').os, 'up');
  assert.deepEqual(world.runningCopies('v1'), [], 'guests come back shut off, no lease, no second reset');
  assert.equal(world.watchdogResets, 1);
});

test('watchdog: a hung host (BMC dead too) is reset; contact back or a power off disarms it', async () => {
  const { clock, world } = rig(60);
  applyFaultLine(world, 'host h1 bmc-dead');
  applyFaultLine(world, 'host h1 hang');
  await clock.advanceBy(61_000);
  assert.deepEqual(world.runningCopies('v2'), []);
  assert.equal(world.watchdogResets, 1);

  applyFaultLine(world, 'host h2 partition');
  await clock.advanceBy(30_000);
  applyFaultLine(world, 'host h2 heal-partition');
  await clock.advanceBy(60_000);
  assert.deepEqual(world.runningCopies('v3'), ['h2'], 'healed in time: no reset');

  applyFaultLine(world, 'host h2 partition');
  await clock.advanceBy(10_000);
  world.powerOff('h2', 'fenced');
  world.powerOn('h2');
  await clock.advanceBy(120_000);
  assert.equal(world.watchdogResets, 1, 'power off disarmed it; after the boot no guest runs, no lease');
});

test('watchdog, cluster contact (3RC agent): a host cut from the controller only keeps running; an isolated or hung one is reset', async () => {
  const { clock, world } = rig(48, 'cluster');
  applyFaultLine(world, 'host h1 partition'); // its peers still reach it: the agent keeps feeding
  await clock.advanceBy(600_000);
  assert.deepEqual(world.runningCopies('v1'), ['h1']);
  assert.equal(world.watchdogResets, 0);
  applyFaultLine(world, 'host h1 heal-partition');

  applyFaultLine(world, 'host h1 isolate'); // nobody answers it: no feed
  await clock.advanceBy(47_000);
  assert.deepEqual(world.runningCopies('v1'), ['h1'], 'not yet');
  await clock.advanceBy(2_000);
  assert.deepEqual(world.runningCopies('v1'), [], 'reset');
  assert.equal(world.watchdogResets, 1);

  applyFaultLine(world, 'host h2 hang');
  await clock.advanceBy(49_000);
  assert.deepEqual(world.runningCopies('v3'), []);
  assert.equal(world.watchdogResets, 2);
});

test('watchdog: none by default, and never for a host that runs no guests', async () => {
  const none = rig(null);
  applyFaultLine(none.world, 'host h1 partition');
  await none.clock.advanceBy(3_600_000);
  assert.deepEqual(none.world.runningCopies('v1'), ['h1']);
  assert.equal(none.world.watchdogResets, 0);

  const { clock, world } = rig(60);
  applyFaultLine(world, 'host s1 hang'); // the spare carries nothing
  await clock.advanceBy(600_000);
  assert.equal(world.host('s1').os, 'hung');
  assert.equal(world.watchdogResets, 0);
  assert.throws(() => createWorld({ hosts: HOSTS, vms: VMS, clock, watchdogSeconds: 0 }), /watchdogSeconds/);
});

test('unchanged hint: false until probed, true while nothing changed, false after any change it could see', async () => {
  const { clock, world, probes, unchanged } = rig();
  const [h1, h2] = [HOSTS[0]!, HOSTS[1]!];
  const [v1, , v3] = [VMS[0]!, VMS[1]!, VMS[2]!];
  assert.equal(unchanged('host', 'h1'), false, 'never probed');
  await drive(clock, () => probes.probeHost(h1));
  await drive(clock, () => probes.probeVm(v1, h1));
  await drive(clock, () => probes.probeVm(v3, h2));
  assert.equal(unchanged('host', 'h1'), true);
  assert.equal(unchanged('vm', 'v1'), true);

  applyFaultLine(world, 'vm v1 service-dead');
  assert.equal(unchanged('vm', 'v1'), false, 'its own change');
  assert.equal(unchanged('host', 'h1'), true, 'not the host');

  applyFaultLine(world, 'hypervisor h2 crash');
  assert.equal(unchanged('host', 'h2'), false);
  assert.equal(unchanged('vm', 'v3'), false, 'a change of its host changes what its probe sees');

  // A timed transition (a boot completing) dirties too.
  await drive(clock, () => probes.probeHost(h1));
  world.powerCycle('h1');
  await drive(clock, () => probes.probeHost(h1));
  assert.equal(unchanged('host', 'h1'), true, 'booting, probed');
  await clock.advanceBy(101_000);
  assert.equal(world.host('h1').os, 'up');
  assert.equal(unchanged('host', 'h1'), false, 'the boot completed');

  const off = createSimEnv({ world, clock, log: silentLogger, probeHints: false });
  assert.equal(off.unchangedSinceLastProbe, undefined, 'probeHints: false gives no hint at all');
});
