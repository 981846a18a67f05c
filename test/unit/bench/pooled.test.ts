/** Pooled statistics over many seeds (bench/pooled.ts) and the side-by-side rows (multi-run.ts), on hand-computed inputs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare } from '../../../bench/multi-run.js';
import { pool, timed, type PoolSample, type SeedLine } from '../../../bench/pooled.js';
import type { Strategy } from '../../../bench/profiles.js';

const line = (seed: number, under600: number, extra: Partial<SeedLine> = {}): SeedLine => ({
  strategy: 'ours', seed, injections: 10, wallSeconds: 1.25, mean: 0, p99: 0, max: 0, under600, notRecovered: 0,
  violations: { vmOnTwoHosts: 0, actionsOnHealthy: 0, lostIncidents: 0 }, harmfulActions: 0, unneededVmRestarts: 0,
  under600Met: under600 === 1, ...extra,
});

const SAMPLES: PoolSample[] = [
  { cls: 'vm-panic', recovery: 100, repair: null, hostClass: false, criterion: 'recovery', handover: null },
  { cls: 'vm-panic', recovery: 200, repair: null, hostClass: false, criterion: 'recovery', handover: null },
  { cls: 'vm-panic', recovery: null, repair: null, hostClass: false, criterion: 'recovery', handover: null },
  { cls: 'host-overload', recovery: 60, repair: 160, hostClass: true, criterion: 'recovery', handover: null },
  { cls: 'host-overload', recovery: 700, repair: null, hostClass: true, criterion: 'recovery', handover: null },
  // A no-harm class: in its own row, never in the overall recovery figures.
  { cls: 'controller-partition', recovery: 900, repair: null, hostClass: false, criterion: 'no-harm', handover: null },
  // A person class (no watchdog): out of the overall figures, judged on its hand-over.
  { cls: 'host-and-bmc-dead', recovery: 1500, repair: null, hostClass: true, criterion: 'person', handover: 75 },
];

test('timed: summary of the finished, share under 600 s of all, the never finished counted', () => {
  const t = timed([100, 200, null]);
  assert.deepEqual(t, { n: 2, mean: 150, sd: 70.71, p50: 100, p95: 200, p99: 200, max: 200, under600: 0.6667, notRecovered: 1 });
  assert.deepEqual(timed([]), { n: 0, mean: 0, sd: 0, p50: 0, p95: 0, p99: 0, max: 0, under600: 0, notRecovered: 0 });
});

test('pool: every injection of every seed in one sample, per class and overall', () => {
  const p = pool(SAMPLES, [line(1, 1), line(2, 0.5)]);
  assert.equal(p.injections, 7);
  assert.deepEqual(p.classes.map((c) => c.name), ['vm-panic', 'host-overload', 'host-and-bmc-dead', 'controller-partition'], 'in the classes\' order');
  const panic = p.classes[0]!;
  assert.equal(panic.service.mean, 150);
  assert.equal(panic.repair, null, 'a VM class has no host repair');
  const overload = p.classes[1]!;
  assert.deepEqual([overload.service.mean, overload.service.under600, overload.service.max], [380, 0.5, 700]);
  assert.deepEqual([overload.repair!.n, overload.repair!.mean, overload.repair!.under600, overload.repair!.notRecovered], [1, 160, 0.5, 1]);
  // Overall: 100, 200, never, 60, 700 (the controller cut and the person class left out): mean of four = 265, 3 of 5 under 600 s.
  assert.deepEqual([p.overall.n, p.overall.mean, p.overall.p50, p.overall.max, p.overall.under600, p.overall.notRecovered], [4, 265, 100, 700, 0.6, 1]);
  assert.deepEqual([p.handover.n, p.handover.max, p.handover.under600], [1, 75, 1], 'the person class is judged on its hand-over');
});

test('pool: "100 % under 600 s" holds only if it holds on every seed; counters are summed', () => {
  const lines = [
    line(1, 1, { violations: { vmOnTwoHosts: 1, actionsOnHealthy: 2, lostIncidents: 0 }, harmfulActions: 3 }),
    line(2, 0.999, { violations: { vmOnTwoHosts: 0, actionsOnHealthy: 1, lostIncidents: 4 }, unneededVmRestarts: 5 }),
  ];
  const p = pool(SAMPLES, lines);
  assert.equal(p.everySeedUnder600, false);
  assert.equal(p.seedsUnder600, 1);
  assert.deepEqual(p.violations, { vmOnTwoHosts: 1, actionsOnHealthy: 3, lostIncidents: 4 });
  assert.deepEqual(p.harm, { harmfulActions: 3, unneededVmRestarts: 5 });
  assert.equal(p.wallSeconds, 2.5);
  assert.equal(pool(SAMPLES, [line(1, 1), line(2, 1)]).everySeedUnder600, true);
  assert.equal(pool([], []).everySeedUnder600, false, 'no seed run is no evidence');
});

test('compare: the strategies side by side per recovery class, with the talk\'s number where it applies', () => {
  const ours = pool(SAMPLES, [line(1, 1)]);
  const reference = pool(SAMPLES.map((s) => ({ ...s, recovery: s.recovery === null ? null : s.recovery + 100 })), [line(1, 1)]);
  const rows = compare({ ours, reference } satisfies Partial<Record<Strategy, unknown>>);
  assert.deepEqual(rows.map((r) => r.cls), ['vm-panic', 'host-overload', 'host-and-bmc-dead'], 'no-harm classes are not compared on time');
  const overload = rows[1]!;
  assert.equal(overload.talk, 181);
  assert.equal(overload.byStrategy.ours!.service!.mean, 380);
  assert.equal(overload.byStrategy.reference!.service!.mean, 480);
  assert.equal(overload.byStrategy.ours!.repair!.mean, 160);
  assert.equal(rows[0]!.talk, null);
  assert.equal(rows[0]!.byStrategy.ours!.repair, null);
});
