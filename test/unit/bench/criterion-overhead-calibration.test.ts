/** The person criterion (no watchdog), the overhead's end point, and the calibration labels (issue 10). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrationSection, calibrationTable, labComparison } from '../../../bench/calibration.js';
import { CLASS_NAMES, criterionOf } from '../../../bench/classes.js';
import { evaluateGoals, type BenchResult, type ClassResult } from '../../../bench/result.js';
import { controllerOverheadEnd } from '../../../bench/tracker.js';
import { DEFAULT_TIMINGS } from '../../../src/env/sim/timing.js';

test('criterionOf: host-and-bmc-dead needs a person without a watchdog, is timed with one; the rest do not change', () => {
  assert.equal(criterionOf('host-and-bmc-dead', false), 'person');
  assert.equal(criterionOf('host-and-bmc-dead', true), 'recovery');
  for (const c of CLASS_NAMES) {
    if (c === 'host-and-bmc-dead') continue;
    assert.equal(criterionOf(c, false), criterionOf(c, true), c);
    assert.notEqual(criterionOf(c, false), 'person', c);
  }
});

test('controllerOverheadEnd: a domain started after the fix was requested ends it (waits inside the action count)', () => {
  // fence-migrate requested at 40 s, self-fence wait, the VM's domain started on the spare at 110 s, restored at 135 s
  assert.equal(controllerOverheadEnd(40_000, 110_000, 135_000), 110_000);
  // no domain start (a libvirtd restart): the request
  assert.equal(controllerOverheadEnd(40_000, undefined, 60_000), 40_000);
  // a domain start from before the fix (the VM's earlier life) or after its restoration is not the fix's
  assert.equal(controllerOverheadEnd(40_000, 30_000, 60_000), 40_000);
  assert.equal(controllerOverheadEnd(40_000, 70_000, 60_000), 40_000);
});

function personClass(handover: ClassResult['handover'], harmful = 0): ClassResult {
  return { name: 'host-and-bmc-dead', criterion: 'person', handover, harm: { harmfulActions: harmful, unneededVmRestarts: 0 } } as unknown as ClassResult;
}

function resultWith(classes: ClassResult[], withPersonUnder600: number): BenchResult {
  const summary = { n: 1, mean: 0, sd: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    injections: 1,
    wallSeconds: 1,
    classes,
    overall: { ...summary, under600: 1, overheadStats: summary, notRecovered: 0, withPersonUnder600 },
    violations: { vmOnTwoHosts: 0, actionsOnHealthy: 0, lostIncidents: 0 },
    harm: { harmfulActions: 0, unneededVmRestarts: 0 },
  } as unknown as BenchResult;
}

test('goals: a person class is met by a hand-over under 600 s with no harm; the all-in goal is shown and fails honestly', () => {
  const ok = { n: 2, mean: 50, sd: 0, p50: 50, p95: 50, p99: 50, max: 55, handedOver: 2, under600: 1 };
  const goals = evaluateGoals(resultWith([personClass(ok)], 0.95));
  const handover = goals.find((g) => g.goal.startsWith('host-and-bmc-dead'))!;
  assert.equal(handover.met, true);
  const allIn = goals.find((g) => g.goal.includes("a person's reaction included"))!;
  assert.equal(allIn.met, false);
  assert.equal(allIn.value, '95 %');
  assert.equal(evaluateGoals(resultWith([personClass(null)], 0.95)).find((g) => g.goal.startsWith('host-and-bmc-dead'))!.met, false, 'never asked a person');
  assert.equal(evaluateGoals(resultWith([personClass({ ...ok, under600: 0.5 })], 0.95)).find((g) => g.goal.startsWith('host-and-bmc-dead'))!.met, false, 'asked too late');
  assert.equal(evaluateGoals(resultWith([personClass(ok, 1)], 0.95)).find((g) => g.goal.startsWith('host-and-bmc-dead'))!.met, false, 'harm done');
  assert.equal(evaluateGoals(resultWith([], 1)).some((g) => g.goal.includes("a person's reaction")), false, 'no person class, no such goal');
});

test('calibration: every simulator timing is labelled; the two chosen to match the talk say so', () => {
  const table = calibrationTable();
  for (const name of Object.keys(DEFAULT_TIMINGS)) assert.ok(table.some((r) => r.constant === `sim timing ${name}`), name);
  const calibrated = table.filter((r) => r.kind === 'calibration').map((r) => r.constant).sort();
  assert.deepEqual(calibrated, ['sim timing hostBootSeconds', 'sim timing installSeconds']);
  for (const r of table) assert.ok(r.source.length > 10, `${r.constant} has a source`);
});

test('calibration: lab steps are matched by name, skipped ones and broken files left out', () => {
  const step = { name: 'ipmitool-power-status', n: 5, mean: 0.05, sd: 0.01, p50: 0.05, max: 0.07, unit: 's', what: 'one power status' };
  const rows = labComparison(calibrationTable(), { steps: [step, { ...step, name: 'guest-boot-direct-kernel', skipped: 'no kernel' }] });
  assert.deepEqual(rows.map((r) => [r.constant, r.step.name]), [['sim latency bmcLatencySeconds', 'ipmitool-power-status']]);
  assert.equal(calibrationSection('x.json', () => '{not json').labFile, null);
  assert.equal(calibrationSection('x.json', () => null).lab.length, 0);
  assert.equal(calibrationSection('x.json', () => JSON.stringify({ steps: [step] })).lab.length, 1);
});
