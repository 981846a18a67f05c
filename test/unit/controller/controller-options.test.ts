/**
 * Two things the controller takes from outside its loop: the simulation's "nothing a probe could
 * see has changed" hint (an option, not part of the Env), and the rungs an operator may trigger
 * (the kind's rungs of the ladder, less the quarantine).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetKind } from '../../../src/core/index.js';
import type { Env } from '../../../src/env/env.js';
import type { ControllerEvent } from '../../../src/controller/controller-events.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { buildSimRack, labHosts, labVms } from '../../../src/sim-rack/index.js';

/** A started rack whose host probes are counted; `hint` becomes the controller's option. */
async function countingRack(hint?: (kind: TargetKind, name: string) => boolean) {
  let hostProbes = 0;
  const rack = await buildSimRack({
    hosts: labHosts(),
    vms: labVms(),
    start: 0,
    simEnv: { probeHints: false },
    controller: hint ? { unchangedSinceLastProbe: hint } : {},
    wrapEnv: (env): Env => ({
      ...env,
      probes: {
        probeHost: (h) => {
          hostProbes++;
          return env.probes.probeHost(h);
        },
        probeVm: (vm, h) => env.probes.probeVm(vm, h),
      },
    }),
  });
  await rack.start();
  await rack.runFor(60); // every target settled healthy
  return { rack, hostProbes: () => hostProbes };
}

test('a settled healthy target is not probed while the simulation says nothing changed', async () => {
  const asked: string[] = [];
  const quiet = await countingRack((kind, name) => {
    asked.push(`${kind}:${name}`);
    return true;
  });
  const plain = await countingRack();
  try {
    const [q0, p0] = [quiet.hostProbes(), plain.hostProbes()];
    await quiet.rack.runFor(30);
    await plain.rack.runFor(30);
    assert.equal(quiet.hostProbes() - q0, 0, 'quiet hosts are skipped');
    assert.equal(plain.hostProbes() - p0, 3 * 6, 'without the hint: 3 hosts every 5 s');
    assert.ok(asked.includes('host:hv1') && asked.includes('vm:web1'), 'the hint is asked per target');
    assert.ok(quiet.rack.controller.status().every((s) => s.phase === 'healthy'));
  } finally {
    await quiet.rack.stop();
    await plain.rack.stop();
  }
});

/**
 * A started rack on the sim's own hint, its VM asks counted. `feed: false` leaves out the hint's
 * change feed: then every VM is looked at every cycle (no resting VMs), as before they existed.
 */
async function hintedRack(feed: boolean) {
  let vmAsks = 0;
  const sim: { hint?: (kind: TargetKind, name: string) => boolean } = {};
  const rack = await buildSimRack({
    hosts: labHosts(),
    vms: labVms(),
    start: 0,
    controller: {
      // Asked only once the controller runs, after the rack's own hint is kept below.
      unchangedSinceLastProbe: (kind, name) => {
        if (kind === 'vm') vmAsks++;
        return sim.hint!(kind, name);
      },
      ...(feed ? {} : { onProbeHintChange: undefined }),
    },
  });
  if (rack.env.unchangedSinceLastProbe) sim.hint = rack.env.unchangedSinceLastProbe;
  await rack.start();
  await rack.runFor(60); // every target settled healthy
  return { rack, vmAsks: () => vmAsks };
}

function decisions(events: ControllerEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'phase' ? [`${e.at} ${e.targetId} ${e.from}>${e.to}`] : e.type === 'action-done' ? [`${e.at} ${e.targetId} ${e.action.kind} ${e.result.outcome}`] : [],
  );
}

test('resting VMs: a VM found quiet is not looked at again until something touches it, with the same decisions', async () => {
  const resting = await hintedRack(true);
  const looking = await hintedRack(false);
  try {
    const [r0, l0] = [resting.vmAsks(), looking.vmAsks()];
    await resting.rack.runFor(30);
    await looking.rack.runFor(30);
    assert.equal(resting.vmAsks() - r0, 0, 'resting VMs are not even asked about');
    assert.equal(looking.vmAsks() - l0, 4 * 6, 'without the feed: 4 VMs every 5 s');
    // The same faults in both: a VM panic, a service death, a hung host whose VMs move, a host losing power.
    for (const { rack } of [resting, looking]) {
      applyFaultLine(rack.world, 'vm web1 panic');
      await rack.runFor(200);
      applyFaultLine(rack.world, 'vm ui1 service-dead');
      await rack.runFor(200);
      applyFaultLine(rack.world, 'host hv2 hang');
      await rack.runFor(900);
      applyFaultLine(rack.world, 'host hv1 power-loss');
      await rack.runFor(900);
    }
    const seen = decisions(resting.rack.events);
    assert.ok(seen.filter((d) => d.includes('>recovering')).length >= 4, `recoveries happened:\n${seen.join('\n')}`);
    assert.deepEqual(seen, decisions(looking.rack.events));
    assert.ok(resting.vmAsks() < looking.vmAsks(), `${resting.vmAsks()} vs ${looking.vmAsks()} asks`);
  } finally {
    await resting.rack.stop();
    await looking.rack.stop();
  }
});

test('the sim env gives its hint to the rack builder, not through the Env contract', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0 });
  assert.equal(typeof rack.env.unchangedSinceLastProbe, 'function');
  assert.equal('unchanged' in rack.env.probes, false);
  const off = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0, simEnv: { probeHints: false } });
  assert.equal(off.env.unchangedSinceLastProbe, undefined);
});

test('an operator may trigger the rungs of the target kind, never the quarantine', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0 });
  await rack.start();
  try {
    await assert.rejects(rack.controller.triggerRung('host:hv1', 6, 'alice'), (e: Error) => {
      assert.match(e.message, /rung 6 \(quarantine\) does not apply to a host; allowed: 1, 3, 4, 5$/);
      return true;
    });
    await assert.rejects(rack.controller.triggerRung('vm:web1', 3, 'alice'), /rung 3 \(restart-hypervisor\) does not apply to a vm; allowed: 0, 1, 2, 4$/);
    const status = await rack.controller.triggerRung('vm:web1', 2, 'alice');
    assert.equal(status.phase, 'recovering');
    assert.equal(status.rungName, 'restart-vm');
  } finally {
    await rack.stop();
  }
});
