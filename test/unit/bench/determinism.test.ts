/**
 * The bench is reproducible: the same seed gives the same JSON (apart from wallSeconds), and
 * the JSON keeps its contract. Small runs (200 injections) so the suite stays fast.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MIX_FILE, loadMix } from '../../../bench/crash-bench.js';
import { CLASS_NAMES } from '../../../bench/classes.js';
import { buildResult, type BenchResult } from '../../../bench/result.js';
import { DEFAULT_CONFIG, runBench, type BenchConfig } from '../../../bench/runner.js';

const config = (seed: number, injections = 200): BenchConfig => ({ ...DEFAULT_CONFIG, injections, seed, mix: loadMix(DEFAULT_MIX_FILE) });

/** Everything but the wall-clock measurements (wallSeconds, and the wall-time goal that quotes it). */
function withoutWall(r: BenchResult): string {
  return JSON.stringify({ ...r, wallSeconds: 0, goals: r.goals.filter((g) => !g.goal.includes('wall time')) });
}

test('same seed, same numbers (200 injections, twice); another seed differs', async () => {
  const a = buildResult(await runBench(config(7)));
  const b = buildResult(await runBench(config(7)));
  assert.equal(withoutWall(a), withoutWall(b));
  const c = buildResult(await runBench(config(8, 40)));
  assert.notEqual(JSON.stringify(c.overall), JSON.stringify(a.overall));

  // The contract for scripts: keys and order, seconds, under600 a fraction, classes in order.
  assert.deepEqual(Object.keys(a).slice(0, 6), ['seed', 'injections', 'wallSeconds', 'classes', 'overall', 'violations']);
  assert.equal(a.seed, 7);
  assert.equal(a.injections, 200);
  assert.deepEqual(a.classes.map((k) => k.name), CLASS_NAMES.filter((n) => a.classes.some((k) => k.name === n)));
  assert.equal(a.classes.length, CLASS_NAMES.length, 'the default mix has every class at 200 injections');
  assert.equal(a.classes.reduce((s, k) => s + k.n, 0), 200);
  for (const k of a.classes) {
    assert.deepEqual(Object.keys(k).slice(0, 10), ['name', 'n', 'mean', 'sd', 'p50', 'p95', 'p99', 'max', 'under600', 'overhead']);
    assert.deepEqual(Object.keys(k.overhead), ['p50', 'p99']);
    assert.ok(k.under600 >= 0 && k.under600 <= 1);
    assert.ok(k.p50 <= k.p95 && k.p95 <= k.p99 && k.p99 <= k.max, `${k.name}: percentiles ordered`);
  }
  assert.deepEqual(Object.keys(a.overall).slice(0, 8), ['n', 'mean', 'sd', 'p50', 'p95', 'p99', 'max', 'under600']);
  assert.deepEqual(Object.keys(a.violations), ['vmOnTwoHosts', 'actionsOnHealthy', 'lostIncidents']);
  assert.equal(a.violations.vmOnTwoHosts, 0, 'never a VM on two hosts');
});
