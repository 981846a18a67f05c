/**
 * The sim's `unchanged` probe hint is only a shortcut: a run that skips quiet targets makes the
 * same decisions as one that probes every target every cycle (same seed, same incidents, same
 * actions at the same virtual times). Probe latency 0 so that probing a healthy target costs no
 * virtual time in either run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MIX_FILE, loadMix } from '../../../bench/crash-bench.js';
import { DEFAULT_CONFIG, runBench, type BenchRun } from '../../../bench/runner.js';

async function run(probeHints: boolean): Promise<BenchRun> {
  return runBench({
    ...DEFAULT_CONFIG,
    injections: 40,
    seed: 11,
    hosts: 6,
    spares: 1,
    vms: 36,
    meanIntervalSeconds: 150,
    mix: loadMix(DEFAULT_MIX_FILE),
    probeHints,
    latency: { probeLatencySeconds: 0 },
  });
}

function decisions(r: BenchRun) {
  return r.injections.map((i) => ({
    index: i.index,
    cls: i.cls,
    at: i.at,
    targets: i.targets,
    recovery: i.result!.recovery,
    repair: i.result!.repair,
    rungs: i.result!.rungs,
  }));
}

test('skipping unchanged targets gives the same incidents and actions as probing everything', async () => {
  const skipping = await run(true);
  const probingAll = await run(false);
  assert.ok(skipping.timersScheduled < probingAll.timersScheduled / 2, `the hint saves work: ${skipping.timersScheduled} vs ${probingAll.timersScheduled} timers`);
  assert.deepEqual([...skipping.tracker.openedIncidents].sort(), [...probingAll.tracker.openedIncidents].sort());
  assert.ok(skipping.tracker.openedIncidents.size > 40, 'incidents happened');
  assert.deepEqual(decisions(skipping), decisions(probingAll));
  assert.equal(skipping.virtualSeconds, probingAll.virtualSeconds);
});
