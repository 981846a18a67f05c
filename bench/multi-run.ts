/**
 * Several seeds and/or both strategies in one invocation: every (strategy, seed) run one after
 * another (shards inside each as in a single run), one compact line each, statistics pooled per
 * strategy, and the two strategies side by side per class next to the talk's numbers.
 */
import type { CalibrationSection } from './calibration.js';
import { CLASS_NAMES, crashClass, type ClassName } from './classes.js';
import { pool, poolSamplesOf, seedLine, type PoolSample, type Pooled, type SeedLine } from './pooled.js';
import { REFERENCE_STRATEGY_NOTES, type Profile, type Strategy } from './profiles.js';
import { buildResult, LIMIT_SECONDS, REFERENCE, type Goal } from './result.js';
import type { BenchConfig } from './runner.js';
import { runSharded, type ShardOptions } from './shards.js';

/** The talk's number a class is compared with (service recovery and host repair were one there). */
export const TALK_SECONDS: Partial<Record<ClassName, number>> = {
  'host-overload': REFERENCE.nonDestructive.mean,
  'host-shutdown': REFERENCE.nonDestructive.mean,
  'host-destructive': REFERENCE.destructive.mean,
};

export interface StrategyColumn {
  service: { mean: number; p99: number; max: number; under600: number } | null;
  repair: { mean: number; p99: number; max: number; under600: number } | null;
}

export interface ComparisonRow {
  cls: ClassName;
  talk: number | null;
  byStrategy: Partial<Record<Strategy, StrategyColumn>>;
}

export interface MultiResult {
  profile: Profile;
  strategies: Strategy[];
  seedList: (number | string)[];
  injectionsPerSeed: number;
  shards: number;
  /** The first run's config without its strategy (the same for every run but the policy below). */
  config: Record<string, unknown>;
  /** What each strategy changed in the policy the controller ran with. */
  policyByStrategy: Partial<Record<Strategy, { evacuateFirst: boolean; selfFenceAfterSeconds: number | null }>>;
  seeds: SeedLine[];
  pooled: Partial<Record<Strategy, Pooled>>;
  comparison: ComparisonRow[];
  goals: (Goal & { strategy: Strategy })[];
  reference: typeof REFERENCE;
  referenceStrategyNotes: readonly string[];
  wallSeconds: number;
  /** Where each simulator constant comes from (calibration.ts); set by the command that writes the result. */
  calibration?: CalibrationSection;
}

export interface MultiOptions extends ShardOptions {
  seeds: readonly (number | string)[];
  strategies: readonly Strategy[];
  /** Called before each run (progress on a terminal). */
  onRun?: (strategy: Strategy, seed: number | string, index: number, total: number) => void;
}

export async function runMulti(base: BenchConfig, opts: MultiOptions): Promise<MultiResult> {
  const wallStart = performance.now();
  const lines: SeedLine[] = [];
  const samples = new Map<Strategy, PoolSample[]>();
  let config: Record<string, unknown> | null = null;
  const policyByStrategy: MultiResult['policyByStrategy'] = {};
  const total = opts.strategies.length * opts.seeds.length;
  let index = 0;
  for (const strategy of opts.strategies) {
    const mine: PoolSample[] = [];
    samples.set(strategy, mine);
    for (const seed of opts.seeds) {
      opts.onRun?.(strategy, seed, index++, total);
      const run = await runSharded({ ...base, seed, strategy }, opts);
      const result = buildResult(run);
      lines.push(seedLine(strategy, result));
      for (const s of poolSamplesOf(run.injections, base.watchdog !== null)) mine.push(s);
      const { strategy: _s, policy: _p, ...rest } = result.config;
      config ??= rest;
      policyByStrategy[strategy] = { evacuateFirst: run.policy.evacuateFirst, selfFenceAfterSeconds: run.policy.selfFenceAfterSeconds };
    }
  }
  const pooled: Partial<Record<Strategy, Pooled>> = {};
  for (const strategy of opts.strategies) pooled[strategy] = pool(samples.get(strategy)!, lines.filter((l) => l.strategy === strategy));
  return {
    profile: base.profile,
    strategies: [...opts.strategies],
    seedList: [...opts.seeds],
    injectionsPerSeed: base.injections,
    shards: opts.shards,
    config: config ?? {},
    policyByStrategy,
    seeds: lines,
    pooled,
    comparison: compare(pooled),
    goals: multiGoals(pooled),
    reference: REFERENCE,
    referenceStrategyNotes: REFERENCE_STRATEGY_NOTES,
    wallSeconds: Math.round((performance.now() - wallStart) / 10) / 100,
  };
}

/** Per class judged on recovery time: each strategy's pooled service recovery and host repair. */
export function compare(pooled: Partial<Record<Strategy, Pooled>>): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const cls of CLASS_NAMES) {
    if (crashClass(cls).criterion !== 'recovery') continue; // a person class is compared too: its times include the person
    const row: ComparisonRow = { cls, talk: TALK_SECONDS[cls] ?? null, byStrategy: {} };
    for (const [strategy, p] of Object.entries(pooled) as [Strategy, Pooled][]) {
      const c = p.classes.find((x) => x.name === cls);
      if (!c) continue;
      const pick = (t: { mean: number; p99: number; max: number; under600: number }) => ({ mean: t.mean, p99: t.p99, max: t.max, under600: t.under600 });
      row.byStrategy[strategy] = { service: pick(c.service), repair: c.repair ? pick(c.repair) : null };
    }
    if (Object.keys(row.byStrategy).length > 0) rows.push(row);
  }
  return rows;
}

export function multiGoals(pooled: Partial<Record<Strategy, Pooled>>): (Goal & { strategy: Strategy })[] {
  const goals: (Goal & { strategy: Strategy })[] = [];
  for (const [strategy, p] of Object.entries(pooled) as [Strategy, Pooled][]) {
    goals.push({
      strategy,
      goal: '100 % of the injections recovered in under 600 s, on every seed',
      value: `${p.seedsUnder600} of ${p.seeds} seeds; pooled ${Math.round(p.overall.under600 * 10_000) / 100} %, max ${p.overall.max} s`,
      met: p.everySeedUnder600,
    });
    if (p.handover.n + p.handover.notRecovered > 0) {
      goals.push({
        strategy,
        goal: `classes with no evidence without a watchdog: every injection handed to a person in under ${LIMIT_SECONDS} s (all seeds)`,
        value: `${Math.round(p.handover.under600 * 10_000) / 100} %, max ${p.handover.max} s`,
        met: p.handover.under600 === 1,
      });
    }
    const v = p.violations;
    goals.push({
      strategy,
      goal: 'zero safety violations (all seeds)',
      value: `${v.vmOnTwoHosts} VM on two hosts, ${v.actionsOnHealthy} actions on healthy targets, ${v.lostIncidents} incidents lost`,
      met: v.vmOnTwoHosts + v.actionsOnHealthy + v.lostIncidents === 0,
    });
    goals.push({
      strategy,
      goal: 'do no harm: 0 harmful actions (all seeds)',
      value: `${p.harm.harmfulActions} harmful actions, ${p.harm.unneededVmRestarts} unneeded VM restarts`,
      met: p.harm.harmfulActions === 0 && p.harm.unneededVmRestarts === 0,
    });
  }
  return goals;
}
