/**
 * The controller's life cycle and its loop: probes every target on schedule (bounded concurrency),
 * feeds the results to each target's recovery machine, writes what happened, and executes the
 * actions the machines ask for. Level-triggered: each cycle reads the full observed state; nothing
 * depends on what woke it. The work is done by one part per concern, wired here:
 * inventory.ts (the index and placement), target-runtime.ts (machines, persistence, dispatch),
 * probing.ts, stale-copies.ts and operator-commands.ts.
 */
import { createRecoveryMachine, type HostSpec, type HostWatchdog, type RungNumber, type TargetId, type VmSpec } from '../core/index.js';
import type { BootDevice, Env, Logger } from '../env/env.js';
import { forEachLimited } from '../env/timing.js';
import { errorText } from '../errors.js';
import type { Store } from '../store/types.js';
import { ActionLocks } from './action-locks.js';
import { ControllerEvents, type ControllerEvent } from './controller-events.js';
import { ActionExecutor } from './executor.js';
import { DEFAULT_FENCE_OPTIONS } from './fence.js';
import { HostContact } from './host-contact.js';
import { executorInventory, InventoryIndex } from './inventory.js';
import { OperatorCommands } from './operator-commands.js';
import type { ControllerOptions } from './options.js';
import { Probing } from './probing.js';
import { SafetyGate, SelfCheckRunner, StormGuard } from './safety/index.js';
import { IncidentRecorder } from './recorder.js';
import { fencedStore } from '../store/fenced-store.js';
import { SideWrites } from './side-writes.js';
import { StaleCopyRemoval } from './stale-copies.js';
import { StoreWrites } from './store-writes.js';
import { TargetRuntimes } from './target-runtime.js';
import type { ControllerApi, ControllerHealth, HostPowerOp, TargetStatus } from './types.js';

export type { ControllerEvent } from './controller-events.js';
export type { ControllerOptions, ProbeSettings } from './options.js';
export { phaseOf } from './target-runtime.js';

export class Controller implements ControllerApi {
  readonly store: Store;
  private readonly env: Env;
  private readonly log: Logger;
  private readonly index = new InventoryIndex();
  private readonly events = new ControllerEvents();
  private readonly sideWrites = new SideWrites();
  /** One action per target, for the ladder, the stale-copy removal and operator commands alike. */
  private readonly locks = new ActionLocks();
  private readonly storeWrites: StoreWrites;
  private readonly runtimes: TargetRuntimes;
  private readonly probing: Probing;
  private readonly commands: OperatorCommands;
  private readonly stormGuard: StormGuard;
  private readonly safetyGate: SafetyGate;
  private readonly selfCheck: SelfCheckRunner;
  private timer: unknown = null;
  private running = false;
  private probeCycles = 0;
  private startedAt = 0;
  private leadershipOff: (() => void) | null = null;
  /** A term being begun (the store read at a takeover); idle() waits for it. */
  private termStarting: Promise<void> | null = null;

  constructor(private readonly opts: ControllerOptions) {
    const { env, policy, leadership } = opts;
    // With a leadership, every leader's write carries its epoch and a refusal ends its term.
    const store = leadership ? fencedStore(opts.store, () => leadership.fence(), (e) => leadership.lose(e.message)) : opts.store;
    const fencingToken = opts.fencingToken ?? (leadership ? () => leadership.epoch : undefined);
    this.env = env;
    this.store = store;
    this.log = env.log;
    this.storeWrites = new StoreWrites(env.clock, env.log);
    const index = this.index;
    const events = this.events;
    const sideWrites = this.sideWrites;
    const recorder = new IncidentRecorder(store, env.log, leadership?.holder ?? 'controller');
    this.stormGuard = new StormGuard(policy.safety.stormGuard, env.log);
    this.selfCheck = new SelfCheckRunner({ clock: env.clock, witnesses: env.witnesses, store, timeoutMs: opts.probes.timeoutMs });
    this.safetyGate = new SafetyGate({
      policy,
      witnesses: env.witnesses,
      guard: this.stormGuard,
      log: env.log,
      view: {
        host: (name) => index.hosts.get(name),
        vmHost: (name) => index.vms.get(name)?.currentHost,
        hostHealthy: (name) => {
          const rt = this.runtimes.of('host', name);
          return rt !== undefined && rt.phase === 'healthy' && rt.lastProbeHealthy;
        },
        lastObservation: (name) => this.runtimes.of('host', name)?.lastObservation ?? null,
        hostNames: () => index.sortedHostNames(),
      },
    });
    const executor = new ActionExecutor({
      env,
      policy,
      gate: this.safetyGate,
      fence: { ...(opts.fence ?? DEFAULT_FENCE_OPTIONS), silenceMarginMs: opts.probes.intervalMs + opts.probes.timeoutMs },
      inventory: executorInventory({
        index,
        store,
        track: (write) => sideWrites.track(write),
        usable: (name) => {
          const rt = this.runtimes.of('host', name);
          return rt !== undefined && rt.phase === 'healthy' && rt.lastProbeHealthy;
        },
        silentSince: (name) => this.runtimes.of('host', name)?.silentSince ?? null,
      }),
    });
    const locks = this.locks;
    const staleCopies = new StaleCopyRemoval({ env, executor, recorder, events, sideWrites, locks, fencingToken });
    this.runtimes = new TargetRuntimes({
      env,
      store,
      log: env.log,
      machine: createRecoveryMachine(policy),
      recorder,
      executor,
      index,
      events,
      sideWrites,
      locks,
      storeWrites: this.storeWrites,
      fencingToken,
      reinstallDeadlineMs: policy.reinstallDeadlineSeconds * 1000,
      isRunning: () => this.running,
      hostTurnedHealthy: (host, incidentId) => void staleCopies.afterHostHealthy(this.runtimes.idOf('host', host.name), host, incidentId),
    });
    const contact = new HostContact({ env, index, staleCopies, callTimeoutMs: opts.probes.timeoutMs });
    const lastContacts = { write: (name: string, at: number | null) => sideWrites.track(store.setHostLastContact(name, at)) };
    this.probing = new Probing({ env, policy, probes: opts.probes, index, runtimes: this.runtimes, unchangedSinceLastProbe: opts.unchangedSinceLastProbe, onProbeHintChange: opts.onProbeHintChange, contact, lastContacts });
    this.commands = new OperatorCommands({ env, store, policy, index, runtimes: this.runtimes, executor, events, locks, fence: opts.fence });
  }

  // ---- life cycle -------------------------------------------------------------------------

  /**
   * Without a leadership: begins at once. With one: starts the lease; each term it wins begins
   * acting (from what the store holds then) and each term it loses stops acting at once.
   * Throws when the leadership refuses to start (a second controller on one SQLite file).
   */
  async start(opts: { schedule?: boolean } = {}): Promise<void> {
    this.startedAt = this.env.clock.now();
    const leadership = this.opts.leadership;
    if (!leadership) return this.beginTerm(opts);
    this.leadershipOff ??= leadership.onChange((leading, reason) => {
      if (leading) this.termStarting = this.beginTerm(opts).catch((e) => this.log.error({ error: errorText(e) }, 'taking over failed'));
      else void this.endTerm(reason);
    });
    await leadership.start();
  }

  /** Loads inventory and persisted machines, resumes interrupted actions, starts probing. */
  private async beginTerm(opts: { schedule?: boolean }): Promise<void> {
    this.forgetTargets();
    const [hosts, vms, states] = await Promise.all([this.store.listHosts(), this.store.listVms(), this.store.listTargetStates()]);
    const snapshots = new Map(states.map((s) => [s.targetId, s.snapshot]));
    for (const h of hosts) this.index.hosts.set(h.name, h);
    for (const v of vms) this.index.vms.set(v.name, v);
    for (const h of hosts) this.runtimes.add('host', h.name, snapshots.get(this.runtimes.idOf('host', h.name)));
    for (const v of vms) this.runtimes.add('vm', v.name, snapshots.get(this.runtimes.idOf('vm', v.name)));
    this.runtimes.resumeInterruptedActions();
    this.log.info({ hosts: hosts.length, vms: vms.length, restored: states.length }, 'controller started');
    this.running = true;
    if (opts.schedule !== false) this.scheduleCycle(0);
  }

  /** Stops probing and waits for store writes; actions in flight stay recorded and resume at next start. */
  async stop(): Promise<void> {
    this.leadershipOff?.();
    this.leadershipOff = null;
    await this.opts.leadership?.stop();
    await this.halt();
  }

  /** The term ended (lease lost, refused or released): no more probing nor acting. */
  private async endTerm(reason: string): Promise<void> {
    if (!this.running) return;
    this.log.warn({ reason }, 'not the leader any more: acting stops');
    await this.halt();
  }

  /** A new term starts from the store: what this controller knew from an earlier term may be stale. */
  private forgetTargets(): void {
    for (const rt of this.runtimes.sorted()) this.runtimes.drop(rt.id);
    for (const name of [...this.index.vms.keys()]) this.index.vms.delete(name);
    for (const name of [...this.index.hosts.keys()]) this.index.hosts.delete(name);
  }

  private async halt(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.env.clock.clearTimeout(this.timer);
    this.timer = null;
    // A probe cycle in flight is not awaited (in virtual time nobody would advance it); its
    // results are dropped by send() once the controller has stopped.
    await this.idle();
    this.runtimes.stopAll();
    this.log.info({}, 'controller stopped');
  }

  /** Resolves when every target's pending store writes are done (not waiting for actions). */
  async idle(): Promise<void> {
    await this.opts.leadership?.settled();
    await this.termStarting;
    // Loop: a chain may finish by starting a side write and a side write may enqueue on a chain.
    for (let round = 0; round < 10; round++) {
      await Promise.all([...this.runtimes.chains(), ...this.sideWrites.inFlight()]);
      if (this.sideWrites.size === 0) return;
    }
  }

  onEvent(listener: (e: ControllerEvent) => void): () => void {
    return this.events.on(listener);
  }

  private scheduleCycle(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.env.clock.setTimeout(() => {
      this.timer = null;
      const started = this.env.clock.now();
      void this.runCycle()
        .catch((e) => this.log.error({ error: errorText(e) }, 'probe cycle failed'))
        .finally(() => {
          const elapsed = this.env.clock.now() - started;
          this.scheduleCycle(Math.max(0, this.opts.probes.intervalMs - elapsed));
        });
    }, delayMs);
  }

  /** One probe cycle: hosts first (VM verdicts depend on their host), then VMs. */
  async runCycle(): Promise<void> {
    const limit = this.opts.probes.concurrency;
    // Performance (bench, large sites): names sorted once per inventory change, and quiet targets
    // skipped synchronously in the lane (same order, same virtual instant as an async no-op,
    // without a promise per target per cycle).
    // The controller's own vantage point, checked beside the host probes (safety/self-check.ts).
    const selfCheck = this.selfCheck.run().then((r) => this.stormGuard.observeSelfCheck(r));
    await forEachLimited(this.index.sortedHostNames(), limit, (name) => this.probing.hostLane(name));
    this.stormGuard.observeHosts(this.hostVerdicts(), this.env.clock.now());
    await forEachLimited(this.index.sortedVmNames(), limit, (name) => this.probing.vmLane(name));
    await selfCheck;
    this.tickWaitingTargets();
    this.probeCycles++;
  }

  /** Every host and whether its last probe was healthy (maintenance counts as healthy: not a cliff). */
  private hostVerdicts(): Array<{ name: string; healthy: boolean }> {
    return this.index.sortedHostNames().map((name) => {
      const rt = this.runtimes.of('host', name);
      return { name, healthy: rt === undefined || rt.phase === 'maintenance' || rt.lastProbeHealthy };
    });
  }

  /**
   * Deadlines kept in context need a clock tick: an action that never reports (acting) and a held
   * action whose recheck is due (holding). Probes are not sent to these targets while they act.
   */
  private tickWaitingTargets(): void {
    const at = this.env.clock.now();
    // Only the targets recovering or holding, kept on phase changes (not a scan of every target per cycle).
    for (const rt of this.runtimes.waitingTargets()) {
      if (rt.removed || (rt.phase !== 'recovering' && rt.phase !== 'holding')) continue;
      // Only when a deadline is due: a TICK that cannot change anything costs a send per cycle.
      const ctx = rt.actor.getSnapshot().context;
      const due = rt.phase === 'holding' ? ctx.holdUntil : ctx.actingDeadline;
      if (due !== null && due !== undefined && at >= due) this.runtimes.send(rt, { type: 'TICK', at });
    }
  }

  // ---- ControllerApi: status ------------------------------------------------------------------

  async health(): Promise<ControllerHealth> {
    const open = await this.store.listIncidents({ open: true });
    return {
      startedAt: this.startedAt,
      now: this.env.clock.now(),
      env: this.env.name,
      store: this.store.provider,
      targets: this.runtimes.size,
      openIncidents: open.length,
      probeCycles: this.probeCycles,
      safetyGuard: { on: this.stormGuard.state().on, reason: this.stormGuard.state().reason },
      destructiveInFlight: this.safetyGate.limits.inFlight(),
      ...this.storeWrites.health,
      ...this.leadershipHealth(),
    };
  }

  private leadershipHealth(): Pick<ControllerHealth, 'leader' | 'epoch' | 'holder'> {
    const l = this.opts.leadership;
    if (!l) return { leader: true, epoch: null, holder: null };
    const { leader, epoch, holder } = l.status();
    return { leader, epoch, holder };
  }

  /** Maintenance: a leader releases its lease (a standby takes over); false when this controller does not lead. */
  async stepDown(actor: string): Promise<boolean> {
    const l = this.opts.leadership;
    if (!l?.isLeader) return false;
    this.log.info({ actor }, 'stepping down on request');
    await l.stepDown(`step-down requested by ${actor}`);
    return true;
  }

  status(): TargetStatus[] {
    return this.runtimes.sorted().map((rt) => this.commands.statusOf(rt));
  }

  targetStatus(id: TargetId): TargetStatus | null {
    const rt = this.runtimes.get(id);
    return rt ? this.commands.statusOf(rt) : null;
  }

  // ---- ControllerApi: operator commands (operator-commands.ts) ------------------------------

  addHost(spec: HostSpec, actor: string) {
    return this.commands.addHost(spec, actor);
  }
  recordWatchdog(name: string, watchdog: HostWatchdog | null, actor: string) {
    return this.commands.recordWatchdog(name, watchdog, actor);
  }
  removeHost(name: string, actor: string) {
    return this.commands.removeHost(name, actor);
  }
  addVm(spec: VmSpec, actor: string) {
    return this.commands.addVm(spec, actor);
  }
  removeVm(name: string, actor: string) {
    return this.commands.removeVm(name, actor);
  }
  setMaintenance(id: TargetId, on: boolean, actor: string) {
    return this.commands.setMaintenance(id, on, actor);
  }
  release(id: TargetId, actor: string) {
    return this.commands.release(id, actor);
  }
  triggerRung(id: TargetId, rung: RungNumber, actor: string) {
    return this.commands.triggerRung(id, rung, actor);
  }
  confirmHostOff(hostName: string, actor: string) {
    return this.commands.confirmHostOff(hostName, actor);
  }
  hostPower(name: string, op: HostPowerOp, actor: string) {
    return this.commands.hostPower(name, op, actor);
  }
  hostBootDevice(name: string, device: BootDevice, actor: string) {
    return this.commands.hostBootDevice(name, device, actor);
  }
  hostFence(name: string, actor: string) {
    return this.commands.hostFence(name, actor);
  }
  hostProbe(name: string) {
    return this.commands.hostProbe(name);
  }
  vmProbe(name: string) {
    return this.commands.vmProbe(name);
  }
  vmPower(name: string, op: 'reboot' | 'restart', actor: string) {
    return this.commands.vmPower(name, op, actor);
  }
  vmMove(name: string, toHost: string, actor: string) {
    return this.commands.vmMove(name, toHost, actor);
  }
}

export function createController(opts: ControllerOptions): Controller {
  return new Controller(opts);
}
