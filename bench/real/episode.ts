/**
 * One injection, run twice with the same rack, policy and fault script: in the real lab on the
 * wall clock (lab.ts) and in the simulator on a virtual clock. Both sides use the same controller
 * code, the same observer (when is it over, how long did it take) and the same path extraction
 * (what the controller decided and did, read back from its store).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { createController, type Controller, type ControllerEvent } from '../../src/controller/index.js';
import { actionResultProblem } from '../../src/core/action-result.js';
import type { Policy } from '../../src/core/policy.js';
import type { ActionKind, ActionOutcome, IncidentState, TargetPhase } from '../../src/core/types.js';
import type { SignatureCode } from '../../src/core/signature.js';
import type { Logger } from '../../src/env/env.js';
import { parseFaultCommand } from '../../src/env/sim/index.js';
import { buildSimRack } from '../../src/sim-rack/index.js';
import { MemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import type { TargetStatus } from '../../src/controller/types.js';
import type { ClassName, Step } from '../classes.js';
import {
  LAB_EPISODE_LIMIT_MS,
  LAB_FENCE,
  LAB_PROBES,
  LAB_STABLE_MS,
  LAB_TIMINGS,
  SIM_LATENCY,
  SIM_TIMINGS,
  simSpecs,
} from './lab-config.js';
import { judgedEnv } from './episode-env.js';
import type { LabTopology } from '../../test/lab/real-lab/topology.js';
import { trackedEnv } from '../../test/lab/real-lab/tracked-env.js';
import { bounded, startLab, type Lab } from '../../test/lab/real-lab/lab.js';
import type { LabKeys } from '../../test/lab/real-lab/lab-sshd.js';

export interface Injection {
  /** Position in the sim bench's seeded deck. */
  index: number;
  cls: ClassName;
  variant: string;
  targets: string[];
  steps: Step[];
  topology: LabTopology;
}

export interface IncidentPath {
  target: string;
  signature: SignatureCode;
  entryRung: number;
  actions: Array<{ kind: ActionKind; outcome: ActionOutcome | 'running' }>;
  state: IncidentState;
}

export interface SidePath {
  incidents: IncidentPath[];
  /** Every target's phase at the end. */
  finalPhases: Record<string, TargetPhase>;
  /** VM -> host, from the store at the end. */
  placement: Record<string, string>;
}

export interface SideResult {
  path: SidePath;
  /** Every target healthy, no incident open, for LAB_STABLE_MS, before the limit. */
  completed: boolean;
  /** Injection -> first incident opened. */
  detectSeconds: number | null;
  /** Injection -> the last VM that left healthy is healthy again (null: no VM was affected). */
  serviceSeconds: number | null;
  /** Injection -> every target healthy and no incident open (the last change before the stable window). */
  recoveredSeconds: number | null;
  wallSeconds: number;
  /** Lab only: what the lab failed to do, and VMs seen live on two hosts. */
  problems: string[];
  /** Controller events after the injection (seconds from it): phases with the signature, actions. */
  trace: string[];
  /** Real side: where the wall time went (lab start, settling healthy, the episode, cleanup). */
  wall?: { setup: number; settle: number; episode: number; cleanup: number };
  /**
   * Real side: probes that saw a target down while the lab had it up for the whole probe (BMC,
   * sshd, hypervisor, guest and service all there and unchanged): the machine was too loaded
   * to answer within the check deadlines. Evidence that a disagreement is the lab's, not the sim's.
   */
  falseObservations?: string[];
  /**
   * Real side: probes that failed fast although the lab had the target up: not load, something
   * real the sim does not model (reported, no retry).
   */
  staleObservations?: string[];
  /** Real side: the largest event-loop delay of the bench process during the episode (ms) and the load average at its start. */
  load?: { eventLoopMaxMs: number; loadAverage1m: number };
  /** Set when the side could not run (the lab did not start or settle...). */
  error?: string;
  /** Real side: the lab did not start or did not settle healthy before the injection. */
  labFailed?: boolean;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Watches controller events after the injection (the same code on both sides). */
export class EpisodeObserver {
  injectedAt: number | null = null;
  private readonly open = new Set<string>();
  private trouble = false;
  private firstIncidentAt: number | null = null;
  private readonly affectedVms = new Set<string>();
  private lastVmBackAt: number | null = null;
  private lastChangeAt: number | null = null;
  private healthySince: number | null = null;
  recoveredAt: number | null = null;
  /** Set when the episode is over (what happens during the teardown is not judged). */
  ended = false;
  readonly trace: string[] = [];

  constructor(private readonly signatureOf: (id: string) => string | null = () => null) {}

  private note(at: number, line: string): void {
    if (this.injectedAt === null || this.trace.length >= 400) return;
    this.trace.push(`+${((at - this.injectedAt) / 1000).toFixed(2)} ${line}`);
  }

  onEvent(e: ControllerEvent): void {
    if (this.injectedAt === null) return;
    if (e.type === 'phase') this.note(e.at, `${e.targetId} ${e.from} -> ${e.to} (${this.signatureOf(e.targetId) ?? '-'})`);
    if (e.type === 'action-done') {
      this.note(e.at, `${e.targetId} ${e.action.kind} ${e.result.outcome === 'ok' ? 'ok' : `${e.result.outcome}: ${actionResultProblem(e.result) ?? ''}`} (started +${((e.startedAt - this.injectedAt) / 1000).toFixed(2)})`);
    }
    if (e.type === 'emitted' && e.event.type === 'incident.opened') this.note(e.event.at, `${e.targetId} incident ${e.event.incidentId} opened: ${e.event.signature}`);
    if (e.type === 'emitted') {
      const ev = e.event;
      this.lastChangeAt = Math.max(this.lastChangeAt ?? 0, ev.at);
      if (ev.type === 'incident.opened') {
        this.open.add(ev.incidentId);
        this.trouble = true;
        this.firstIncidentAt ??= ev.at;
      } else if (ev.type === 'incident.resolved' || ev.type === 'incident.closed') {
        this.open.delete(ev.incidentId);
      }
    } else if (e.type === 'phase') {
      this.lastChangeAt = Math.max(this.lastChangeAt ?? 0, e.at);
      const vm = e.targetId.startsWith('vm:');
      if (e.to !== 'healthy' && e.to !== 'suspect') {
        this.trouble = true;
        if (vm) this.affectedVms.add(e.targetId);
      }
      if (e.to === 'healthy' && vm && this.affectedVms.has(e.targetId)) this.lastVmBackAt = e.at;
    }
  }

  /** Over: trouble was seen and everything has been healthy, nothing open, for `stableMs`. */
  done(now: number, status: TargetStatus[], stableMs: number): boolean {
    const calm = this.trouble && this.open.size === 0 && status.every((s) => s.phase === 'healthy');
    if (!calm) {
      this.healthySince = null;
      this.recoveredAt = null;
      return false;
    }
    if (this.healthySince === null) {
      this.healthySince = now;
      this.recoveredAt = this.lastChangeAt ?? now;
    }
    return now - this.healthySince >= stableMs;
  }

  times(completed: boolean): Pick<SideResult, 'detectSeconds' | 'serviceSeconds' | 'recoveredSeconds'> {
    const since = (t: number | null) => (t === null || this.injectedAt === null ? null : round((t - this.injectedAt) / 1000));
    const allBack = [...this.affectedVms].length > 0 && completed;
    return {
      detectSeconds: since(this.firstIncidentAt),
      serviceSeconds: allBack ? since(this.lastVmBackAt) : null,
      recoveredSeconds: completed ? since(this.recoveredAt) : null,
    };
  }
}

/** What the controller decided and did, from its store, in a stable order. */
export async function collectPath(controller: Controller, store: Store): Promise<SidePath> {
  const incidents: IncidentPath[] = [];
  const records = (await store.listIncidents()).sort((a, b) => (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : a.detectedAt - b.detectedAt));
  for (const rec of records) {
    const detail = await store.getIncident(rec.id);
    const actions = [...(detail?.actions ?? [])]
      .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1))
      .map((a) => ({ kind: a.kind, outcome: a.outcome ?? ('running' as const) }));
    incidents.push({ target: rec.targetId, signature: rec.signature, entryRung: rec.entryRung, actions, state: rec.state });
  }
  const finalPhases: Record<string, TargetPhase> = {};
  for (const s of controller.status()) finalPhases[s.targetId] = s.phase;
  const placement: Record<string, string> = {};
  for (const v of (await store.listVms()).sort((a, b) => (a.name < b.name ? -1 : 1))) placement[v.name] = v.currentHost;
  return { incidents, finalPhases, placement };
}

function emptyPath(): SidePath {
  return { incidents: [], finalPhases: {}, placement: {} };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The lab itself failed (did not start, did not settle healthy): no comparison was possible. */
export class LabError extends Error {}

export interface RealContext {
  keys: LabKeys;
  /** Parent of every lab directory of the run. */
  runDir: string;
  policy: Policy;
  log: Logger;
  /** The run registers the lab's cleanup here while it exists (Ctrl-C). */
  onLab?: (cleanup: (() => Promise<void>) | null) => void;
}

/** The injection in the real lab, in real time. Never throws: a failure is `error`. */
export async function runRealEpisode(inj: Injection, ctx: RealContext): Promise<SideResult> {
  const wallStart = performance.now();
  const dir = join(ctx.runDir, `injection-${inj.index}`);
  mkdirSync(dir, { recursive: true });
  let lab: Lab | null = null;
  let controller: Controller | null = null;
  const inflight = new Set<Promise<unknown>>();
  const observer = new EpisodeObserver((id) => controller?.targetStatus(id as `vm:${string}`)?.signature ?? null);
  let result: SideResult | null = null;
  const marks: number[] = [];
  const mark = () => marks.push(performance.now());
  const judged = { slow: [] as string[], fast: [] as string[] };
  const loop = monitorEventLoopDelay({ resolution: 20 });
  const loadAverage1m = Math.round(loadavg()[0]! * 100) / 100;
  try {
    lab = await startLab({
      topology: inj.topology,
      timings: LAB_TIMINGS,
      keys: ctx.keys,
      dir,
      log: ctx.log,
      hypervisorRestartCommand: ctx.policy.hypervisorRestartCommand,
      hostRebootCommand: ctx.policy.hostRebootCommand,
    });
    ctx.onLab?.(lab.cleanup);
    mark();
    const store = new MemoryStore({ now: () => Date.now() });
    for (const h of lab.hosts) await store.addHost(h);
    for (const v of lab.vms) await store.addVm(v);
    const c = createController({ env: judgedEnv(trackedEnv(lab.env, inflight), lab, observer, judged), store, policy: ctx.policy, probes: { ...LAB_PROBES }, fence: LAB_FENCE });
    controller = c;
    c.onEvent((e) => observer.onEvent(e));
    await c.start();
    // Settled: every target probed healthy recoverAfter times (a few cycles), bounded.
    const first = (await c.health()).probeCycles;
    let settled = false;
    for (let i = 0; i < 300 && !settled; i++) {
      await delay(100);
      const cycles = (await c.health()).probeCycles;
      settled = cycles >= first + ctx.policy.recoverAfter && c.status().every((s) => s.phase === 'healthy');
    }
    if (!settled) throw new LabError(`the lab did not settle healthy within 30 s: ${c.status().filter((s) => s.phase !== 'healthy').map((s) => `${s.targetId} ${s.phase} ${s.signature ?? ''}`).join(', ')}`);

    mark();
    observer.injectedAt = Date.now();
    loop.enable();
    const timers: NodeJS.Timeout[] = [];
    const faultErrors: string[] = [];
    const apply = (lines: string[]) =>
      Promise.all(lines.map((l) => lab!.applyFault(l))).catch((e: unknown) => void faultErrors.push(String(e)));
    for (const step of inj.steps) {
      if (step.offset === 0) await apply(step.lines);
      else timers.push(setTimeout(() => void apply(step.lines), step.offset * 1000));
    }
    const limit = observer.injectedAt + LAB_EPISODE_LIMIT_MS;
    let completed = false;
    for (let i = 0; i < LAB_EPISODE_LIMIT_MS / 100 + 10 && Date.now() < limit; i++) {
      await delay(100);
      if (observer.done(Date.now(), c.status(), LAB_STABLE_MS)) {
        completed = true;
        break;
      }
    }
    for (const t of timers) clearTimeout(t);
    observer.ended = true;
    loop.disable();
    mark();
    const path = await collectPath(c, store);
    const problems = [...faultErrors, ...lab.machines.problems, ...lab.machines.violations.map((v) => `VM on two hosts: ${v}`)];
    result = { path, completed, ...observer.times(completed), wallSeconds: 0, problems, trace: observer.trace };
  } catch (e) {
    result = {
      labFailed: e instanceof LabError || lab === null,
      path: controller ? await collectPath(controller, controller.store).catch(() => emptyPath()) : emptyPath(),
      completed: false,
      detectSeconds: null,
      serviceSeconds: null,
      recoveredSeconds: null,
      wallSeconds: 0,
      problems: lab ? [...lab.machines.problems] : [],
      trace: observer.trace,
      error: e instanceof Error ? e.message : String(e),
    };
  } finally {
    // Stop the controller, let driver calls in flight settle (each has its own deadline), then
    // stop every peer and remove the directory.
    if (controller) await bounded(controller.stop(), 10_000, 'controller.stop()').catch(() => undefined);
    await bounded(
      (async () => {
        for (let i = 0; i < 100 && inflight.size > 0; i++) await Promise.all([...inflight]);
      })(),
      10_000,
      'driver calls in flight',
    ).catch(() => undefined);
    if (lab) await lab.cleanup().catch((e: unknown) => result?.problems.push(`cleanup: ${String(e)}`));
    ctx.onLab?.(null);
    rmSync(dir, { recursive: true, force: true });
  }
  const end = performance.now();
  loop.disable();
  result.falseObservations = judged.slow;
  result.staleObservations = judged.fast;
  result.load = { eventLoopMaxMs: Math.round(loop.max / 1e6), loadAverage1m };
  result.wallSeconds = round((end - wallStart) / 1000);
  if (marks.length === 3) {
    const [a, b, c] = marks as [number, number, number];
    const sec = (x: number) => Math.round(x) / 1000;
    result.wall = { setup: sec(a - wallStart), settle: sec(b - a), episode: sec(c - b), cleanup: sec(end - c) };
  }
  return result;
}

/** The same injection in the simulator, on a virtual clock. Never throws: a failure is `error`. */
export async function runSimEpisode(inj: Injection, policy: Policy, seed: number | string): Promise<SideResult> {
  const wallStart = performance.now();
  const { hosts, vms } = simSpecs(inj.topology);
  let controller: Controller | null = null;
  let store: Store | null = null;
  const observer = new EpisodeObserver((id) => controller?.targetStatus(id as `vm:${string}`)?.signature ?? null);
  try {
    const rack = await buildSimRack({
      hosts,
      vms,
      start: Date.UTC(2026, 0, 1),
      clockSettle: 'microtasks',
      seed: `${seed}/real/${inj.index}`,
      world: { timings: SIM_TIMINGS, watchdogSeconds: null },
      // No `unchanged` hint: every target probed every cycle, as in the lab.
      simEnv: {
        probeHints: false,
        latency: SIM_LATENCY,
        hypervisorRestartCommand: policy.hypervisorRestartCommand,
        rebootCommands: [policy.hostRebootCommand, 'reboot'],
      },
      policy,
      probes: { ...LAB_PROBES },
      controller: { fence: LAB_FENCE },
      recordEvents: false,
    });
    const { clock, world } = rack;
    const c = rack.controller;
    controller = c;
    store = rack.store;
    c.onEvent((e) => observer.onEvent(e));
    await c.start();
    await clock.advanceBy((policy.recoverAfter + 2) * LAB_PROBES.intervalMs);
    if (!c.status().every((s) => s.phase === 'healthy')) throw new Error('the simulated rack did not settle healthy');
    // Mid-cycle, as a real injection lands at no particular moment of the probe cycle.
    await clock.advanceBy(LAB_PROBES.intervalMs / 2);
    observer.injectedAt = clock.now();
    const apply = (lines: string[]) => {
      for (const l of lines) world.applyFault(parseFaultCommand(l));
    };
    for (const step of inj.steps) {
      if (step.offset === 0) apply(step.lines);
      else clock.setTimeout(() => apply(step.lines), step.offset * 1000);
    }
    const completed = await clock.runUntil(() => observer.done(clock.now(), c.status(), LAB_STABLE_MS), {
      maxTime: observer.injectedAt + LAB_EPISODE_LIMIT_MS,
    });
    const path = await collectPath(c, store);
    const stopping = c.stop();
    await clock.advanceBy(30_000);
    await stopping;
    return { path, completed, ...observer.times(completed), wallSeconds: round((performance.now() - wallStart) / 1000), problems: [], trace: observer.trace };
  } catch (e) {
    return {
      path: controller && store ? await collectPath(controller, store).catch(() => emptyPath()) : emptyPath(),
      completed: false,
      detectSeconds: null,
      serviceSeconds: null,
      recoveredSeconds: null,
      wallSeconds: round((performance.now() - wallStart) / 1000),
      problems: [],
      trace: observer.trace,
      error: e instanceof Error ? e.message : String(e),
    };
  }
}
