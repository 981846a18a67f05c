/** The summary of a lab step's runs (bench/lab-steps/step-result.ts) and the bounded repeat loop (repeat.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repeat } from '../../../bench/lab-steps/repeat.js';
import { skippedStep, stepFromOutcome, summarizeStep } from '../../../bench/lab-steps/step-result.js';

const DEF = { name: 'demo-step', what: 'from A to B' };

describe('summarizeStep', () => {
  it('gives n, mean, sample sd, nearest-rank p50 and max, in seconds, samples in run order', () => {
    const r = summarizeStep(DEF, [3, 1, 2, 10]);
    assert.equal(r.n, 4);
    assert.equal(r.mean, 4);
    assert.equal(r.sd, 4.0825, 'sqrt(50 / 3), 4 decimals');
    assert.equal(r.p50, 2, 'nearest rank: a measured value, not 2.5');
    assert.equal(r.max, 10);
    assert.equal(r.unit, 's');
    assert.deepEqual(r.samples, [3, 1, 2, 10]);
    assert.equal(r.skipped, undefined);
    assert.equal(r.failures, undefined);
  });

  it('keeps milliseconds: an ipmitool call is tens of ms', () => {
    const r = summarizeStep(DEF, [0.07341, 0.06412]);
    assert.equal(r.max, 0.0734);
    assert.equal(r.sd, 0.0066);
  });

  it('one sample: sd 0', () => {
    assert.equal(summarizeStep(DEF, [5]).sd, 0);
  });

  it('no successful run: skipped with the first error, numbers 0', () => {
    const r = summarizeStep(DEF, [], ['ipmi_sim did not answer', 'again']);
    assert.equal(r.n, 0);
    assert.equal(r.mean, 0);
    assert.match(r.skipped ?? '', /every run failed; first error: ipmi_sim did not answer/);
    assert.deepEqual(r.failures, ['ipmi_sim did not answer', 'again']);
  });

  it('skippedStep carries the reason; stepFromOutcome carries stoppedEarly', () => {
    assert.equal(skippedStep(DEF, 'no test kernel').skipped, 'no test kernel');
    const r = stepFromOutcome(DEF, { samples: [1], failures: ['x'], stoppedEarly: 'time budget spent' });
    assert.equal(r.n, 1);
    assert.equal(r.stoppedEarly, 'time budget spent');
    assert.deepEqual(r.failures, ['x']);
  });
});

describe('repeat', () => {
  it('runs N times and returns the seconds in order', async () => {
    const out = await repeat('s', { runs: 3, budgetMs: 60_000 }, async (i) => i + 0.5);
    assert.deepEqual(out, { samples: [0.5, 1.5, 2.5], failures: [] });
  });

  it('starts no run once the time budget is spent', async () => {
    let t = 0;
    const out = await repeat('s', { runs: 10, budgetMs: 25, now: () => t }, async () => {
      t += 10;
      return 1;
    });
    assert.equal(out.samples.length, 3, 'runs start at 0, 10, 20; not at 30');
    assert.match(out.stoppedEarly ?? '', /after 3 of 10 runs/);
  });

  it('gives up after maxFailures failed runs, keeping the successful ones', async () => {
    let calls = 0;
    const out = await repeat('s', { runs: 10, budgetMs: 60_000, maxFailures: 2 }, async (i) => {
      calls++;
      if (i >= 1) throw new Error(`boom ${i}`);
      return 2;
    });
    assert.equal(calls, 3);
    assert.deepEqual(out.samples, [2]);
    assert.deepEqual(out.failures, ['boom 1', 'boom 2']);
    assert.match(out.stoppedEarly ?? '', /2 runs failed/);
  });

  it('a negative or non-finite result counts as a failure', async () => {
    const out = await repeat('s', { runs: 2, budgetMs: 60_000, maxFailures: 5 }, async (i) => (i === 0 ? -1 : Number.NaN));
    assert.deepEqual(out.samples, []);
    assert.equal(out.failures.length, 2);
  });
});
