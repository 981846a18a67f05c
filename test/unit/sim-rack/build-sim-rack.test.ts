/** The simulated-rack builder: defaults, inventory added only where missing, stepping, stop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { buildSimRack, DEFAULT_RACK_START, labHosts, labVms } from '../../../src/sim-rack/index.js';
import { openStore } from '../../../src/store/index.js';

test('defaults: virtual epoch, memory store on virtual time, inventory in the store, not started', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), policy: { failAfter: 2 } });
  assert.equal(rack.clock.now(), DEFAULT_RACK_START);
  assert.deepEqual((await rack.store.listHosts()).map((h) => h.name).sort(), ['hv1', 'hv2', 'spare1']);
  assert.equal((await rack.store.listVms()).length, 4);
  assert.equal(rack.policy.failAfter, 2, 'policy resolved over the defaults');
  assert.equal(rack.policy.recoverAfter, 5);
  assert.equal(rack.controller.status().length, 0, 'not started: no target loaded yet');
  assert.equal(rack.env.world, rack.world);
  await rack.stop();
});

test('a given store keeps what it has; the rest of the inventory is added; stop() leaves it open', async () => {
  const store = await openStore('memory:');
  const [hv1] = labHosts();
  await store.addHost({ ...hv1!, capacity: { cores: 2, ramGb: 4, diskTb: 1 } });
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), store });
  assert.equal(rack.store, store);
  const hosts = await store.listHosts();
  assert.equal(hosts.length, 3);
  assert.equal(hosts.find((h) => h.name === 'hv1')?.capacity.cores, 2, 'the stored host is not replaced');
  await rack.start();
  await rack.stop();
  assert.equal((await store.listVms()).length, 4, 'still usable after stop()');
  await store.close();
});

test('step, runFor and runUntil advance virtual time in seconds and record every controller event', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms() });
  await rack.start();
  await rack.step(500);
  assert.equal(rack.clock.now(), DEFAULT_RACK_START + 500);
  let ticks = 0;
  await rack.runFor(30, () => ticks++);
  assert.equal(ticks, 30);
  assert.equal(rack.clock.now(), DEFAULT_RACK_START + 30_500);
  assert.ok(rack.controller.status().every((s) => s.phase === 'healthy'), 'every target settled healthy');

  assert.equal(await rack.runUntil(() => false, 3), false, 'gives up after maxSeconds');
  assert.equal(rack.clock.now(), DEFAULT_RACK_START + 33_500);

  applyFaultLine(rack.world, 'vm web1 panic');
  const failed = await rack.runUntil(() => rack.controller.targetStatus('vm:web1')?.phase !== 'healthy', 120);
  assert.equal(failed, true);
  assert.ok(rack.events.some((e) => e.type === 'phase' && e.targetId === 'vm:web1' && e.from === 'healthy'), 'the phase change is in events');
  await rack.stop();
});

test('recordEvents: false keeps no events', async () => {
  const run = async (recordEvents: boolean) => {
    const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), recordEvents });
    await rack.start();
    applyFaultLine(rack.world, 'vm web1 panic');
    await rack.runFor(60);
    await rack.stop();
    return rack.events.length;
  };
  assert.ok((await run(true)) > 0, 'the same run records events by default');
  assert.equal(await run(false), 0);
});
