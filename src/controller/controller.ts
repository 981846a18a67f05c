/**
 * The controller loop: probes every target on schedule (bounded concurrency), feeds the results to
 * each target's recovery machine, writes what happened, and executes the actions the machines ask
 * for. Level-triggered: each cycle reads the full observed state; nothing depends on what woke it.
 */
import { createActor, type Actor, type StateValue } from 'xstate';
import { isBlockedSignature } from '../core/ladder.js';
import { actionResultProblem } from '../core/action-result.js';
import { rungName } from '../core/rungs.js';
import { sumResources, type PlacementCandidate } from '../core/placement.js';
import type { Policy } from '../core/policy.js';
import { currentPenalty, type PendingAction } from '../core/recovery-context.js';
import { createRecoveryMachine, type RecoveryEmitted, type RecoveryEvent, type RecoveryMachine } from '../core/recovery-machine.js';
import { classifyHost, classifyVm, type HostObservation, type PowerState, type Signature, type VmObservation } from '../core/signature.js';
import { targetId, type HostOperationalState, type HostSpec, type VmResources, type RungNumber, type TargetId, type TargetKind, type TargetPhase, type VmSpec } from '../core/types.js';
import type { BootDevice, Env, Logger } from '../env/env.js';
import { errorText, RrcError } from '../errors.js';
import type { HostRecord, Store, VmRecord } from '../store/types.js';
import { ActionExecutor, type ActionResult, type Inventory } from './executor.js';
import { DEFAULT_FENCE_OPTIONS, fenceHost, type FenceOptions } from './fence.js';
import { IncidentRecorder } from './recorder.js';
import { forEachLimited, withTimeout } from '../env/timing.js';
import type { ControllerApi, ControllerHealth, HostPowerOp, TargetStatus } from './types.js';

export interface ProbeSettings {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
}

export interface ControllerOptions {
  env: Env;
  store: Store;
  policy: Policy;
  probes: ProbeSettings;
  fence?: FenceOptions;
  /** Leader's fencing token, recorded on every action (multi-controller, later). */
  fencingToken?: () => number | null;
}

/** Everything the machines report, plus action results: the bench and tests listen here. */
export type ControllerEvent =
  | { type: 'emitted'; targetId: TargetId; event: RecoveryEmitted }
  | { type: 'phase'; targetId: TargetId; from: TargetPhase; to: TargetPhase; at: number }
  | { type: 'action-done'; targetId: TargetId; action: PendingAction; result: ActionResult; startedAt: number; at: number }
  | { type: 'inventory'; hosts: HostRecord[] };

interface TargetRuntime {
  id: TargetId;
  kind: TargetKind;
  name: string;
  actor: Actor<RecoveryMachine>;
  outbox: RecoveryEmitted[];
  phase: TargetPhase;
  persistedKey: string;
  runningActionId: string | null;
  lastProbeHealthy: boolean;
  /** Hosts: time of the first probe that found it unreachable (null while it answers). */
  silentSince: number | null;
  /** Store writes and dispatches of one target happen in order, one at a time. */
  chain: Promise<void>;
  removed: boolean;
}

export function phaseOf(value: StateValue): TargetPhase {
  if (typeof value === 'string') return value === 'awaitingOperator' ? 'awaiting-operator' : (value as TargetPhase);
  return (value as { recovering?: string }).recovering === 'verifying' ? 'verifying' : 'recovering';
}

const HOST_STATE_BY_PHASE: Record<TargetPhase, HostOperationalState> = {
  healthy: 'active',
  suspect: 'active',
  failed: 'failed',
  recovering: 'recovering',
  verifying: 'recovering',
  blocked: 'failed',
  'awaiting-operator': 'failed',
  quarantined: 'quarantined',
  maintenance: 'maintenance',
};

const UNREACHABLE_HOST: HostObservation = { bmcReachable: null, power: 'unknown', reachable: false, shellOk: null, hypervisorOk: false };

export class Controller implements ControllerApi {
  readonly store: Store;
  private readonly env: Env;
  private readonly log: Logger;
  private readonly policy: Policy;
  private readonly machine: RecoveryMachine;
  private readonly recorder: IncidentRecorder;
  private readonly executor: ActionExecutor;
  private readonly hosts = new HostMap(() => (this.sortedHostNames = null));
  /** Probe order, rebuilt when a host / VM is added or removed. */
  private sortedHostNames: string[] | null = null;
  private sortedVmNames: string[] | null = null;
  private readonly hostIds = new Map<string, TargetId>();
  private readonly vmIds = new Map<string, TargetId>();
  private readonly vms = new VmMap(() => (this.sortedVmNames = null));
  private readonly targets = new Map<TargetId, TargetRuntime>();
  private readonly listeners = new Set<(e: ControllerEvent) => void>();
  /** Store writes made outside a target's chain (from inside actions): idle() waits for them too. */
  private readonly sideWrites = new Set<Promise<unknown>>();
  private timer: unknown = null;
  private running = false;
  private probeCycles = 0;
  private startedAt = 0;

  constructor(private readonly opts: ControllerOptions) {
    this.env = opts.env;
    this.store = opts.store;
    this.policy = opts.policy;
    this.log = opts.env.log;
    this.machine = createRecoveryMachine(opts.policy);
    this.recorder = new IncidentRecorder(opts.store, opts.env.log);
    this.executor = new ActionExecutor({ env: opts.env, policy: opts.policy, inventory: this.inventoryView(), fence: opts.fence });
  }

  // ---- life cycle -------------------------------------------------------------------------

  /** Loads inventory and persisted machines, resumes interrupted actions, starts probing. */
  async start(opts: { schedule?: boolean } = {}): Promise<void> {
    this.startedAt = this.env.clock.now();
    const [hosts, vms, states] = await Promise.all([this.store.listHosts(), this.store.listVms(), this.store.listTargetStates()]);
    const snapshots = new Map(states.map((s) => [s.targetId, s.snapshot]));
    for (const h of hosts) this.hosts.set(h.name, h);
    for (const v of vms) this.vms.set(v.name, v);
    for (const h of hosts) this.addRuntime('host', h.name, snapshots.get(targetId('host', h.name)));
    for (const v of vms) this.addRuntime('vm', v.name, snapshots.get(targetId('vm', v.name)));
    for (const rt of this.sortedTargets()) {
      const pending = rt.actor.getSnapshot().context.pendingAction;
      if (pending && rt.phase === 'recovering') this.enqueue(rt, () => this.dispatch(rt, true));
    }
    this.log.info({ hosts: hosts.length, vms: vms.length, restored: states.length }, 'controller started');
    this.running = true;
    if (opts.schedule !== false) this.scheduleCycle(0);
  }

  /** Stops probing and waits for store writes; actions in flight stay recorded and resume at next start. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.env.clock.clearTimeout(this.timer);
    this.timer = null;
    // A probe cycle in flight is not awaited (in virtual time nobody would advance it); its
    // results are dropped by send() once the controller has stopped.
    await this.idle();
    for (const rt of this.targets.values()) rt.actor.stop();
    this.log.info({}, 'controller stopped');
  }

  /** Resolves when every target's pending store writes are done (not waiting for actions). */
  async idle(): Promise<void> {
    // Loop: a chain may finish by starting a side write and a side write may enqueue on a chain.
    for (let round = 0; round < 10; round++) {
      const pending = [...[...this.targets.values()].map((rt) => rt.chain), ...this.sideWrites];
      await Promise.all(pending);
      if (this.sideWrites.size === 0) return;
    }
  }

  /**
   * Tracks a store write started from inside an action. Without this, a virtual-time driver
   * (tests, bench) would advance the clock while a slow store (PostgreSQL under load) is still
   * writing, and the action's virtual deadline would expire on real I/O latency.
   */
  private track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.sideWrites.add(settled);
    void settled.finally(() => this.sideWrites.delete(settled));
    return write;
  }

  onEvent(listener: (e: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    // Performance (bench, large sites): names sorted once per inventory change, and targets the
    // Env says are quiet skipped synchronously in the lane (same order, same virtual instant as
    // an async no-op, without a promise per target per cycle).
    const hostNames = (this.sortedHostNames ??= [...this.hosts.keys()].sort());
    const vmNames = (this.sortedVmNames ??= [...this.vms.keys()].sort());
    await forEachLimited(hostNames, limit, (name) => {
      const rt = this.targets.get(this.idOf('host', name));
      const host = this.hosts.get(name);
      return !host || !rt || this.quiet(rt) ? null : this.probeHost(host);
    });
    await forEachLimited(vmNames, limit, (name) => {
      const vm = this.vms.get(name);
      return vm ? this.probeVm(vm) : null;
    });
    this.probeCycles++;
  }

  // ---- probing ----------------------------------------------------------------------------

  private async probeHost(host: HostRecord): Promise<void> {
    const rt = this.targets.get(targetId('host', host.name));
    if (!rt) return;
    let obs: HostObservation;
    try {
      obs = await withTimeout(this.env.clock, this.env.probes.probeHost(host), this.opts.probes.timeoutMs, `probe of ${host.name}`);
    } catch (e) {
      obs = { ...UNREACHABLE_HOST, details: { probe: errorText(e) } };
    }
    const signature = classifyHost(obs);
    rt.lastProbeHealthy = signature.healthy;
    rt.silentSince = obs.reachable ? null : (rt.silentSince ?? this.env.clock.now());
    this.feedProbe(rt, signature, { hasVms: this.vms.countOn(host.name) > 0 });
  }

  /** Null (nothing to do, decided synchronously) for a VM without a runtime or quiet on a healthy host. */
  private probeVm(vm: VmRecord): Promise<void> | null {
    const rt = this.targets.get(this.idOf('vm', vm.name));
    if (!rt) return null;
    const host = this.hosts.get(vm.currentHost);
    const hostRt = this.targets.get(this.idOf('host', vm.currentHost));
    const hostDown = !host || !hostRt || hostRt.phase !== 'healthy' || !hostRt.lastProbeHealthy;
    if (!hostDown && this.quiet(rt)) return null;
    return this.probeVmNow(vm, rt, host, hostDown);
  }

  private async probeVmNow(vm: VmRecord, rt: TargetRuntime, host: HostRecord | undefined, hostDown: boolean): Promise<void> {
    let signature: Signature;
    if (hostDown || !host) {
      signature = classifyVm({ hostDown: true, hypervisorOk: false, domain: 'unknown', guestReachable: false, serviceOk: null });
    } else {
      try {
        const obs = await withTimeout(this.env.clock, this.env.probes.probeVm(vm, host), this.opts.probes.timeoutMs, `probe of ${vm.name}`);
        signature = classifyVm({ ...obs, hostDown: false });
      } catch (e) {
        signature = { code: 'vm-hung', healthy: false, summary: `probe failed: ${errorText(e)}` };
      }
    }
    rt.lastProbeHealthy = signature.healthy;
    this.feedProbe(rt, signature, { canRestartService: Boolean(vm.serviceCheck?.restartCommand) });
  }

  /** targetId(kind, name), interned: the probe loop looks every target up every cycle. */
  private idOf(kind: TargetKind, name: string): TargetId {
    const ids = kind === 'host' ? this.hostIds : this.vmIds;
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = targetId(kind, name)));
    return id;
  }

  /** Settled healthy and the (simulated) environment says nothing it could see has changed. */
  private quiet(rt: TargetRuntime): boolean {
    return this.settledHealthy(rt) && rt.lastProbeHealthy && this.env.probes.unchanged?.(rt.kind, rt.name) === true;
  }

  private settledHealthy(rt: TargetRuntime): boolean {
    const ctx = rt.actor.getSnapshot().context;
    return rt.phase === 'healthy' && ctx.bad === 0 && ctx.good >= this.policy.recoverAfter;
  }

  private feedProbe(rt: TargetRuntime, signature: Signature, facts: { hasVms?: boolean; canRestartService?: boolean }): void {
    // Events that cannot change anything are not sent: a settled healthy target probed healthy,
    // a VM that keeps waiting for its host.
    if (signature.healthy && this.settledHealthy(rt)) return;
    if (rt.phase === 'blocked' && isBlockedSignature(signature.code)) return;
    // While its action runs (recovering.acting has no PROBE transition; dispatch would find it running).
    if (rt.phase === 'recovering' && rt.runningActionId !== null && rt.runningActionId === rt.actor.getSnapshot().context.pendingAction?.id) return;
    this.send(rt, { type: 'PROBE', at: this.env.clock.now(), signature, ...facts });
  }

  // ---- machine plumbing -------------------------------------------------------------------

  private addRuntime(kind: TargetKind, name: string, snapshot?: unknown): TargetRuntime {
    const id = targetId(kind, name);
    const input = { targetId: id, kind, at: this.env.clock.now() };
    let actor: Actor<RecoveryMachine>;
    try {
      actor = createActor(this.machine, { input, clock: this.env.clock, ...(snapshot ? { snapshot: snapshot as never } : {}) });
    } catch (e) {
      this.log.warn({ target: id, error: errorText(e) }, 'persisted state could not be restored; starting healthy');
      actor = createActor(this.machine, { input, clock: this.env.clock });
    }
    const rt: TargetRuntime = {
      id,
      kind,
      name,
      actor,
      outbox: [],
      phase: 'healthy',
      persistedKey: '',
      runningActionId: null,
      lastProbeHealthy: true,
      silentSince: null,
      chain: Promise.resolve(),
      removed: false,
    };
    actor.on('*', (e) => rt.outbox.push(e as RecoveryEmitted));
    actor.start();
    rt.phase = phaseOf(actor.getSnapshot().value);
    rt.persistedKey = snapshot ? this.persistKey(rt) : '';
    this.targets.set(id, rt);
    return rt;
  }

  private send(rt: TargetRuntime, event: RecoveryEvent): void {
    if (rt.removed || !this.running) return;
    rt.actor.send(event);
    const from = rt.phase;
    const to = phaseOf(rt.actor.getSnapshot().value);
    rt.phase = to;
    const emitted = rt.outbox.splice(0);
    const ctx = rt.actor.getSnapshot().context;
    for (const e of emitted) this.notify({ type: 'emitted', targetId: rt.id, event: e });
    if (from !== to) this.notify({ type: 'phase', targetId: rt.id, from, to, at: event.at });
    this.enqueue(rt, async () => {
      for (const e of emitted) await this.recorder.emitted(rt.id, e, ctx);
      if (from !== to) {
        await this.recorder.phaseChanged(rt.id, ctx.incidentId ?? incidentOf(emitted), from, to, event.at, ctx.reason);
        if (rt.kind === 'host') await this.hostPhaseChanged(rt, to);
      }
      await this.persist(rt);
      await this.dispatch(rt, false);
    });
  }

  private enqueue(rt: TargetRuntime, work: () => Promise<void>): void {
    rt.chain = rt.chain.then(work).catch((e) => this.log.error({ target: rt.id, error: errorText(e) }, 'store write failed'));
  }

  private persistKey(rt: TargetRuntime): string {
    const ctx = rt.actor.getSnapshot().context;
    return `${rt.phase}|${ctx.rung}|${ctx.incidentId}|${ctx.pendingAction?.id}|${Math.round(ctx.penalty)}`;
  }

  /** Writes the machine after a transition (not after every probe). */
  private async persist(rt: TargetRuntime): Promise<void> {
    const key = this.persistKey(rt);
    if (key === rt.persistedKey || rt.removed) return;
    const ctx = rt.actor.getSnapshot().context;
    await this.store.saveTargetState({
      targetId: rt.id,
      phase: rt.phase,
      rung: ctx.rung,
      maintenance: rt.phase === 'maintenance',
      snapshot: rt.actor.getPersistedSnapshot(),
      updatedAt: this.env.clock.now(),
    });
    rt.persistedKey = key;
  }

  /** Starts the machine's pending action unless it already runs. The action itself is not awaited. */
  private async dispatch(rt: TargetRuntime, resumed: boolean): Promise<void> {
    const snapshot = rt.actor.getSnapshot();
    const action = snapshot.context.pendingAction;
    if (!action || phaseOf(snapshot.value) !== 'recovering' || rt.runningActionId === action.id || rt.removed) return;
    rt.runningActionId = action.id;
    const token = this.opts.fencingToken?.() ?? null;
    const startedAt = this.env.clock.now();
    await this.recorder.actionStarted(rt.id, action, startedAt, resumed, token);
    const timeline = (kind: string, message: string, data?: Record<string, unknown>) => {
      this.log.info({ target: rt.id, incident: action.incidentId, actionId: action.id, ...data }, message);
      void this.track(this.recorder.event(action.incidentId, this.env.clock.now(), kind, message, data));
    };
    void this.executor.execute(action, rt.name, timeline).then((result) => {
      const at = this.env.clock.now();
      this.notify({ type: 'action-done', targetId: rt.id, action, result, startedAt, at });
      this.enqueue(rt, () => this.recorder.actionFinished(rt.id, action, startedAt, at, result, token));
      if (rt.runningActionId === action.id) rt.runningActionId = null;
      this.send(rt, { type: 'ACTION_DONE', at, actionId: action.id, result });
    });
  }

  private async hostPhaseChanged(rt: TargetRuntime, to: TargetPhase): Promise<void> {
    const host = this.hosts.get(rt.name);
    if (!host) return;
    const state = HOST_STATE_BY_PHASE[to];
    if (host.state !== state && !(host.state === 'fenced' && state === 'recovering')) {
      const updated = await this.store.updateHost(host.name, { state });
      this.hosts.set(host.name, updated);
    }
    // Driver I/O stays out of the write chain (the chain must never wait on a host).
    if (to === 'healthy') void this.removeStaleCopies(host);
  }

  /** A host that is back must not run a VM that now lives elsewhere (no VM on two hosts). */
  private async removeStaleCopies(host: HostRecord): Promise<void> {
    try {
      const domains = await this.env.hypervisor.listDomains(host);
      for (const d of domains) {
        const vm = this.vms.get(d.name);
        if (!vm || vm.currentHost === host.name) continue;
        if (d.state === 'running' || d.state === 'paused') await this.env.hypervisor.destroy(host, vm);
        await this.env.hypervisor.undefine(host, vm);
        this.log.warn({ target: targetId('host', host.name), vm: vm.name, livesOn: vm.currentHost }, `removed stale copy of ${vm.name}`);
      }
    } catch (e) {
      this.log.warn({ target: targetId('host', host.name), error: errorText(e) }, 'could not check for stale VM copies');
    }
  }

  private notify(e: ControllerEvent): void {
    for (const l of this.listeners) l(e);
  }

  // ---- inventory ----------------------------------------------------------------------------

  private vmsOn(hostName: string): VmRecord[] {
    return this.vms.on(hostName);
  }

  private inventoryView(): Inventory {
    return {
      host: (name) => this.hosts.get(name),
      vm: (name) => this.vms.get(name),
      vmsOn: (name) => this.vmsOn(name),
      placementCandidates: (exclude) => this.placementCandidates(exclude),
      moveVm: async (vmName, toHost) => {
        const updated = await this.track(this.store.updateVm(vmName, { currentHost: toHost }));
        this.vms.set(vmName, updated);
      },
      hostSilentSince: (hostName) => this.targets.get(targetId('host', hostName))?.silentSince ?? null,
      markHostFenced: async (hostName) => {
        const updated = await this.track(this.store.updateHost(hostName, { state: 'fenced' }));
        this.hosts.set(hostName, updated);
      },
    };
  }

  private placementCandidates(excludeHost: string): PlacementCandidate[] {
    // Sorted by name (the cached probe order) with each host's load kept up to date by the VM map.
    const names = (this.sortedHostNames ??= [...this.hosts.keys()].sort());
    const out: PlacementCandidate[] = [];
    for (const name of names) {
      const h = this.hosts.get(name);
      if (!h || name === excludeHost) continue;
      const rt = this.targets.get(this.idOf('host', name));
      const usable = rt !== undefined && rt.phase === 'healthy' && rt.lastProbeHealthy;
      out.push({ host: h as HostSpec, usable, used: this.vms.usedOn(name) });
    }
    return out;
  }

  // ---- ControllerApi ------------------------------------------------------------------------

  async health(): Promise<ControllerHealth> {
    const open = await this.store.listIncidents({ open: true });
    return {
      startedAt: this.startedAt,
      now: this.env.clock.now(),
      env: this.env.name,
      store: this.store.provider,
      targets: this.targets.size,
      openIncidents: open.length,
      probeCycles: this.probeCycles,
    };
  }

  status(): TargetStatus[] {
    return this.sortedTargets().map((rt) => this.statusOf(rt));
  }

  targetStatus(id: TargetId): TargetStatus | null {
    const rt = this.targets.get(id);
    return rt ? this.statusOf(rt) : null;
  }

  private statusOf(rt: TargetRuntime): TargetStatus {
    const ctx = rt.actor.getSnapshot().context;
    const inRecovery = rt.phase === 'recovering' || rt.phase === 'verifying';
    return {
      targetId: rt.id,
      kind: rt.kind,
      name: rt.name,
      phase: rt.phase,
      rung: inRecovery ? ctx.rung : null,
      rungName: inRecovery ? rungName(ctx.rung) : null,
      incidentId: ctx.incidentId,
      signature: ctx.lastSignature,
      maintenance: rt.phase === 'maintenance',
      penalty: Math.round(currentPenalty(ctx, this.env.clock.now(), this.policy)),
      since: ctx.phaseSince,
      reason: ctx.reason,
    };
  }

  private sortedTargets(): TargetRuntime[] {
    return [...this.targets.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private runtime(id: TargetId): TargetRuntime {
    const rt = this.targets.get(id);
    if (!rt) throw new RrcError('RRC_ERR_NOT_FOUND', `target ${id}`);
    return rt;
  }

  private async audit(actor: string, action: string, target: string | null, details: Record<string, unknown> | null = null): Promise<void> {
    await this.store.addAudit({ at: this.env.clock.now(), actor, action, target, details });
  }

  async addHost(spec: HostSpec, actor: string): Promise<HostRecord> {
    const record = await this.store.addHost(spec);
    this.hosts.set(record.name, record);
    this.addRuntime('host', record.name);
    this.notify({ type: 'inventory', hosts: [...this.hosts.values()] });
    await this.audit(actor, 'host.add', targetId('host', record.name), { role: record.role, macs: record.macs });
    return record;
  }

  async removeHost(name: string, actor: string): Promise<void> {
    await this.store.removeHost(name);
    this.dropRuntime(targetId('host', name));
    this.hosts.delete(name);
    await this.store.deleteTargetState(targetId('host', name));
    this.notify({ type: 'inventory', hosts: [...this.hosts.values()] });
    await this.audit(actor, 'host.remove', targetId('host', name));
  }

  async addVm(spec: VmSpec, actor: string): Promise<VmRecord> {
    const record = await this.store.addVm(spec);
    this.vms.set(record.name, record);
    this.addRuntime('vm', record.name);
    await this.audit(actor, 'vm.add', targetId('vm', record.name), { host: record.currentHost });
    return record;
  }

  async removeVm(name: string, actor: string): Promise<void> {
    await this.store.removeVm(name);
    this.dropRuntime(targetId('vm', name));
    this.vms.delete(name);
    await this.store.deleteTargetState(targetId('vm', name));
    await this.audit(actor, 'vm.remove', targetId('vm', name));
  }

  private dropRuntime(id: TargetId): void {
    const rt = this.targets.get(id);
    if (!rt) return;
    rt.removed = true;
    rt.actor.stop();
    this.targets.delete(id);
  }

  async setMaintenance(id: TargetId, on: boolean, actor: string): Promise<TargetStatus> {
    const rt = this.runtime(id);
    if (on && rt.phase === 'maintenance') return this.statusOf(rt);
    if (!on && rt.phase !== 'maintenance') throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is not in maintenance`);
    if (on && rt.runningActionId) throw new RrcError('RRC_ERR_INVALID_STATE', `${id} has an action running; wait for it to finish`);
    this.send(rt, { type: 'MAINTENANCE', at: this.env.clock.now(), on });
    await this.audit(actor, on ? 'maintenance.on' : 'maintenance.off', id);
    await rt.chain;
    return this.statusOf(rt);
  }

  async release(id: TargetId, actor: string): Promise<TargetStatus> {
    const rt = this.runtime(id);
    if (rt.phase !== 'quarantined' && rt.phase !== 'awaiting-operator') {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is ${rt.phase}, not quarantined or waiting for an operator`);
    }
    this.send(rt, { type: 'RELEASE', at: this.env.clock.now() });
    await this.audit(actor, 'release', id);
    await rt.chain;
    return this.statusOf(rt);
  }

  async triggerRung(id: TargetId, rung: RungNumber, actor: string): Promise<TargetStatus> {
    const rt = this.runtime(id);
    const allowed = rt.kind === 'vm' ? [0, 1, 2, 4] : [1, 3, 4, 5];
    if (!allowed.includes(rung)) {
      throw new RrcError('RRC_ERR_VALIDATION', `rung ${rung} (${rungName(rung)}) does not apply to a ${rt.kind}; allowed: ${allowed.join(', ')}`);
    }
    const event: RecoveryEvent = { type: 'TRIGGER_RUNG', at: this.env.clock.now(), rung };
    if (!rt.actor.getSnapshot().can(event) || rt.runningActionId) {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is ${rt.phase}${rt.runningActionId ? ' with an action running' : ''}`);
    }
    this.send(rt, event);
    await this.audit(actor, 'rung.trigger', id, { rung });
    await rt.chain;
    return this.statusOf(rt);
  }

  /** An operator command must not race an action the ladder is running on the same target. */
  private assertIdle(id: TargetId): TargetRuntime {
    const rt = this.runtime(id);
    if (rt.runningActionId) throw new RrcError('RRC_ERR_INVALID_STATE', `${id} has a recovery action running (${rt.runningActionId}); put it in maintenance or wait`);
    return rt;
  }

  private hostSpec(name: string): HostRecord {
    const h = this.hosts.get(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${name}`);
    return h;
  }

  private vmSpec(name: string): VmRecord {
    const v = this.vms.get(name);
    if (!v) throw new RrcError('RRC_ERR_NOT_FOUND', `vm ${name}`);
    return v;
  }

  async hostPower(name: string, op: HostPowerOp, actor: string): Promise<{ host: string; power: PowerState }> {
    const host = this.hostSpec(name);
    if (op !== 'status') {
      this.assertIdle(targetId('host', name));
      await this.audit(actor, `host.power.${op}`, targetId('host', name));
      await this.env.power[op](host);
    }
    return { host: name, power: await this.env.power.status(host) };
  }

  async hostBootDevice(name: string, device: BootDevice, actor: string): Promise<{ host: string; device: BootDevice }> {
    const host = this.hostSpec(name);
    this.assertIdle(targetId('host', name));
    await this.audit(actor, 'host.bootdev', targetId('host', name), { device });
    await this.env.power.setBootDevice(host, device);
    return { host: name, device };
  }

  async hostFence(name: string, actor: string): Promise<{ host: string; confirmedAt: number; offAttempts: number }> {
    const host = this.hostSpec(name);
    this.assertIdle(targetId('host', name));
    await this.audit(actor, 'host.fence', targetId('host', name));
    const r = await fenceHost(this.env.power, host, this.env.clock, this.opts.fence ?? DEFAULT_FENCE_OPTIONS);
    const updated = await this.store.updateHost(name, { state: 'fenced' });
    this.hosts.set(name, updated);
    return { host: name, confirmedAt: r.confirmedAt, offAttempts: r.offAttempts };
  }

  async hostProbe(name: string): Promise<{ host: string; observation: HostObservation; signature: Signature }> {
    const observation = await this.env.probes.probeHost(this.hostSpec(name));
    return { host: name, observation, signature: classifyHost(observation) };
  }

  async vmProbe(name: string): Promise<{ vm: string; host: string; observation: VmObservation; signature: Signature }> {
    const vm = this.vmSpec(name);
    const host = this.hostSpec(vm.currentHost);
    const observation = { ...(await this.env.probes.probeVm(vm, host)), hostDown: false };
    return { vm: name, host: host.name, observation, signature: classifyVm(observation) };
  }

  async vmPower(name: string, op: 'reboot' | 'restart', actor: string): Promise<{ vm: string; host: string }> {
    const vm = this.vmSpec(name);
    const host = this.hostSpec(vm.currentHost);
    this.assertIdle(targetId('vm', name));
    await this.audit(actor, `vm.${op}`, targetId('vm', name), { host: host.name });
    if (op === 'reboot') await this.env.hypervisor.reboot(host, vm, { shutdownTimeoutMs: this.policy.vmShutdownTimeoutSeconds * 1000 });
    else await this.env.hypervisor.restart(host, vm);
    return { vm: name, host: host.name };
  }

  async vmMove(name: string, toHost: string, actor: string): Promise<VmRecord> {
    const vm = this.vmSpec(name);
    this.hostSpec(toHost);
    this.assertIdle(targetId('vm', name));
    await this.audit(actor, 'vm.move', targetId('vm', name), { from: vm.currentHost, to: toHost });
    const log = this.log.child({ target: targetId('vm', name), actor });
    const result = await this.executor.moveVm(vm, (_kind, message) => log.info({}, message), toHost);
    if (result.outcome !== 'ok') throw new RrcError('RRC_ERR_INVALID_STATE', actionResultProblem(result) ?? `moving ${name} failed`);
    return this.vmSpec(name);
  }

  async confirmHostOff(hostName: string, actor: string): Promise<TargetStatus> {
    const rt = this.runtime(targetId('host', hostName));
    if (rt.phase !== 'awaiting-operator') {
      throw new RrcError('RRC_ERR_INVALID_STATE', `host ${hostName} is ${rt.phase}; nothing waits for a power-off confirmation`);
    }
    this.send(rt, { type: 'CONFIRM_OFF', at: this.env.clock.now() });
    await this.audit(actor, 'host.confirm-off', rt.id);
    await rt.chain;
    return this.statusOf(rt);
  }
}

/** Host records by name; tells when the set of names changes (probe order). */
class HostMap extends Map<string, HostRecord> {
  constructor(private readonly onKeys: () => void) {
    super();
  }

  override set(name: string, h: HostRecord): this {
    if (!this.has(name)) this.onKeys?.();
    return super.set(name, h);
  }

  override delete(name: string): boolean {
    if (this.has(name)) this.onKeys();
    return super.delete(name);
  }
}

/**
 * VM records by name, with an index of the VMs on each host and their summed resources (vmsOn
 * and the placement candidates were scans of every VM: 10,000 hosts x 100,000 VMs).
 */
class VmMap extends Map<string, VmRecord> {
  private readonly byHost = new Map<string, Set<string>>();
  private readonly used = new Map<string, VmResources>();

  constructor(private readonly onKeys: () => void) {
    super();
  }

  override set(name: string, vm: VmRecord): this {
    const old = this.get(name);
    if (old === undefined) this.onKeys?.();
    else this.unindex(name, old);
    let set = this.byHost.get(vm.currentHost);
    if (!set) this.byHost.set(vm.currentHost, (set = new Set()));
    set.add(name);
    const u = this.used.get(vm.currentHost) ?? { cores: 0, ramGb: 0, diskGb: 0 };
    this.used.set(vm.currentHost, sumResources([u, vm.resources]));
    return super.set(name, vm);
  }

  override delete(name: string): boolean {
    const old = this.get(name);
    if (old === undefined) return false;
    this.onKeys();
    this.unindex(name, old);
    return super.delete(name);
  }

  private unindex(name: string, old: VmRecord): void {
    this.byHost.get(old.currentHost)?.delete(name);
    const u = this.used.get(old.currentHost);
    if (u) {
      const r = old.resources;
      this.used.set(old.currentHost, { cores: u.cores - r.cores, ramGb: u.ramGb - r.ramGb, diskGb: u.diskGb - r.diskGb });
    }
  }

  countOn(host: string): number {
    return this.byHost.get(host)?.size ?? 0;
  }

  /** A fresh copy: placement reserves on the object it is given. */
  usedOn(host: string): VmResources {
    const u = this.used.get(host);
    return u ? { ...u } : { cores: 0, ramGb: 0, diskGb: 0 };
  }

  on(host: string): VmRecord[] {
    const out: VmRecord[] = [];
    for (const name of this.byHost.get(host) ?? []) out.push(this.get(name)!);
    return out;
  }
}

function incidentOf(emitted: RecoveryEmitted[]): string | null {
  for (const e of emitted) if ('incidentId' in e && e.incidentId) return e.incidentId;
  return null;
}

export function createController(opts: ControllerOptions): Controller {
  return new Controller(opts);
}

