/**
 * `npm run bench -- --real N --seed S` (also `3rc bench --real ...`): replays N injections of the
 * sim bench's seeded plan against a real lab (ipmi_sim BMCs, sshd, libvirt test:/// hypervisors,
 * all on 127.0.0.1) in real time, runs each again in the simulator with the same rack and policy,
 * and compares the controller's two paths. Exit code 0 when every path agrees, 1 otherwise.
 * See bench/README.md ("Real lab replay").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Policy } from '../../src/core/policy.js';
import type { ClassName } from '../classes.js';
import type { Mix } from '../runner.js';
import { mean, percentile, round } from '../stats.js';
import { compareSides, pathLines } from './compare.js';
import { runRealEpisode, runSimEpisode, type SidePath, type SideResult } from './episode.js';
import {
  COVERED,
  LAB_EPISODE_LIMIT_MS,
  LAB_FENCE,
  LAB_POLICY_INPUT,
  LAB_PROBES,
  LAB_TIMINGS,
  labPolicy,
  SIM_LATENCY,
  SIM_TIMINGS,
} from './lab-config.js';
import { LAB_REAL_TIMEOUTS } from '../../test/lab/real-lab/topology.js';
import { generateLabKeys } from '../../test/lab/real-lab/lab-sshd.js';
import { drawRealPlan, type RealPlan } from './plan.js';
import { liveLabProcesses, startReaper } from '../../test/lab/real-lab/procs.js';
import { renderRealMarkdown } from './report-real.js';

export const REAL_OUT_PREFIX = 'crash-bench-real';
/** An injection that disagreed with evidence of an overloaded lab runs once more (both attempts reported). */
export const MAX_ATTEMPTS = 2;

export interface SideReport {
  path: SidePath;
  lines: string[];
  completed: boolean;
  detectSeconds: number | null;
  serviceSeconds: number | null;
  recoveredSeconds: number | null;
  wallSeconds: number;
  problems: string[];
  error: string | null;
  /** Controller events after the injection, seconds from it (phases with the signature, actions). */
  trace: string[];
  /** Real side: seconds of lab start, settling, episode, cleanup. */
  wall: { setup: number; settle: number; episode: number; cleanup: number } | null;
  /** Real side: probes that hit a deadline on a target the lab had up (an overloaded machine), see episode.ts. */
  falseObservations: string[];
  /** Real side: probes that failed fast on a target the lab had up (something the sim does not model). */
  staleObservations: string[];
  /** Real side: largest event-loop delay during the episode (ms), load average at its start. */
  load: { eventLoopMaxMs: number; loadAverage1m: number } | null;
}

/** An attempt that disagreed while the lab was overloaded (false observations); it was run again. */
export interface EarlierAttempt {
  differences: string[];
  /** The lab failed to start or settle (the message), or null. */
  labError: string | null;
  falseObservations: string[];
  load: SideReport['load'];
  realLines: string[];
  realTrace: string[];
}

export interface InjectionReport {
  index: number;
  cls: ClassName;
  variant: string;
  targets: string[];
  faults: string[];
  agree: boolean;
  differences: string[];
  /** 1, or 2 when the first attempt disagreed with evidence that the lab was overloaded. */
  attempts: number;
  earlierAttempts: EarlierAttempt[];
  real: SideReport;
  sim: SideReport;
}

export interface TimeStats {
  n: number;
  mean: number;
  p50: number;
  max: number;
}

export interface RealBenchResult {
  mode: 'real';
  seed: number | string;
  requested: number;
  replayed: number;
  agree: number;
  disagree: number;
  /** Share of replayed injections whose paths agree. */
  agreement: number;
  /** Injections run a second time after an attempt disagreed in an overloaded lab. */
  retried: number;
  wallSeconds: number;
  plan: { deckSize: number; scanned: number };
  classes: Array<{
    name: ClassName;
    n: number;
    agree: number;
    real: { service: TimeStats; recovered: TimeStats };
    sim: { service: TimeStats; recovered: TimeStats };
  }>;
  overall: { real: { service: TimeStats; recovered: TimeStats }; sim: { service: TimeStats; recovered: TimeStats } };
  covered: Array<{ name: ClassName; how: string }>;
  skipped: RealPlan['skipped'];
  skippedVariants: RealPlan['skippedVariants'];
  injections: InjectionReport[];
  setup: {
    policy: typeof LAB_POLICY_INPUT;
    probes: typeof LAB_PROBES;
    fence: typeof LAB_FENCE;
    realTimeouts: typeof LAB_REAL_TIMEOUTS;
    labTimingsMs: typeof LAB_TIMINGS;
    simTimings: typeof SIM_TIMINGS;
    simLatency: typeof SIM_LATENCY;
    episodeLimitSeconds: number;
  };
  /** Lab processes still running after the run (must be 0). */
  leftoverProcesses: number;
}

function timeStats(xs: Array<number | null>): TimeStats {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? { n: 0, mean: 0, p50: 0, max: 0 } : { n: v.length, mean: round(mean(v)), p50: round(percentile(v, 50)), max: round(Math.max(...v)) };
}

function sideReport(s: SideResult): SideReport {
  return {
    path: s.path,
    lines: pathLines(s.path),
    completed: s.completed,
    detectSeconds: s.detectSeconds,
    serviceSeconds: s.serviceSeconds,
    recoveredSeconds: s.recoveredSeconds,
    wallSeconds: s.wallSeconds,
    problems: s.problems,
    error: s.error ?? null,
    trace: s.trace,
    wall: s.wall ?? null,
    falseObservations: s.falseObservations ?? [],
    staleObservations: s.staleObservations ?? [],
    load: s.load ?? null,
  };
}

export interface RealBenchOptions {
  n: number;
  seed: number | string;
  mix: Mix;
  /** Size of the sim plan's deck the injections are drawn from (the sim bench's --injections). */
  deckSize: number;
  /** One line per injection (progress). */
  log?: (line: string) => void;
  /** Set by Ctrl-C: the run stops after cleaning up the current lab. */
  signal?: AbortSignal;
  /** The current lab's cleanup, for the caller's signal handler. */
  onLab?: (cleanup: (() => Promise<void>) | null) => void;
}

export async function runRealBench(opts: RealBenchOptions): Promise<RealBenchResult> {
  const wallStart = performance.now();
  const policy: Policy = labPolicy();
  const plan = drawRealPlan({ n: opts.n, seed: opts.seed, mix: opts.mix, deckSize: opts.deckSize });
  const runDir = mkdtempSync(join(tmpdir(), '3rc-real-'));
  const reports: InjectionReport[] = [];
  const reaper = startReaper();
  try {
    const keys = generateLabKeys(join(runDir, 'keys'));
    const log = pino({ level: process.env.RRC_TEST_LOG ?? 'silent' });
    for (const [k, inj] of plan.injections.entries()) {
      if (opts.signal?.aborted) break;
      const earlierAttempts: EarlierAttempt[] = [];
      let report: InjectionReport | null = null;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !opts.signal?.aborted; attempt++) {
        const real = await runRealEpisode(inj, { keys, runDir, policy, log, ...(opts.onLab ? { onLab: opts.onLab } : {}) });
        if (opts.signal?.aborted) break;
        const sim = await runSimEpisode(inj, policy, opts.seed);
        const differences = compareSides(real, sim);
        report = {
          index: inj.index,
          cls: inj.cls,
          variant: inj.variant,
          targets: inj.targets,
          faults: inj.steps.flatMap((s) => s.lines.map((l) => (s.offset ? `+${s.offset}s ${l}` : l))),
          agree: differences.length === 0,
          differences,
          attempts: attempt,
          earlierAttempts: [...earlierAttempts],
          real: sideReport(real),
          sim: sideReport(sim),
        };
        // Run again only when the disagreement comes with evidence that the lab lied (an overloaded
        // machine) or could not even settle; the earlier attempt stays in the report.
        const labTrouble = report.real.falseObservations.length > 0 || real.labFailed === true;
        if (report.agree || !labTrouble || attempt === MAX_ATTEMPTS) break;
        earlierAttempts.push({
          differences,
          labError: real.labFailed ? (real.error ?? 'lab failed') : null,
          falseObservations: report.real.falseObservations,
          load: report.real.load,
          realLines: report.real.lines,
          realTrace: report.real.trace,
        });
        opts.log?.(
          `real ${k + 1}/${plan.injections.length}: #${inj.index} ${inj.cls}: disagreed in an overloaded lab ` +
            `(${report.real.falseObservations.length} false observation(s)${real.labFailed ? `; ${real.error}` : ''}); running it again`,
        );
      }
      if (!report) break;
      reports.push(report);
      opts.log?.(
        `real ${k + 1}/${plan.injections.length}: #${inj.index} ${inj.cls} ${inj.targets.join(',')}: ${report.agree ? 'agree' : `DISAGREE (${report.differences.length})`}` +
          `${report.attempts > 1 ? ` (attempt ${report.attempts})` : ''}, service back real ${report.real.serviceSeconds ?? '-'} s / sim ${report.sim.serviceSeconds ?? '-'} s, ` +
          `${report.real.wallSeconds} s of wall time`,
      );
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
    await reaper.stop();
  }
  return buildRealResult(opts, plan, reports, (performance.now() - wallStart) / 1000);
}

function buildRealResult(opts: RealBenchOptions, plan: RealPlan, reports: InjectionReport[], wallSeconds: number): RealBenchResult {
  const agree = reports.filter((r) => r.agree).length;
  const byClass = new Map<ClassName, InjectionReport[]>();
  for (const r of reports) byClass.set(r.cls, [...(byClass.get(r.cls) ?? []), r]);
  const sides = (rs: InjectionReport[], side: 'real' | 'sim') => ({
    service: timeStats(rs.map((r) => r[side].serviceSeconds)),
    recovered: timeStats(rs.map((r) => r[side].recoveredSeconds)),
  });
  return {
    mode: 'real',
    seed: opts.seed,
    requested: opts.n,
    replayed: reports.length,
    agree,
    disagree: reports.length - agree,
    agreement: reports.length === 0 ? 0 : round(agree / reports.length, 4),
    retried: reports.filter((r) => r.attempts > 1).length,
    wallSeconds: round(wallSeconds, 1),
    plan: { deckSize: plan.deckSize, scanned: plan.scanned },
    classes: [...byClass.entries()].map(([name, rs]) => ({
      name,
      n: rs.length,
      agree: rs.filter((r) => r.agree).length,
      real: sides(rs, 'real'),
      sim: sides(rs, 'sim'),
    })),
    overall: { real: sides(reports, 'real'), sim: sides(reports, 'sim') },
    covered: (Object.keys(COVERED) as ClassName[]).map((name) => ({ name, how: COVERED[name]! })),
    skipped: plan.skipped,
    skippedVariants: plan.skippedVariants,
    injections: reports,
    setup: {
      policy: LAB_POLICY_INPUT,
      probes: LAB_PROBES,
      fence: LAB_FENCE,
      realTimeouts: LAB_REAL_TIMEOUTS,
      labTimingsMs: LAB_TIMINGS,
      simTimings: SIM_TIMINGS,
      simLatency: SIM_LATENCY,
      episodeLimitSeconds: LAB_EPISODE_LIMIT_MS / 1000,
    },
    leftoverProcesses: liveLabProcesses(),
  };
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export interface RealCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  tty: boolean;
}

/**
 * The `--real` branch of benchMain (bench/crash-bench.ts), with its already parsed options.
 * Returns the exit code: 0 when every path agrees, 1 when one disagrees (or a side failed).
 */
export async function realMain(
  o: { n: number; seed: number | string; mix: Mix; deckSize: number; out?: string; json?: string; command: string },
  io: RealCliIo,
): Promise<{ code: number; real: RealBenchResult }> {
  const abort = new AbortController();
  let labCleanup: (() => Promise<void>) | null = null;
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    abort.abort();
    io.err(`bench --real: ${sig}: stopping the lab (every peer process is stopped)\n`);
    // Bounded: the exit hook (and the reaper) kill whatever the cleanup did not get to.
    const done = (): never => process.exit(130);
    setTimeout(done, 15_000).unref();
    void (labCleanup ? labCleanup() : Promise.resolve()).then(done, done);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RealBenchResult;
  try {
    result = await runRealBench({
      n: o.n,
      seed: o.seed,
      mix: o.mix,
      deckSize: o.deckSize,
      signal: abort.signal,
      onLab: (c) => (labCleanup = c),
      ...(io.tty ? { log: (line: string) => io.err(`${line}\n`) } : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (o.json) writeOut(o.json, json);
  if (o.out) {
    writeOut(join(o.out, `${REAL_OUT_PREFIX}.json`), json);
    writeOut(join(o.out, `${REAL_OUT_PREFIX}.md`), renderRealMarkdown(result, o.command));
  }
  const r = result.overall.real;
  const s = result.overall.sim;
  io.out(
    `bench --real: ${result.replayed} injections (seed ${result.seed}) in ${result.wallSeconds} s: ${result.agree} agree, ${result.disagree} disagree; ` +
      `service back real mean ${r.service.mean} s (max ${r.service.max}) vs sim ${s.service.mean} s (max ${s.service.max}); ` +
      `all healthy real mean ${r.recovered.mean} s vs sim ${s.recovered.mean} s\n`,
  );
  for (const inj of result.injections.filter((i) => !i.agree)) {
    io.err(`bench --real: #${inj.index} ${inj.cls} ${inj.targets.join(',')} disagrees:\n  ${inj.differences.join('\n  ')}\n`);
  }
  const ok = result.replayed === o.n && result.disagree === 0 && result.leftoverProcesses === 0;
  if (result.replayed < o.n) io.err(`bench --real: only ${result.replayed} of ${o.n} injections replayed\n`);
  if (result.leftoverProcesses > 0) io.err(`bench --real: ${result.leftoverProcesses} lab processes still running\n`);
  return { code: ok ? 0 : 1, real: result };
}
