/** The probe-scale bench's arithmetic and report (bench/probe-scale), from synthetic samples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childCpuSecondsFromStat, measure, type CostSample } from '../../../bench/probe-scale/cost.js';
import { blendedCpuMs, fleetCost } from '../../../bench/probe-scale/extrapolate.js';
import { buildReport, renderMarkdown, ROWS } from '../../../bench/probe-scale/report.js';

function sample(name: string, cpuMs: number, p50 = 10): CostSample {
  return {
    name, n: 100, concurrency: 4, failures: 0, wallSeconds: 1, selfCpuMsPerCall: cpuMs / 2, childCpuMsPerCall: cpuMs / 2,
    totalCpuMsPerCall: cpuMs, spawnsPerCall: 0, latencyMs: { p50, p95: p50 * 2, max: p50 * 3 },
  };
}

describe('probe-scale extrapolation', () => {
  it('turns CPU per probe into cores for a fleet and hosts per core', () => {
    const f = fleetCost(50, 400, 10_000, 5);
    assert.equal(f.probesPerSecond, 2000);
    assert.equal(f.cores, 100, '2000 probes/s x 50 ms');
    assert.equal(f.hostsPerCore, 100, '5000 ms of one core / 50 ms');
    assert.equal(f.concurrencyNeeded, 800, '2000/s x 0.4 s in flight');
    assert.equal(blendedCpuMs(10, 60, 5 / 60), 15);
  });

  it('reads the reaped children CPU (cutime + cstime) from /proc/self/stat', () => {
    const stat = '99 (node (tsx)) S 1 99 99 0 -1 0 0 0 0 0 250 50 700 30 20 0 11 0 1000 0 0';
    assert.equal(childCpuSecondsFromStat(stat), 7.3);
  });

  it('measures N calls, bounded, and counts failures', async () => {
    let calls = 0;
    const s = await measure({ name: 'x', n: 20, concurrency: 3, warmup: 2, deadlineMs: 10_000 }, async (i) => {
      calls++;
      if (i === 5) throw new Error('boom');
    });
    assert.equal(calls, 22);
    assert.equal(s.n, 20);
    assert.equal(s.failures, 1);
    assert.equal(s.firstError, 'boom');
    assert.ok(s.totalCpuMsPerCall >= 0);
  });

  it('compares the two BMC-read designs and renders the before / after table', () => {
    const r = buildReport({
      date: '2026-12-03T00:00:00.000Z', command: 'npx tsx bench/probe-scale/run.ts',
      machine: { nproc: 2, cpuModel: 'test', kernel: '6', node: 'v20', loadAvgStart: [1, 1, 1], loadAvgEnd: [1, 1, 1] },
      config: { n: 100, concurrency: 4, hosts: 10_000, intervalSeconds: 5 },
      samples: [sample(ROWS.bmc, 48), sample(ROWS.ssh, 12), sample(ROWS.before, 64), sample(ROWS.after, 16)],
      design: { refreshMs: 60_000, rows: ROWS },
    });
    const c = r.comparison!;
    assert.equal(c.bmcReadsPerProbe, 0.083);
    assert.equal(c.afterCpuMs, 20, '16 + 48 / 12');
    assert.equal(c.before.cores, 128);
    assert.equal(c.after.cores, 40);
    assert.equal(c.bmcShareBefore, 0.75);
    assert.equal(c.sshShareAfter, 0.6);
    const md = renderMarkdown(r);
    assert.match(md, /\| BMC read every probe \(before\) \| 64 \| 128 \| 78 \|/);
    assert.match(md, /\| BMC "on" reused for 60 s while the host answers \(after\) \| 20 \(measured 16 between reads \+ 0\.083 x ipmitool\) \| 40 \| 250 \|/);
    assert.match(md, /SSH check is 60 %/);
  });
});
