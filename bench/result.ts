/**
 * The bench's JSON result, a stable contract for scripts:
 *
 *   { seed, injections, wallSeconds,
 *     classes: [{ name, n, mean, sd, p50, p95, p99, max, under600, overhead: { p50, p99 }, ...extras }],
 *     overall: { n, mean, sd, p50, p95, p99, max, under600, ...extras },
 *     violations: { vmOnTwoHosts, actionsOnHealthy, lostIncidents },
 *     ...extras }
 *
 * `overall` covers the classes judged on recovery time; the no-harm classes (classes.ts) are judged
 * by their `harm` (per class) and the top-level `harm` counts every class.
 *
 * Seconds everywhere, `under600` a fraction of the class's injections (one never recovered counts
 * as not under 600 s; mean / sd / percentiles are over the recovered ones). Everything but
 * `wallSeconds` (and `scale`, wall-clock measurements) depends only on the seed and the options.
 */
import { CLASS_NAMES, CLASSES, FAULT_TIMINGS, criterionOf, type ClassName, type Criterion } from './classes.js';
import type { CalibrationSection } from './calibration.js';
import { addHarmTally, emptyHarmTally, type HarmEvent, type HarmTally } from './harm.js';
import type { InjectionOutcome, RunOutcome } from './shards.js';
import { round, shareBelow, summarize, type Summary } from './stats.js';
import type { SafetyEvent } from './tracker.js';

/** A finished run: one runBench() (a BenchRun fits) or several shards merged. */
export type RunLike = Omit<RunOutcome, 'shards'> & { shards?: number };

export const REFERENCE = {
  source: 'F. Calzolari, "High availability using virtualization" (3RC), SNS / INFN Pisa',
  nonDestructive: { mean: 181, sd: 10, tests: 10_000, what: 'recovery after overload / shutdown' },
  destructive: { mean: 542, sd: 17, tests: 5_000, what: 'reinstall after rm /boot; reboot' },
} as const;

export const LIMIT_SECONDS = 600;

/** Where the controller's BMC boot progress comes from, in the sim and on real hardware. */
export const BOOT_PROGRESS_SOURCE = 'BMC boot progress: simulated BMCs; on real hardware the IPMI driver reads the SEL (src/drivers/ipmi-sel.ts)';

export interface ClassResult extends Summary {
  name: ClassName;
  under600: number;
  overhead: { p50: number; p99: number };
  recovered: number;
  notRecovered: number;
  summary: string;
  overheadStats: Summary;
  repair: (Summary & { under600: number }) | null;
  rungsUsed: Record<string, number>;
  wastedRungs: number;
  wastedPerInjection: number;
  operatorActions: number;
  variants: Record<string, number>;
  criterion: Criterion;
  harm: ClassHarm;
  /** Seconds from the injection until a person was asked (the `person` criterion); null if never asked. */
  handover: (Summary & { under600: number; handedOver: number }) | null;
}

/** Harm per class (harm.ts): totals, and how many injections did no harm at all. */
export interface ClassHarm extends HarmTally {
  harmfulPerInjection: number;
  userDownPerInjection: number;
  /** Injections with no harmful action and no unneeded VM restart. */
  harmless: number;
  /** Harmless, recovered, and no operator action: closed by itself (the no-harm classes' criterion). */
  closedByItself: number;
}

export interface HarmSummary extends HarmTally {
  /** Harm on targets no open injection held (included in the totals). */
  unattributed: HarmTally;
  examples: HarmEvent[];
}

export interface BenchResult {
  seed: number | string;
  injections: number;
  wallSeconds: number;
  classes: ClassResult[];
  overall: Summary & {
    under600: number;
    overheadStats: Summary;
    notRecovered: number;
    /** Share under 600 s over the recovery and person classes together (a person's reaction included). */
    withPersonUnder600: number;
  };
  violations: { vmOnTwoHosts: number; actionsOnHealthy: number; lostIncidents: number };
  harm: HarmSummary;
  violationDetails: {
    lost: { notRecovered: number; openAtEnd: string[]; missingInStore: string[] };
    examples: SafetyEvent[];
  };
  reference: typeof REFERENCE;
  config: Record<string, unknown>;
  run: Record<string, number>;
  goals: Goal[];
  scale?: unknown;
  /** Where each simulator constant comes from (calibration.ts); set by the command that writes the result. */
  calibration?: CalibrationSection;
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean;
}

function sortedCounts(entries: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e, (counts.get(e) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function classResult(name: ClassName, list: InjectionOutcome[], hasWatchdog: boolean): ClassResult {
  const rec = list.map((i) => i.result!).filter((r) => r.recovery !== null);
  const recovery = rec.map((r) => r.recovery!);
  const overhead = list.map((i) => i.result!.overhead).filter((x): x is number => x !== null);
  const repairs = list.map((i) => i.result!.repair);
  const hasRepair = list.length > 0 && list[0]!.hosts.length > 0;
  const repaired = repairs.filter((x): x is number => x !== null);
  const s = summarize(recovery);
  const o = summarize(overhead);
  const wasted = list.reduce((n, i) => n + i.result!.wasted, 0);
  const handovers = list.map((i) => i.result!.handover).filter((x): x is number => x !== null);
  return {
    name,
    ...s,
    n: list.length,
    under600: list.length ? round(recovery.filter((x) => x < LIMIT_SECONDS).length / list.length, 4) : 0,
    overhead: { p50: o.p50, p99: o.p99 },
    recovered: rec.length,
    notRecovered: list.length - rec.length,
    summary: CLASSES.find((c) => c.name === name)!.summary,
    overheadStats: o,
    repair: hasRepair ? { ...summarize(repaired), n: list.length, under600: list.length ? round(repaired.filter((x) => x < LIMIT_SECONDS).length / list.length, 4) : 0 } : null,
    rungsUsed: sortedCounts(list.flatMap((i) => i.result!.rungs)),
    wastedRungs: wasted,
    wastedPerInjection: list.length ? round(wasted / list.length, 3) : 0,
    operatorActions: list.reduce((n, i) => n + i.result!.operatorActions, 0),
    variants: sortedCounts(list.map((i) => i.variant)),
    criterion: criterionOf(name, hasWatchdog),
    harm: classHarm(list),
    handover: handovers.length
      ? { ...summarize(handovers), n: list.length, handedOver: handovers.length, under600: round(handovers.filter((x) => x < LIMIT_SECONDS).length / list.length, 4) }
      : null,
  };
}

function classHarm(list: InjectionOutcome[]): ClassHarm {
  const total = emptyHarmTally();
  let harmless = 0;
  let closedByItself = 0;
  for (const i of list) {
    const harm = i.harm ?? emptyHarmTally();
    addHarmTally(total, harm);
    if (harm.harmfulActions > 0 || harm.unneededVmRestarts > 0) continue;
    harmless++;
    if (i.result!.recovery !== null && i.result!.operatorActions === 0) closedByItself++;
  }
  const n = list.length || 1;
  return {
    ...total,
    userDownSeconds: round(total.userDownSeconds, 1),
    harmfulPerInjection: round(total.harmfulActions / n, 3),
    userDownPerInjection: round(total.userDownSeconds / n, 1),
    harmless,
    closedByItself,
  };
}

function harmSummary(run: RunLike): HarmSummary {
  const total = emptyHarmTally();
  for (const i of run.injections) if (i.harm) addHarmTally(total, i.harm);
  const loose = run.tracker.unattributedHarm ?? emptyHarmTally();
  addHarmTally(total, loose);
  const unattributed = { ...loose, userDownSeconds: round(loose.userDownSeconds, 1) };
  return { ...total, userDownSeconds: round(total.userDownSeconds, 1), unattributed, examples: (run.tracker.harmEvents ?? []).slice(0, 20) };
}

export function buildResult(run: RunLike): BenchResult {
  const byClass = new Map<ClassName, InjectionOutcome[]>(CLASS_NAMES.map((c) => [c, []]));
  for (const inj of run.injections) byClass.get(inj.cls)!.push(inj);
  const watchdog = run.config.watchdog !== null;
  const classes = CLASS_NAMES.filter((c) => byClass.get(c)!.length > 0).map((c) => classResult(c, byClass.get(c)!, watchdog));
  // Recovery time is the criterion of most classes only: the no-harm and person ones stay out of `overall`.
  const all = run.injections.filter((i) => criterionOf(i.cls, watchdog) === 'recovery').map((i) => i.result!);
  const withPerson = run.injections.filter((i) => criterionOf(i.cls, watchdog) !== 'no-harm').map((i) => i.result!);
  const recovery = all.map((r) => r.recovery).filter((x): x is number => x !== null);
  const overhead = all.map((r) => r.overhead).filter((x): x is number => x !== null);
  const notRecovered = all.length - recovery.length;
  const t = run.tracker;
  const lostIncidents = notRecovered + run.openAtEnd.length + run.missingInStore.length;
  const c = run.config;
  const result: BenchResult = {
    seed: c.seed,
    injections: run.injections.length,
    wallSeconds: round(run.wallSeconds, 2),
    classes,
    overall: {
      ...summarize(recovery),
      n: all.length,
      under600: all.length ? round(recovery.filter((x) => x < LIMIT_SECONDS).length / all.length, 4) : 0,
      overheadStats: summarize(overhead),
      notRecovered,
      withPersonUnder600: withPerson.length ? round(withPerson.filter((r) => r.recovery !== null && r.recovery < LIMIT_SECONDS).length / withPerson.length, 4) : 0,
    },
    violations: { vmOnTwoHosts: t.vmOnTwoHosts, actionsOnHealthy: t.actionsOnHealthy, lostIncidents },
    harm: harmSummary(run),
    violationDetails: {
      lost: { notRecovered, openAtEnd: run.openAtEnd, missingInStore: run.missingInStore },
      examples: t.safety.slice(0, 20),
    },
    reference: REFERENCE,
    config: {
      profile: c.profile,
      strategy: c.strategy,
      bootProgress: BOOT_PROGRESS_SOURCE,
      hosts: c.hosts,
      spares: c.spares,
      vms: c.vms,
      meanIntervalSeconds: c.meanIntervalSeconds,
      watchdog: c.watchdog,
      selfFenceAfterSeconds: run.policy.selfFenceAfterSeconds,
      operatorDelaySeconds: c.operatorDelaySeconds,
      probeIntervalSeconds: c.probeIntervalSeconds,
      probeConcurrency: c.probeConcurrency,
      probeHints: c.probeHints,
      policy: { failAfter: run.policy.failAfter, recoverAfter: run.policy.recoverAfter, evacuateFirst: run.policy.evacuateFirst },
      mix: Object.fromEntries(CLASS_NAMES.map((n) => [n, c.mix[n] ?? 0])),
      faultTimings: FAULT_TIMINGS,
    },
    run: {
      shards: run.shards ?? 1,
      virtualSeconds: run.virtualSeconds,
      timersFired: run.timersFired,
      deferredInjections: run.deferred,
      operatorReleases: run.operatorActions.releases,
      operatorConfirmOff: run.operatorActions.confirmOff,
      watchdogResets: run.watchdogResets,
      incidentsOpened: t.openedIncidents.size,
      actionsOnBootingVm: t.actionsOnBootingVm,
    },
    goals: [],
  };
  result.goals = evaluateGoals(result);
  return result;
}

const pct = (x: number) => `${round(x * 100, 2)} %`;

export function evaluateGoals(r: BenchResult): Goal[] {
  const cls = (n: ClassName) => r.classes.find((c) => c.name === n);
  const goals: Goal[] = [
    { goal: '100 % of the injections recovered in under 600 s (classes the controller may recover alone)', value: pct(r.overall.under600), met: r.overall.under600 === 1 },
    {
      goal: 'zero safety violations',
      value: `${r.violations.vmOnTwoHosts} VM on two hosts, ${r.violations.actionsOnHealthy} actions on healthy targets, ${r.violations.lostIncidents} incidents lost / never closed`,
      met: r.violations.vmOnTwoHosts + r.violations.actionsOnHealthy + r.violations.lostIncidents === 0,
    },
  ];
  for (const [name, limit] of [['host-overload', 181], ['host-shutdown', 181], ['host-destructive', 542]] as const) {
    const c = cls(name);
    if (c) goals.push({ goal: `${name} mean recovery below ${limit} s`, value: `${c.mean} s`, met: c.recovered === c.n && c.mean < limit });
  }
  for (const c of r.classes) {
    if (c.criterion !== 'person') continue;
    const ho = c.handover;
    goals.push({
      goal: `${c.name} (no evidence without a watchdog): every injection handed to a person in under ${LIMIT_SECONDS} s, nothing harmful`,
      value: ho ? `${pct(ho.under600)} handed over (p50 ${ho.p50} s, max ${ho.max} s), ${c.harm.harmfulActions} harmful` : 'never handed over',
      met: ho !== null && ho.under600 === 1 && c.harm.harmfulActions === 0 && c.harm.unneededVmRestarts === 0,
    });
    goals.push({
      goal: `100 % of all injections in under ${LIMIT_SECONDS} s, a person's reaction included (cannot hold without a watchdog: see ${c.name})`,
      value: pct(r.overall.withPersonUnder600),
      met: r.overall.withPersonUnder600 === 1,
    });
  }
  const h = r.harm;
  goals.push({
    goal: 'do no harm: 0 destructive actions on a target that still served',
    value: `${h.harmfulActions} harmful actions, ${h.unneededVmRestarts} unneeded VM restarts`,
    met: h.harmfulActions === 0 && h.unneededVmRestarts === 0,
  });
  for (const c of r.classes) {
    if (c.criterion !== 'no-harm') continue;
    goals.push({ goal: `${c.name}: every injection harmless and closed by itself after the heal`, value: `${c.harm.closedByItself} of ${c.n}`, met: c.harm.closedByItself === c.n });
  }
  const o = r.overall.overheadStats;
  goals.push({ goal: 'controller overhead median <= 20 s, p99 <= 60 s', value: `p50 ${o.p50} s, p99 ${o.p99} s`, met: o.p50 <= 20 && o.p99 <= 60 });
  goals.push({ goal: `${r.injections} injections in <= 60 s of wall time (stretch 10 s)`, value: `${r.wallSeconds} s`, met: r.wallSeconds <= 60 });
  return goals;
}

/** Share helper re-exported for reports. */
export { shareBelow };
