/**
 * Scale mode (`--scale --hosts 10000 --vms 100000`): one controller's probe and decision loop at
 * that size, probes simulated. Every target is probed every cycle (no `unchanged` hint: a real
 * site gets no such hint) at the default 5 s interval, with the sim's probe latencies (10 ms for
 * a target that answers, the 2 s timeout for a silent one), `concurrency` probes in flight. After warm-up (every machine settled healthy) it injects host hangs and VM
 * panics and measures:
 * - CPU (user + system) per probe cycle, over the measured cycles: under the interval means the
 *   loop fits in one core. It includes the simulator's side of every probe: an upper bound.
 * - heap and RSS;
 * - decision latency: wall time from a probe's result to the controller's decision it drives
 *   (phase change or action requested) for that target, in the same turn of the clock;
 * - detection latency: virtual seconds from the fault to the incident opened.
 */
import type { TargetId } from '../src/core/types.js';
import type { Prober } from '../src/env/env.js';
import { Random } from '../src/env/sim/index.js';
import { buildSimRack } from '../src/sim-rack/index.js';
import { buildCluster } from './cluster.js';
import { round, summarize, type Summary } from './stats.js';

export const DEFAULT_SCALE = { hosts: 10_000, vms: 100_000, cycles: 12, concurrency: 512, hostFaults: 20, vmFaults: 200 };

export interface ScaleOptions {
  hosts: number;
  vms: number;
  cycles: number;
  seed: number | string;
  concurrency?: number;
  hostFaults?: number;
  vmFaults?: number;
  log?: (line: string) => void;
}

export interface ScaleResult {
  mode: 'scale';
  seed: number | string;
  hosts: number;
  spares: number;
  vms: number;
  probeIntervalSeconds: number;
  probeConcurrency: number;
  cyclesMeasured: number;
  setupWallSeconds: number;
  warmupWallSeconds: number;
  cpuSecondsPerCycle: Summary;
  /** Each measured cycle, in order (the first ones carry the injected faults). */
  cpuSecondsEachCycle: number[];
  /** CPU per cycle / probe interval (1 = one core fully busy). */
  coreShare: { mean: number; max: number };
  memory: { heapUsedMb: number; rssMb: number; heapPerTargetKb: number };
  decisionLatencyMs: Summary;
  detectionLatencySeconds: Summary;
  faults: { hostHangs: number; vmPanics: number; incidentsOpened: number };
  goals: { goal: string; value: string; met: boolean }[];
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

export async function runScale(opts: ScaleOptions): Promise<ScaleResult> {
  const log = opts.log ?? (() => {});
  const intervalMs = 5000;
  const concurrency = opts.concurrency ?? DEFAULT_SCALE.concurrency;
  const t0 = performance.now();
  const random = new Random(`3rc-scale/${opts.seed}`);
  const spares = 2;
  const { hosts, vms } = buildCluster({ hosts: opts.hosts, spares, vms: opts.vms }, random.fork('cluster'));
  // Decision latency: when each probe's result is in hand (wall clock), per target, and in which
  // timer's turn; a decision counts when it happens in that same turn (driven by that probe).
  const resultAt = new Map<TargetId, { wall: number; turn: number }>();
  const { clock, world, controller } = await buildSimRack({
    hosts,
    vms,
    start: Date.UTC(2026, 0, 1),
    clockSettle: 'microtasks',
    seed: `${opts.seed}/world`,
    simEnv: { probeHints: false },
    recordEvents: false,
    probes: { intervalMs, timeoutMs: 3000, concurrency },
    wrapEnv: (env) => {
      const inner = env.probes;
      const mark = (id: TargetId) => resultAt.set(id, { wall: performance.now(), turn: clock.timersFired });
      const probes: Prober = {
        probeHost: (h) => inner.probeHost(h).then((o) => (mark(`host:${h.name}`), o)),
        probeVm: (v, h) => inner.probeVm(v, h).then((o) => (mark(`vm:${v.name}`), o)),
      };
      return { ...env, probes };
    },
  });
  const decisions: number[] = [];
  const opened = new Map<TargetId, number>();
  let measuring = false;
  controller.onEvent((e) => {
    if (!measuring) return;
    if (e.type === 'phase' || (e.type === 'emitted' && e.event.type === 'action.requested')) {
      const at = resultAt.get(e.targetId);
      if (at !== undefined && at.turn === clock.timersFired) {
        decisions.push(performance.now() - at.wall);
        resultAt.delete(e.targetId);
      }
    }
    if (e.type === 'emitted' && e.event.type === 'incident.opened') opened.set(e.targetId, clock.now());
  });
  await controller.start();
  const setupWallSeconds = (performance.now() - t0) / 1000;
  log(`scale: ${hosts.length} hosts, ${vms.length} VMs set up in ${setupWallSeconds.toFixed(1)} s; warming up`);

  // Warm-up: recoverAfter good probes settle every machine (those cycles send every target an event).
  const warm = performance.now();
  for (let i = 0; i < 7; i++) await clock.advanceBy(intervalMs);
  const warmupWallSeconds = (performance.now() - warm) / 1000;
  log(`scale: warm-up ${warmupWallSeconds.toFixed(1)} s; measuring ${opts.cycles} cycles`);

  // Faults at the start of the measured window.
  measuring = true;
  const faultAt = clock.now();
  const faultRandom = random.fork('faults');
  const hostFaults = Math.min(opts.hostFaults ?? DEFAULT_SCALE.hostFaults, Math.max(0, opts.hosts - 1));
  const hung = new Set<string>();
  while (hung.size < hostFaults) hung.add(hosts[faultRandom.int(0, opts.hosts - 1)]!.name);
  for (const h of hung) world.applyFault({ kind: 'host', host: h, fault: 'hang' });
  const panicked = new Set<string>();
  const vmFaults = Math.min(opts.vmFaults ?? DEFAULT_SCALE.vmFaults, opts.vms);
  while (panicked.size < vmFaults) {
    const v = vms[faultRandom.int(0, opts.vms - 1)]!;
    if (!hung.has(v.currentHost)) panicked.add(v.name);
  }
  for (const v of panicked) world.applyFault({ kind: 'vm', vm: v, fault: 'panic' });

  const perCycle: number[] = [];
  for (let i = 0; i < opts.cycles; i++) {
    const before = process.cpuUsage();
    await clock.advanceBy(intervalMs);
    perCycle.push(cpuSeconds(process.cpuUsage(before)));
  }
  const mem = process.memoryUsage();
  const detection: number[] = [];
  for (const h of hung) if (opened.has(`host:${h}`)) detection.push((opened.get(`host:${h}`)! - faultAt) / 1000);
  for (const v of panicked) if (opened.has(`vm:${v}`)) detection.push((opened.get(`vm:${v}`)! - faultAt) / 1000);
  const stopping = controller.stop();
  await clock.advanceBy(30_000);
  await stopping;

  const cpu = summarize(perCycle, 3);
  const dec = summarize(decisions, 3);
  const det = summarize(detection, 2);
  const targets = hosts.length + vms.length;
  const result: ScaleResult = {
    mode: 'scale',
    seed: opts.seed,
    hosts: opts.hosts,
    spares,
    vms: opts.vms,
    probeIntervalSeconds: intervalMs / 1000,
    probeConcurrency: concurrency,
    cyclesMeasured: opts.cycles,
    setupWallSeconds: round(setupWallSeconds, 1),
    warmupWallSeconds: round(warmupWallSeconds, 1),
    cpuSecondsPerCycle: cpu,
    cpuSecondsEachCycle: perCycle.map((x) => round(x, 3)),
    coreShare: { mean: round(cpu.mean / (intervalMs / 1000), 3), max: round(cpu.max / (intervalMs / 1000), 3) },
    memory: {
      heapUsedMb: round(mem.heapUsed / 2 ** 20, 0),
      rssMb: round(mem.rss / 2 ** 20, 0),
      heapPerTargetKb: round(mem.heapUsed / 1024 / targets, 2),
    },
    decisionLatencyMs: dec,
    detectionLatencySeconds: det,
    faults: { hostHangs: hung.size, vmPanics: panicked.size, incidentsOpened: opened.size },
    goals: [],
  };
  result.goals = [
    { goal: `${opts.hosts} hosts / ${opts.vms} VMs at a 5 s probe interval under one core`, value: `${cpu.mean} s CPU per 5 s cycle (max ${cpu.max})`, met: cpu.max < intervalMs / 1000 },
    { goal: 'decision latency p99 under 10 ms', value: `${dec.p99} ms (n ${dec.n})`, met: dec.n > 0 && dec.p99 < 10 },
  ];
  return result;
}
