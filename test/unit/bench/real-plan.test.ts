/**
 * The `--real` plan and comparison, without peers: the injections come from the sim bench's own
 * seeded deck (same classes at the same positions), only classes the lab expresses are kept,
 * the rest are counted with their reason; a difference in any compared field is reported.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MIX_FILE, loadMix } from '../../../bench/crash-bench.js';
import { compareSides } from '../../../bench/real/compare.js';
import type { SideResult } from '../../../bench/real/episode.js';
import { COVERED, SKIPPED } from '../../../bench/real/lab-config.js';
import { drawRealPlan } from '../../../bench/real/plan.js';
import { CLASS_NAMES } from '../../../bench/classes.js';
import { injectionDeck } from '../../../bench/runner.js';
import { Random } from '../../../src/env/sim/index.js';

test('the plan is the sim bench deck, filtered to what the lab expresses, and deterministic', () => {
  const mix = loadMix(DEFAULT_MIX_FILE);
  const a = drawRealPlan({ n: 20, seed: 1, mix, deckSize: 10_000 });
  const b = drawRealPlan({ n: 20, seed: 1, mix, deckSize: 10_000 });
  assert.deepEqual(a, b);
  assert.equal(a.injections.length, 20);
  const deck = injectionDeck(mix, 10_000, new Random('3rc-bench/1').fork('deck'));
  for (const inj of a.injections) {
    assert.equal(inj.cls, deck[inj.index], 'same class at the same deck position as the sim bench');
    assert.ok(COVERED[inj.cls]);
    assert.ok(inj.targets.length >= 1);
    for (const step of inj.steps) for (const line of step.lines) assert.ok(inj.targets.some((t) => line.includes(` ${t} `) || line.endsWith(` ${t}`)), line);
    const hosts = inj.topology.hosts.map((h) => h.name);
    const vms = inj.topology.vms.map((v) => v.name);
    assert.ok(inj.targets.every((t) => hosts.includes(t) || vms.includes(t)));
  }
  // Every class is either covered or skipped with a reason; the scanned prefix is accounted for.
  for (const c of CLASS_NAMES) assert.ok((COVERED[c] === undefined) !== (SKIPPED[c] === undefined), c);
  const skipped = a.skipped.reduce((s, c) => s + c.count, 0) + a.skippedVariants.length;
  assert.equal(a.scanned, a.injections.length + skipped);
  assert.notDeepEqual(drawRealPlan({ n: 20, seed: 2, mix, deckSize: 10_000 }).injections.map((i) => i.index), a.injections.map((i) => i.index));
});

test('correlated injections get a lab with one primary per host hit; isolated hosts are skipped', () => {
  const plan = drawRealPlan({ n: 10, seed: 3, mix: { correlated: 1 }, deckSize: 200 });
  assert.ok(plan.injections.length > 0);
  for (const inj of plan.injections) {
    assert.match(inj.variant, /^(power-loss|hang) x[2-4]$/);
    assert.equal(inj.targets.length, Number(inj.variant.slice(-1)));
    assert.equal(inj.topology.hosts.filter((h) => h.role === 'primary').length, Math.max(2, inj.targets.length));
  }
  for (const v of plan.skippedVariants) assert.match(v.variant, /^isolate/);
});

function side(over: Partial<SideResult['path']> = {}, rest: Partial<SideResult> = {}): SideResult {
  return {
    path: {
      incidents: [{ target: 'vm:web1', signature: 'vm-crashed', entryRung: 2, actions: [{ kind: 'vm-restart', outcome: 'ok' }], state: 'resolved' }],
      finalPhases: { 'host:hv1': 'healthy', 'vm:web1': 'healthy' },
      placement: { web1: 'hv1' },
      ...over,
    },
    completed: true,
    detectSeconds: 2,
    serviceSeconds: 6,
    recoveredSeconds: 6,
    wallSeconds: 10,
    problems: [],
    trace: [],
    ...rest,
  };
}

test('compareSides: equal paths agree (times may differ); every differing field is reported', () => {
  assert.deepEqual(compareSides(side(), side({}, { serviceSeconds: 9, recoveredSeconds: 9 })), []);
  const other = side({
    incidents: [{ target: 'vm:web1', signature: 'vm-hung', entryRung: 2, actions: [{ kind: 'vm-restart', outcome: 'failed' }, { kind: 'vm-move', outcome: 'ok' }], state: 'resolved' }],
    finalPhases: { 'host:hv1': 'healthy', 'vm:web1': 'quarantined' },
    placement: { web1: 'spare1' },
  });
  const d = compareSides(side(), other);
  assert.equal(d.length, 4, d.join('\n'));
  assert.ok(d.some((x) => /signature real vm-crashed, sim vm-hung/.test(x)));
  assert.ok(d.some((x) => /actions real \[vm-restart ok\], sim \[vm-restart failed, vm-move ok\]/.test(x)));
  assert.ok(d.some((x) => /vm:web1: final phase real healthy, sim quarantined/.test(x)));
  assert.ok(d.some((x) => /web1: placed on hv1 in the real lab, spare1 in the sim/.test(x)));
  const extra = compareSides(side({ incidents: [] }), side());
  assert.deepEqual(extra, ['vm:web1: incident 1 only in the sim: vm:web1 vm-crashed @rung 2: vm-restart ok -> resolved']);
  assert.match(compareSides(side({}, { problems: ['VM on two hosts: web1'] }), side()).join(), /real lab: VM on two hosts/);
  assert.match(compareSides(side({}, { completed: false, error: 'boom' }), side()).join('\n'), /real side failed: boom[\s\S]*did not recover/);
});
