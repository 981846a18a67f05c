import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../../src/env/sim/random.js';
import { DEFAULT_TIMINGS, constant, sampleMs, uniform } from '../../../src/env/sim/timing.js';
import { VirtualClock, createWorld } from '../../../src/env/sim/index.js';
import { HOSTS, VMS } from './sim-fixture.js';

function draws(seed: number | string, n = 5): number[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => r.next());
}

test('same seed, same sequence; another seed, another sequence', () => {
  assert.deepEqual(draws(42), draws(42));
  assert.deepEqual(draws('bench-1'), draws('bench-1'));
  assert.notDeepEqual(draws(42), draws(43));
  for (const x of draws(9, 1000)) assert.ok(x >= 0 && x < 1);
});

test('normal and lognormal have the asked mean and deviation', () => {
  const r = new Random(1);
  const n = 20_000;
  const xs = Array.from({ length: n }, () => r.normal(110, 10));
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean - 110) < 0.5, `mean ${mean}`);
  assert.ok(Math.abs(sd - 10) < 0.5, `sd ${sd}`);
  const ls = Array.from({ length: n }, () => r.lognormalMeanSd(300, 15));
  const lmean = ls.reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.abs(lmean - 300) < 1, `lognormal mean ${lmean}`);
  assert.ok(ls.every((x) => x > 0));
});

test('uniform, int, pick and fork stay in range and are reproducible', () => {
  const r = new Random(5);
  for (let i = 0; i < 1000; i++) {
    const u = r.uniform(2, 3);
    assert.ok(u >= 2 && u < 3);
    const k = r.int(1, 6);
    assert.ok(Number.isInteger(k) && k >= 1 && k <= 6);
  }
  assert.equal(new Random(5).pick(['a', 'b', 'c']), new Random(5).pick(['a', 'b', 'c']));
  assert.throws(() => r.pick([]), RangeError);
  assert.deepEqual(new Random(5).fork('x').next(), new Random(5).fork('x').next());
  assert.notEqual(new Random(5).fork('x').next(), new Random(5).fork('y').next());
});

test('timing samples are milliseconds, never negative', () => {
  const r = new Random(3);
  assert.equal(sampleMs(r, constant(0.2)), 200);
  assert.equal(sampleMs(r, { dist: 'normal', mean: 0, sd: 5 }) >= 0, true);
  const u = sampleMs(r, uniform(1, 2));
  assert.ok(u >= 1000 && u <= 2000);
  const boot = sampleMs(r, DEFAULT_TIMINGS.hostBootSeconds);
  assert.ok(boot > 50_000 && boot < 170_000, `boot ${boot}`);
});

test('two worlds with the same seed sample the same boot times', async () => {
  async function bootTimes(seed: number): Promise<number[]> {
    const clock = new VirtualClock();
    const world = createWorld({ hosts: HOSTS, vms: VMS, clock, seed });
    const times: number[] = [];
    world.onChange((e) => {
      if (e.change === 'os up, hypervisor up') times.push(e.at);
    });
    for (const h of world.hostNames()) world.powerCycle(h);
    await clock.runUntilIdle({ maxTime: 3600_000 });
    return times;
  }
  const a = await bootTimes(11);
  assert.equal(a.length, 3);
  assert.deepEqual(await bootTimes(11), a);
  assert.notDeepEqual(await bootTimes(12), a);
});
