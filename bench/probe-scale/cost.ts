/**
 * What one probe costs the controller: CPU of this process (process.cpuUsage: user + system)
 * plus CPU of the children it spawned and reaped (ipmitool), read from /proc/self/stat's cutime
 * and cstime (Linux counts a child's rusage into them when it is waited for; Node reaps every
 * child it spawns), and the wall latency of each call. N calls, at most `concurrency` at a time.
 */
import { readFileSync } from 'node:fs';
import { percentile } from '../pxe/stats.js';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
export const USER_HZ = 100;

/** cutime + cstime of /proc/self/stat (reaped children's CPU) in seconds. */
export function childCpuSecondsFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); cutime is field 16 -> index 13, cstime index 14.
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks / USER_HZ : 0;
}

export function childCpuSeconds(): number {
  return childCpuSecondsFromStat(readFileSync('/proc/self/stat', 'utf8'));
}

export interface CostSample {
  name: string;
  n: number;
  concurrency: number;
  failures: number;
  /** First failure text, if any (a failing probe measures nothing useful). */
  firstError?: string;
  wallSeconds: number;
  /** Per call, milliseconds of CPU. */
  selfCpuMsPerCall: number;
  childCpuMsPerCall: number;
  totalCpuMsPerCall: number;
  /** Children spawned per call (ipmitool runs), counted by the caller's spawn observer. */
  spawnsPerCall: number;
  latencyMs: { p50: number; p95: number; max: number };
}

export interface MeasureOptions {
  name: string;
  n: number;
  concurrency: number;
  /** Calls before measuring (JIT, connection caches), not counted. */
  warmup: number;
  /** Hard bound of the whole measurement. */
  deadlineMs: number;
  /** Spawn counter read before and after (observeSpawns in src/drivers/exec.ts). */
  spawns?: () => number;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs `call` N times (bounded in count and time) and returns what it cost per call. */
export async function measure(o: MeasureOptions, call: (i: number) => Promise<unknown>): Promise<CostSample> {
  for (let i = 0; i < o.warmup; i++) await call(-1 - i).catch(() => undefined);
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  const deadline = Date.now() + o.deadlineMs;
  const spawns0 = o.spawns?.() ?? 0;
  const cpu0 = process.cpuUsage();
  const child0 = childCpuSeconds();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < o.n && Date.now() < deadline) {
      const i = next++;
      const s = process.hrtime.bigint();
      try {
        await call(i);
      } catch (e) {
        failures++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // Children still being reaped are counted once Node has waited for them: wait a tick.
  await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  const child = childCpuSeconds() - child0;
  const done = latencies.length;
  const self = (cpu.user + cpu.system) / 1000 / Math.max(1, done);
  const kids = (child * 1000) / Math.max(1, done);
  return {
    name: o.name,
    n: done,
    concurrency: o.concurrency,
    failures,
    ...(firstError !== undefined ? { firstError: firstError.slice(0, 300) } : {}),
    wallSeconds: round(wall, 2),
    selfCpuMsPerCall: round(self),
    childCpuMsPerCall: round(kids),
    totalCpuMsPerCall: round(self + kids),
    spawnsPerCall: round(((o.spawns?.() ?? 0) - spawns0) / Math.max(1, done), 2),
    latencyMs: { p50: round(percentile(latencies, 50), 2), p95: round(percentile(latencies, 95), 2), max: round(Math.max(...latencies), 2) },
  };
}
