/**
 * One bench run: the real controller (machines, ladder, policy, executor, memory store) on the
 * simulated rack on a virtual clock, with crash injections arriving over time (Poisson, mean
 * `meanIntervalSeconds`) on random healthy targets, so incidents overlap and compete for spares.
 * The Tracker referees; a simulated operator releases what the controller hands over to a person.
 */
import type { Controller } from '../src/controller/index.js';
import type { Policy } from '../src/core/policy.js';
import type { TargetId } from '../src/core/types.js';
import type { Logger } from '../src/env/env.js';
import { parseFaultCommand, Random, type SimLatency, type VirtualClock, type World } from '../src/env/sim/index.js';
import { buildSimRack } from '../src/sim-rack/index.js';
import { CLASS_NAMES, crashClass, type ClassName } from './classes.js';
import { buildCluster } from './cluster.js';
import { apportion } from './stats.js';
import { emptyHarmTally } from './harm.js';
import { AGENT_WATCHDOG, benchPolicy, type Profile, type RackWatchdog, type Strategy } from './profiles.js';
import { Tracker, type Injection } from './tracker.js';

export type Mix = Partial<Record<ClassName, number>>;

export interface BenchConfig {
  injections: number;
  seed: number | string;
  hosts: number;
  spares: number;
  vms: number;
  mix: Mix;
  /** Mean time between two injections (exponential inter-arrival times). */
  meanIntervalSeconds: number;
  /** What the rack is assumed to have (profiles.ts); sets watchdog and selfFenceAfterSeconds. */
  profile: Profile;
  /** The recovery strategy the controller runs (profiles.ts: ours or the talk's reference). */
  strategy: Strategy;
  /** The watchdog every host runs and declares (null: none). */
  watchdog: RackWatchdog | null;
  /** policy.selfFenceAfterSeconds when the profile changes it (undefined: the shipped default). */
  selfFenceAfterSeconds?: number;
  /** The simulated operator acts on a quarantined / waiting target this long after it stopped. */
  operatorDelaySeconds: number;
  probeIntervalSeconds: number;
  probeConcurrency: number;
  /** After the last injection: how long at most to wait for everything to close. */
  drainSeconds: number;
  /** An injection not recovered and repaired after this long is closed as never recovered. */
  giveUpSeconds: number;
  /** The sim's `unchanged` probe hint (false: every target probed every cycle). */
  probeHints: boolean;
  /** Virtual clock settle: `exact` (watching Node's queues after every timer) or `fast` (one turn; same results without real I/O). */
  clockMode: 'exact' | 'fast';
  /** Sim protocol latencies (tests); default the sim's. */
  latency?: Partial<SimLatency>;
  onProgress?: (finalized: number, total: number) => void;
  /** Debugging: the controller's log (default: silent). */
  log?: Logger;
  /** Debugging: called once the run is built, before the controller starts (bench/trace.ts). */
  observe?: (run: { world: World; controller: Controller; tracker: Tracker; clock: VirtualClock }) => void;
}

export const DEFAULT_CONFIG: Omit<BenchConfig, 'mix'> = {
  injections: 10_000,
  seed: 1,
  hosts: 20,
  spares: 2,
  vms: 200,
  meanIntervalSeconds: 120,
  profile: 'defaults',
  strategy: 'ours',
  watchdog: AGENT_WATCHDOG,
  operatorDelaySeconds: 900,
  probeIntervalSeconds: 5,
  probeConcurrency: 32,
  drainSeconds: 6 * 3600,
  giveUpSeconds: 12 * 3600,
  probeHints: true,
  clockMode: 'fast',
};

export interface BenchRun {
  config: BenchConfig;
  policy: Policy;
  injections: Injection[];
  tracker: Tracker;
  /** Incidents still open in the store at the end, and opened ones missing from it. */
  openAtEnd: string[];
  missingInStore: string[];
  deferred: number;
  operatorActions: { releases: number; confirmOff: number };
  virtualSeconds: number;
  timersFired: number;
  timersScheduled: number;
  watchdogResets: number;
  wallSeconds: number;
}

/** The virtual epoch of every bench run. */
const BENCH_START = Date.UTC(2026, 0, 1);

/** The class of every injection, in arrival order: exact counts from the mix, shuffled by the seed. */
export function injectionDeck(mix: Mix, total: number, random: Random): ClassName[] {
  const counts = apportion(CLASS_NAMES.map((c) => [c, Math.max(0, mix[c] ?? 0)] as const), total);
  const deck: ClassName[] = [];
  for (const c of CLASS_NAMES) for (let i = 0; i < counts.get(c)!; i++) deck.push(c);
  for (let i = deck.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  return deck;
}

export async function runBench(config: BenchConfig): Promise<BenchRun> {
  const wallStart = performance.now();
  const root = new Random(`3rc-bench/${config.seed}`);
  const cluster = buildCluster(config, root.fork('cluster'));
  const vms = cluster.vms;
  // The world's watchdog is declared on every host (the controller self-fences only hosts that
  // declare one: do no harm).
  const wd = config.watchdog;
  const hosts = wd === null ? cluster.hosts : cluster.hosts.map((h) => ({ ...h, watchdog: { kind: wd.kind, leaseTimeoutSeconds: wd.leaseSeconds } }));
  const { clock, world, store, policy, controller } = await buildSimRack({
    hosts,
    vms,
    start: BENCH_START,
    clockSettle: config.clockMode === 'exact' ? 'node' : 'microtasks',
    seed: `${config.seed}/world`,
    world: wd === null ? { watchdogSeconds: null } : { watchdogSeconds: wd.resetAfterSeconds, watchdogContact: wd.contact },
    // The rack's BMCs report boot progress (a failed boot, a running OS), as the real IPMI driver
    // reads it from the SEL (src/drivers/ipmi-sel.ts): on in every profile.
    simEnv: { probeHints: config.probeHints, bootProgress: true, ...(config.latency ? { latency: config.latency } : {}) },
    policy: benchPolicy(config.selfFenceAfterSeconds, config.strategy),
    probes: { intervalMs: config.probeIntervalSeconds * 1000, timeoutMs: 3000, concurrency: config.probeConcurrency },
    ...(config.log ? { log: config.log } : {}),
    recordEvents: false,
  });
  const tracker = new Tracker(world);
  world.onChange((e) => tracker.onWorldEvent(e));
  const operator = new Operator(controller, world, tracker, clock, config.operatorDelaySeconds);
  config.observe?.({ world, controller, tracker, clock });
  controller.onEvent((e) => {
    tracker.onControllerEvent(e, clock.now());
    if (e.type === 'phase') operator.onPhase(e.targetId, e.to);
  });
  await controller.start();
  await clock.advanceBy(60_000); // every target probed healthy recoverAfter times

  const deck = injectionDeck(config.mix, config.injections, root.fork('deck'));
  const arrivals = root.fork('arrivals');
  const plans = root.fork('plans');
  let issued = 0;
  let deferred = 0;
  let lastProgress = 0;
  tracker.onFinalized = () => {
    if (!config.onProgress) return;
    const now = performance.now();
    if (now - lastProgress > 100 || tracker.finalized === deck.length) {
      lastProgress = now;
      config.onProgress(tracker.finalized, deck.length);
    }
  };

  const scheduleNext = (): void => {
    if (issued >= deck.length) return;
    const gap = -Math.log(1 - arrivals.next()) * config.meanIntervalSeconds * 1000;
    clock.setTimeout(() => inject(issued), Math.round(gap));
  };
  const inject = (index: number): void => {
    const cls = crashClass(deck[index]!);
    const random = plans.fork(`injection-${index}`);
    const targets = pickTargets(tracker, controller, cls.target, cls.hosts?.(random) ?? 1, random);
    if (targets === null) {
      deferred++;
      clock.setTimeout(() => inject(index), 15_000);
      return;
    }
    const plan = cls.plan(random, targets);
    const at = clock.now();
    const lastFault = Math.max(...plan.steps.filter((s) => s.kind === 'fault').map((s) => s.offset));
    const inj: Injection = {
      index, cls: cls.name, variant: plan.variant, at, targets, hosts: cls.target === 'host' ? targets : [], plan, steps: [],
      scriptDone: false, lastFaultAt: at + lastFault * 1000, repairedAt: new Map(), operatorActions: 0, handedOverAt: null, finalizedAt: null, result: null,
      harm: emptyHarmTally(),
    };
    tracker.begin(inj);
    const apply = (line: string) => world.applyFault(parseFaultCommand(line));
    plan.steps.forEach((step, i) => {
      if (step.offset === 0) tracker.applyStep(inj, i, apply);
      else clock.setTimeout(() => tracker.applyStep(inj, i, apply), step.offset * 1000);
    });
    issued++;
    scheduleNext();
  };
  scheduleNext();

  // An injection still open this long is closed as never recovered, so a run always ends.
  const giveUp = (): void => {
    const limit = clock.now() - config.giveUpSeconds * 1000;
    for (const inj of [...tracker.open]) {
      if (inj.at < limit) tracker.finalize(inj, clock.now());
      else tracker.maybeFinalize(inj); // time-bound waits (a controller cut's settle) end here too
    }
    if (issued < deck.length || tracker.open.size > 0) clock.setTimeout(giveUp, 600_000);
  };
  clock.setTimeout(giveUp, 600_000);
  const done = () => issued >= deck.length && tracker.open.size === 0;
  await clock.runUntil(done, { maxTime: Number.MAX_SAFE_INTEGER });
  // Drain: let every incident close (the operator releases what waits for a person).
  const drainEnd = clock.now() + config.drainSeconds * 1000;
  await clock.runUntil(() => tracker.open.size === 0 && tracker.notHealthy.size === 0, { maxTime: drainEnd });
  for (const inj of [...tracker.open]) tracker.finalize(inj, clock.now());
  const stopping = controller.stop();
  await clock.advanceBy(30_000);
  await stopping;
  tracker.harm.close(clock.now());

  const open = await store.listIncidents({ open: true });
  const stored = new Set((await store.listIncidents()).map((i) => i.id));
  return {
    config,
    policy,
    injections: tracker.injections.sort((a, b) => a.index - b.index),
    tracker,
    openAtEnd: open.map((i) => i.id).sort(),
    missingInStore: [...tracker.openedIncidents].filter((id) => !stored.has(id)).sort(),
    deferred,
    operatorActions: { releases: operator.releases, confirmOff: operator.confirmOff },
    virtualSeconds: Math.round((clock.now() - BENCH_START) / 1000),
    timersFired: clock.timersFired,
    timersScheduled: clock.timersScheduled,
    watchdogResets: world.watchdogResets,
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
}

/**
 * Healthy targets nothing else is happening to, sorted, then a seeded pick. A VM: it answers, its
 * host is healthy and free. A host: it answers, carries at least one VM, and none of its VMs is
 * down. Null when there is none right now (the injection waits 15 s and tries again).
 */
function pickTargets(tracker: Tracker, controller: Controller, kind: 'vm' | 'host' | 'controller', count: number, random: Random): string[] | null {
  // The controller's own network is rack-wide: while it is cut the controller can see and do
  // nothing, so a cut runs alone (it waits for a quiet rack, and nothing starts while it lasts);
  // otherwise every recovery it overlaps would be charged the length of the cut.
  if ([...tracker.open].some((i) => i.cls === 'controller-partition')) return null;
  if (kind === 'controller') return tracker.open.size === 0 ? [] : null;
  const healthy = (id: TargetId) => tracker.phase(id) === 'healthy' && controller.targetStatus(id)?.phase === 'healthy';
  if (kind === 'vm') {
    const candidates: string[] = [];
    for (const s of controller.status()) {
      if (s.kind !== 'vm' || s.phase !== 'healthy' || tracker.busyVms.has(s.name)) continue;
      const host = tracker.liveHostOf(s.name);
      if (host === null || tracker.busyHosts.has(host) || !healthy(`host:${host}`) || !tracker.vmAnswers(s.name)) continue;
      candidates.push(s.name);
    }
    return candidates.length === 0 ? null : [random.pick(candidates)];
  }
  const candidates: string[] = [];
  for (const s of controller.status()) {
    if (s.kind !== 'host' || s.phase !== 'healthy' || tracker.busyHosts.has(s.name) || !tracker.hostHealthy(s.name)) continue;
    const vms = tracker.liveVmsOn(s.name);
    if (vms.length === 0 || vms.some((v) => tracker.busyVms.has(v) || !tracker.vmAnswers(v))) continue;
    candidates.push(s.name);
  }
  // Several hosts at once: as many as drawn, or as many as carry VMs now (at least two).
  const take = Math.min(count, candidates.length);
  if (take === 0 || take < Math.min(count, 2)) return null;
  const chosen: string[] = [];
  for (let i = 0; i < take; i++) {
    const j = Math.floor(random.next() * candidates.length);
    chosen.push(candidates.splice(j, 1)[0]!);
  }
  return chosen.sort();
}

/**
 * The person on call, as the controller expects one: `operatorDelaySeconds` after a target was
 * quarantined or started waiting, once its fault episode is over (the partition healed, the part
 * swapped), they release it; a host waiting for a power-off confirmation is unplugged by hand and
 * confirmed off.
 */
class Operator {
  releases = 0;
  confirmOff = 0;
  private readonly scheduled = new Set<TargetId>();

  constructor(
    private readonly controller: Controller,
    private readonly world: World,
    private readonly tracker: Tracker,
    private readonly clock: VirtualClock,
    private readonly delaySeconds: number,
  ) {}

  onPhase(id: TargetId, to: string): void {
    if ((to === 'quarantined' || to === 'awaiting-operator') && !this.scheduled.has(id)) {
      this.scheduled.add(id);
      this.clock.setTimeout(() => this.visit(id), this.delaySeconds * 1000);
    }
  }

  private visit(id: TargetId): void {
    this.scheduled.delete(id);
    const status = this.controller.targetStatus(id);
    if (!status || (status.phase !== 'quarantined' && status.phase !== 'awaiting-operator')) return;
    const name = status.name;
    const inj = id.startsWith('host:') ? this.tracker.busyHosts.get(name) : this.tracker.busyVms.get(name);
    if ((inj && !inj.scriptDone) || this.world.controllerPartitioned) {
      // The fault is still there (or nobody reaches anything from the controller): come back later.
      this.scheduled.add(id);
      this.clock.setTimeout(() => this.visit(id), 300_000);
      return;
    }
    if (inj) inj.operatorActions++;
    if (status.phase === 'awaiting-operator' && status.kind === 'host') {
      this.world.powerOff(name, 'operator pulled the plug');
      this.confirmOff++;
      void this.controller.confirmHostOff(name, 'bench-operator').catch(() => undefined);
      return;
    }
    this.releases++;
    void this.controller.release(id, 'bench-operator').catch(() => undefined);
  }
}
