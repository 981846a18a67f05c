/**
 * Many seeds: one compact line per (strategy, seed) run, and statistics pooled over every
 * injection of every seed. Pure functions over plain data, pinned by test/unit/bench/pooled.test.ts.
 * Pooling concatenates the samples (it is not a mean of per-seed means), so a seed with more
 * recovered injections weighs more, as one long run would.
 */
import { CLASS_NAMES, criterionOf, type ClassName, type Criterion } from './classes.js';
import { LIMIT_SECONDS, type BenchResult } from './result.js';
import { round, summarize, type Summary } from './stats.js';
import type { InjectionOutcome } from './shards.js';
import type { Strategy } from './profiles.js';

/** What pooling keeps of one injection. */
export interface PoolSample {
  cls: ClassName;
  /** Seconds until service was restored; null: never. */
  recovery: number | null;
  /** Host classes: seconds until every host it broke was healthy again; null: never (or not a host class). */
  repair: number | null;
  /** The injection broke hosts (it has a repair time to report). */
  hostClass: boolean;
  /** How its class is judged in this run's profile (classes.ts criterionOf). */
  criterion: Criterion;
  /** Seconds until a person was asked; null: never. */
  handover: number | null;
}

export type Timed = Summary & { under600: number; notRecovered: number };

export interface PooledClass {
  name: ClassName;
  service: Timed;
  repair: Timed | null;
}

export interface Pooled {
  seeds: number;
  injections: number;
  /** Service recovery over the classes judged on recovery time (as `overall` of one run). */
  overall: Timed;
  /** The person classes (no watchdog): seconds until a person was asked; n 0 when there are none. */
  handover: Timed;
  classes: PooledClass[];
  violations: { vmOnTwoHosts: number; actionsOnHealthy: number; lostIncidents: number };
  harm: { harmfulActions: number; unneededVmRestarts: number };
  /** "100 % under 600 s" judged on every seed: met only if every seed meets it. */
  everySeedUnder600: boolean;
  seedsUnder600: number;
  wallSeconds: number;
}

export interface SeedLine {
  strategy: Strategy;
  seed: number | string;
  injections: number;
  wallSeconds: number;
  mean: number;
  p99: number;
  max: number;
  under600: number;
  notRecovered: number;
  violations: BenchResult['violations'];
  harmfulActions: number;
  unneededVmRestarts: number;
  /** 100 % of this seed's injections recovered in under 600 s. */
  under600Met: boolean;
}

export function poolSamplesOf(injections: readonly InjectionOutcome[], hasWatchdog: boolean): PoolSample[] {
  return injections.map((i) => ({
    cls: i.cls,
    recovery: i.result?.recovery ?? null,
    repair: i.result?.repair ?? null,
    hostClass: i.hosts.length > 0,
    criterion: criterionOf(i.cls, hasWatchdog),
    handover: i.result?.handover ?? null,
  }));
}

export function seedLine(strategy: Strategy, r: BenchResult): SeedLine {
  const o = r.overall;
  return {
    strategy,
    seed: r.seed,
    injections: r.injections,
    wallSeconds: r.wallSeconds,
    mean: o.mean,
    p99: o.p99,
    max: o.max,
    under600: o.under600,
    notRecovered: o.notRecovered,
    violations: r.violations,
    harmfulActions: r.harm.harmfulActions,
    unneededVmRestarts: r.harm.unneededVmRestarts,
    under600Met: o.under600 === 1,
  };
}

/** Times (null: never) -> summary of the finished ones, share under 600 s of all, count never. */
export function timed(values: readonly (number | null)[]): Timed {
  const done = values.filter((x): x is number => x !== null);
  return {
    ...summarize(done),
    under600: values.length ? round(done.filter((x) => x < LIMIT_SECONDS).length / values.length, 4) : 0,
    notRecovered: values.length - done.length,
  };
}

/** Pools the samples of every seed of one strategy with that strategy's seed lines. */
export function pool(samples: readonly PoolSample[], lines: readonly SeedLine[]): Pooled {
  const byClass = new Map<ClassName, PoolSample[]>();
  for (const s of samples) {
    const list = byClass.get(s.cls) ?? [];
    list.push(s);
    byClass.set(s.cls, list);
  }
  const classes = CLASS_NAMES.filter((c) => byClass.has(c)).map((name): PooledClass => {
    const list = byClass.get(name)!;
    const hosts = list.filter((s) => s.hostClass);
    return { name, service: timed(list.map((s) => s.recovery)), repair: hosts.length ? timed(hosts.map((s) => s.repair)) : null };
  });
  const sum = (f: (l: SeedLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  const seedsUnder600 = lines.filter((l) => l.under600Met).length;
  return {
    seeds: lines.length,
    injections: samples.length,
    overall: timed(samples.filter((s) => s.criterion === 'recovery').map((s) => s.recovery)),
    handover: timed(samples.filter((s) => s.criterion === 'person').map((s) => s.handover)),
    classes,
    violations: {
      vmOnTwoHosts: sum((l) => l.violations.vmOnTwoHosts),
      actionsOnHealthy: sum((l) => l.violations.actionsOnHealthy),
      lostIncidents: sum((l) => l.violations.lostIncidents),
    },
    harm: { harmfulActions: sum((l) => l.harmfulActions), unneededVmRestarts: sum((l) => l.unneededVmRestarts) },
    everySeedUnder600: lines.length > 0 && seedsUnder600 === lines.length,
    seedsUnder600,
    wallSeconds: round(sum((l) => l.wallSeconds), 2),
  };
}
