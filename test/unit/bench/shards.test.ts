/**
 * Shards: the result depends on the seed and the shard count, never on the number of worker
 * threads; merging keeps every injection (unique indexes, exact class counts) and sums the
 * referee's counters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MIX_FILE, loadMix } from '../../../bench/crash-bench.js';
import { buildResult, type BenchResult } from '../../../bench/result.js';
import { DEFAULT_CONFIG, type BenchConfig } from '../../../bench/runner.js';
import { mergeOutcomes, runSharded, shardConfig, type RunOutcome } from '../../../bench/shards.js';

const config = (injections: number): BenchConfig => ({ ...DEFAULT_CONFIG, injections, seed: 5, mix: loadMix(DEFAULT_MIX_FILE) });

function withoutWall(r: BenchResult): string {
  return JSON.stringify({ ...r, wallSeconds: 0, goals: r.goals.filter((g) => !g.goal.includes('wall time')) });
}

test('shard configs split the injections exactly and give each shard its own seed', () => {
  const c = config(101);
  const parts = [0, 1, 2].map((i) => shardConfig(c, i, 3));
  assert.equal(parts.reduce((n, p) => n + p.injections, 0), 101);
  assert.deepEqual(new Set(parts.map((p) => p.seed)).size, 3);
  assert.equal(shardConfig(c, 0, 1), c, 'one shard is the run itself');
});

test('two shards on two threads and on one thread give the same JSON; merge keeps every injection', async () => {
  const parallel = await runSharded(config(120), { shards: 2, workers: 2 });
  const serial = await runSharded(config(120), { shards: 2, workers: 1 });
  const a = buildResult(parallel);
  assert.equal(withoutWall(a), withoutWall(buildResult(serial)));
  assert.equal(a.injections, 120);
  assert.equal(a.run.shards, 2);
  assert.equal(a.classes.reduce((n, k) => n + k.n, 0), 120);
  assert.deepEqual(
    parallel.injections.map((i) => i.index),
    Array.from({ length: 120 }, (_, i) => i),
    'indexes renumbered 0..n-1 in shard order',
  );
  assert.ok(parallel.tracker.openedIncidents.size > 0);
});

test('merge sums counters and tags ids by shard', () => {
  const one = (vmOnTwoHosts: number, opened: string[]): RunOutcome => ({
    config: config(2),
    policy: {} as RunOutcome['policy'],
    injections: [
      { index: 0, cls: 'vm-panic', variant: 'x', hosts: [], result: null },
      { index: 1, cls: 'vm-hang', variant: 'x', hosts: [], result: null },
    ],
    tracker: {
      vmOnTwoHosts,
      actionsOnHealthy: 1,
      actionsOnBootingVm: 0,
      safety: [{ kind: 'action-on-healthy', at: 1, target: 'vm:a', detail: '', injection: 1, cls: 'vm-hang' }],
      openedIncidents: new Set(opened),
    },
    openAtEnd: ['vm:a#1'],
    missingInStore: [],
    deferred: 1,
    operatorActions: { releases: 1, confirmOff: 0 },
    virtualSeconds: 10,
    timersFired: 5,
    timersScheduled: 6,
    watchdogResets: 0,
    wallSeconds: 1,
    shards: 1,
  });
  const m = mergeOutcomes(config(4), [one(1, ['vm:a#1']), one(2, ['vm:a#1'])], 3);
  assert.equal(m.tracker.vmOnTwoHosts, 3);
  assert.equal(m.tracker.actionsOnHealthy, 2);
  assert.equal(m.tracker.openedIncidents.size, 2, 'the same incident id in two shards is two incidents');
  assert.deepEqual(m.openAtEnd, ['shard1/vm:a#1', 'shard2/vm:a#1']);
  assert.deepEqual(m.tracker.safety.map((s) => s.injection), [1, 3]);
  assert.equal(m.virtualSeconds, 20);
  assert.equal(m.wallSeconds, 3);
  assert.equal(m.injections.length, 4);
});
