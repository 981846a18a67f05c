/**
 * Shards: the injections split over independent replicas of the same cluster, run on worker
 * threads, results merged. Each shard is the same experiment (same cluster, same arrival rate,
 * same mix, its own seeded streams) over a shorter stretch of virtual time, so the merged
 * statistics describe the same population as one long run; the wall time is divided by the
 * cores. The result depends on the seed and the shard count only, never on the number of
 * workers or on which worker finished first (shards are merged in shard order).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Policy } from '../src/core/policy.js';
import type { ClassName } from './classes.js';
import { runBench, type BenchConfig, type BenchRun } from './runner.js';
import { apportion } from './stats.js';
import { addHarmTally, emptyHarmTally, type HarmEvent, type HarmTally } from './harm.js';
import type { InjectionResult, SafetyEvent } from './tracker.js';

/** What the result, report and plot read of one injection. */
export interface InjectionOutcome {
  index: number;
  cls: ClassName;
  variant: string;
  /** Host classes: the hosts it broke. */
  hosts: string[];
  result: InjectionResult | null;
  /** What the controller broke that still served, on this injection's targets (harm.ts; absent: none). */
  harm?: HarmTally;
}

/** The referee's counters the result reads. */
export interface RefereeCounters {
  vmOnTwoHosts: number;
  actionsOnHealthy: number;
  actionsOnBootingVm: number;
  safety: SafetyEvent[];
  openedIncidents: ReadonlySet<string>;
  /** Harm on targets no open injection held, and the first harm events (absent: none). */
  unattributedHarm?: HarmTally;
  harmEvents?: HarmEvent[];
}

/** A finished run, one shard or several merged: plain data (it crosses threads). */
export interface RunOutcome {
  config: BenchConfig;
  policy: Policy;
  injections: InjectionOutcome[];
  tracker: RefereeCounters;
  openAtEnd: string[];
  missingInStore: string[];
  deferred: number;
  operatorActions: { releases: number; confirmOff: number };
  /** Summed over shards. */
  virtualSeconds: number;
  timersFired: number;
  timersScheduled: number;
  watchdogResets: number;
  wallSeconds: number;
  shards: number;
}

/** The part of a config that crosses to a worker (callbacks stay behind). */
type PortableConfig = Omit<BenchConfig, 'onProgress' | 'log' | 'observe'>;

export interface ShardOptions {
  /** Replicas to split the injections over (the result depends on it). Default 1. */
  shards: number;
  /** Threads to run them on (the result does not depend on it). Default min(shards, cores). */
  workers?: number;
}

export function outcomeOf(run: BenchRun, shards = 1): RunOutcome {
  const t = run.tracker;
  const { onProgress: _p, log: _l, observe: _o, ...config } = run.config;
  return {
    config,
    policy: run.policy,
    injections: run.injections.map((i) => ({ index: i.index, cls: i.cls, variant: i.variant, hosts: i.hosts, result: i.result, harm: i.harm })),
    tracker: {
      vmOnTwoHosts: t.vmOnTwoHosts,
      actionsOnHealthy: t.actionsOnHealthy,
      actionsOnBootingVm: t.actionsOnBootingVm,
      safety: [...t.safety],
      unattributedHarm: t.unattributedHarm,
      harmEvents: [...t.harmEvents],
      openedIncidents: new Set(t.openedIncidents),
    },
    openAtEnd: run.openAtEnd,
    missingInStore: run.missingInStore,
    deferred: run.deferred,
    operatorActions: run.operatorActions,
    virtualSeconds: run.virtualSeconds,
    timersFired: run.timersFired,
    timersScheduled: run.timersScheduled,
    watchdogResets: run.watchdogResets,
    wallSeconds: run.wallSeconds,
    shards,
  };
}

/** Config of shard `index` of `shards`: its share of the injections, its own random streams. */
export function shardConfig(config: PortableConfig, index: number, shards: number): PortableConfig {
  if (shards === 1) return config;
  const shares = apportion(
    Array.from({ length: shards }, (_, i) => [String(i), 1] as const),
    config.injections,
  );
  return { ...config, injections: shares.get(String(index))!, seed: `${config.seed}/shard-${index + 1}-of-${shards}` };
}

/** Runs the bench split over `shards` replicas on up to `workers` threads and merges the results. */
export async function runSharded(config: BenchConfig, opts: ShardOptions): Promise<RunOutcome> {
  const shards = Math.max(1, Math.floor(opts.shards));
  if (shards === 1) return outcomeOf(await runBench(config));
  const wallStart = performance.now();
  const workers = Math.max(1, Math.min(shards, opts.workers ?? availableParallelism()));
  const { onProgress, log: _log, observe: _observe, ...portable } = config;
  const done = new Array<number>(shards).fill(0);
  const report = () => onProgress?.(done.reduce((a, b) => a + b, 0), config.injections);
  const outcomes = new Array<RunOutcome>(shards);
  let next = 0;
  const lane = async () => {
    while (next < shards) {
      const index = next++;
      outcomes[index] = await runShardInWorker(shardConfig(portable, index, shards), (n) => {
        done[index] = n;
        report();
      });
    }
  };
  await Promise.all(Array.from({ length: workers }, lane));
  return mergeOutcomes(config, outcomes, (performance.now() - wallStart) / 1000);
}

/** Shard outcomes in shard order -> one outcome; injection indexes renumbered to stay unique. */
export function mergeOutcomes(config: BenchConfig, outcomes: readonly RunOutcome[], wallSeconds: number): RunOutcome {
  const injections: InjectionOutcome[] = [];
  const safety: SafetyEvent[] = [];
  const harmEvents: HarmEvent[] = [];
  const unattributedHarm = emptyHarmTally();
  const opened = new Set<string>();
  const sum = (f: (o: RunOutcome) => number) => outcomes.reduce((n, o) => n + f(o), 0);
  const tagged = (id: string, shard: number) => `shard${shard + 1}/${id}`;
  outcomes.forEach((o, shard) => {
    const base = injections.length;
    for (const i of o.injections) injections.push({ ...i, index: base + i.index });
    for (const s of o.tracker.safety) safety.push({ ...s, injection: s.injection === null ? null : base + s.injection, target: tagged(s.target, shard) });
    for (const id of o.tracker.openedIncidents) opened.add(tagged(id, shard));
    for (const h of o.tracker.harmEvents ?? []) harmEvents.push({ ...h, injection: h.injection === null ? null : base + h.injection, target: tagged(h.target, shard) });
    if (o.tracker.unattributedHarm) addHarmTally(unattributedHarm, o.tracker.unattributedHarm);
  });
  return {
    config,
    policy: outcomes[0]!.policy,
    injections,
    tracker: {
      vmOnTwoHosts: sum((o) => o.tracker.vmOnTwoHosts),
      actionsOnHealthy: sum((o) => o.tracker.actionsOnHealthy),
      actionsOnBootingVm: sum((o) => o.tracker.actionsOnBootingVm),
      safety,
      openedIncidents: opened,
      unattributedHarm,
      harmEvents,
    },
    openAtEnd: outcomes.flatMap((o, shard) => o.openAtEnd.map((id) => tagged(id, shard))),
    missingInStore: outcomes.flatMap((o, shard) => o.missingInStore.map((id) => tagged(id, shard))),
    deferred: sum((o) => o.deferred),
    operatorActions: { releases: sum((o) => o.operatorActions.releases), confirmOff: sum((o) => o.operatorActions.confirmOff) },
    virtualSeconds: sum((o) => o.virtualSeconds),
    timersFired: sum((o) => o.timersFired),
    timersScheduled: sum((o) => o.timersScheduled),
    watchdogResets: sum((o) => o.watchdogResets),
    wallSeconds,
    shards: outcomes.length,
  };
}

type FromWorker = { type: 'progress'; finalized: number } | { type: 'done'; outcome: RunOutcome } | { type: 'failed'; error: string };

/**
 * A shard allocates short-lived objects fast (events, snapshots, promises): with V8's default young
 * generation, scavenges took about a tenth of its time. A larger one costs memory, not results.
 */
const SHARD_YOUNG_GENERATION_MB = 192;

/** One shard on its own thread (TypeScript loaded through tsx's API: shard-worker-boot.mjs). */
function runShardInWorker(config: PortableConfig, onProgress: (finalized: number) => void): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./shard-worker-boot.mjs', import.meta.url), {
      workerData: { module: new URL('./shard-worker.ts', import.meta.url).href, config },
      resourceLimits: { maxYoungGenerationSizeMb: SHARD_YOUNG_GENERATION_MB },
    });
    let settled = false;
    const finish = (err: Error | null, outcome?: RunOutcome) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(outcome!);
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') onProgress(m.finalized);
      else if (m.type === 'done') finish(null, m.outcome);
      else finish(new Error(`bench shard (seed ${String(config.seed)}) failed: ${m.error}`));
    });
    worker.on('error', (e) => finish(new Error(`bench shard (seed ${String(config.seed)}) crashed: ${e.message}`)));
    worker.on('exit', (code) => finish(new Error(`bench shard (seed ${String(config.seed)}) exited with code ${code} before its result`)));
  });
}
