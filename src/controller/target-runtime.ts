/**
 * The per-target runtime: one recovery machine per host and VM, the events sent to it, and what
 * follows each transition, in order and one at a time per target: record what the machine
 * emitted, persist its snapshot, start the action it asks for.
 */
import { createActor, type Actor, type StateValue } from 'xstate';
import {
  actionFailed,
  fastShape,
  targetId,
  type PendingAction,
  type HostObservation,
  type HostOperationalState,
  type RecoveryEmitted,
  type RecoveryEvent,
  type RecoveryMachine,
  type TargetId,
  type TargetKind,
  type TargetPhase,
} from '../core/index.js';
import type { Env, Logger } from '../env/env.js';
import { errorText, RrcError } from '../errors.js';
import type { HostRecord, Store } from '../store/types.js';
import type { ControllerEvents } from './controller-events.js';
import type { ActionLocks } from './action-locks.js';
import type { ActionExecutor } from './executor.js';
import type { InventoryIndex } from './inventory.js';
import { RestartReconciler } from './reconcile.js';
import type { IncidentRecorder } from './recorder.js';
import type { SideWrites } from './side-writes.js';
import type { StoreWrites } from './store-writes.js';

export interface TargetRuntime {
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
  /** Hosts: what the last probe saw (the safety gate reads the BMC's word from it); null before. */
  lastObservation: HostObservation | null;
  /** VMs: the host it was recorded on at the previous probe. */
  lastProbedHost?: string;
  /** VMs: moved to another host since the last probe its machine was given (told once, then false). */
  movedSinceFed?: boolean;
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
  holding: 'failed',
  blocked: 'failed',
  'awaiting-operator': 'failed',
  quarantined: 'quarantined',
  maintenance: 'maintenance',
};

export interface TargetRuntimeDeps {
  env: Env;
  store: Store;
  log: Logger;
  machine: RecoveryMachine;
  recorder: IncidentRecorder;
  executor: ActionExecutor;
  index: InventoryIndex;
  events: ControllerEvents;
  sideWrites: SideWrites;
  /** One action per target: dispatch holds its targets until the action has stopped. */
  locks: ActionLocks;
  /** Chain writes: retried with backoff, counted for health(). */
  storeWrites: StoreWrites;
  fencingToken?: () => number | null;
  /** The policy's reinstall deadline: what a reinstall resumed after a restart has left (reconcile.ts). */
  reinstallDeadlineMs?: number;
  /** Events are dropped once the controller has stopped (a probe cycle may still be in flight). */
  isRunning: () => boolean;
  /** A host turned healthy; `incidentId` is the incident that ended (or its last one). Not awaited. */
  hostTurnedHealthy: (host: HostRecord, incidentId: string | null) => void;
}

export class TargetRuntimes {
  private readonly byId = new Map<TargetId, TargetRuntime>();
  /** By kind and name: the probe loop looks every target up every cycle (one lookup, no id). */
  private readonly hostsByName = new Map<string, TargetRuntime>();
  private readonly vmsByName = new Map<string, TargetRuntime>();
  private readonly hostIds = new Map<string, TargetId>();
  private readonly vmIds = new Map<string, TargetId>();
  /** Failed tries to record an action's start, per action id (bounded: then the machine is told). */
  private readonly startWriteTries = new Map<string, number>();
  /** Runtimes recovering or holding, kept on every phase change (waitingTargets). */
  private readonly waiting = new Set<TargetRuntime>();
  /** Told of every runtime added, removed or sent an event (onTouch). */
  private readonly touchListeners: Array<(rt: TargetRuntime) => void> = [];

  constructor(private readonly deps: TargetRuntimeDeps) {}

  get size(): number {
    return this.byId.size;
  }

  /** targetId(kind, name), interned: the probe loop looks every target up every cycle. */
  idOf(kind: TargetKind, name: string): TargetId {
    const ids = kind === 'host' ? this.hostIds : this.vmIds;
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = targetId(kind, name)));
    return id;
  }

  get(id: TargetId): TargetRuntime | undefined {
    return this.byId.get(id);
  }

  of(kind: TargetKind, name: string): TargetRuntime | undefined {
    return (kind === 'host' ? this.hostsByName : this.vmsByName).get(name);
  }

  /** The runtime; throws RRC_ERR_NOT_FOUND. */
  require(id: TargetId): TargetRuntime {
    const rt = this.byId.get(id);
    if (!rt) throw new RrcError('RRC_ERR_NOT_FOUND', `target ${id}`);
    return rt;
  }

  sorted(): TargetRuntime[] {
    return [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Every target's write chain as it is now. */
  chains(): Promise<void>[] {
    return [...this.byId.values()].map((rt) => rt.chain);
  }

  stopAll(): void {
    for (const rt of this.byId.values()) rt.actor.stop();
  }

  /** Creates the target's machine, restored from its persisted snapshot when there is one. */
  add(kind: TargetKind, name: string, snapshot?: unknown): TargetRuntime {
    const { env, log, machine } = this.deps;
    const id = targetId(kind, name);
    const input = { targetId: id, kind, at: env.clock.now() };
    let actor: Actor<RecoveryMachine>;
    try {
      actor = createActor(machine, { input, clock: env.clock, ...(snapshot ? { snapshot: withFastContext(snapshot) as never } : {}) });
    } catch (e) {
      log.warn({ target: id, error: errorText(e) }, 'persisted state could not be restored; starting healthy');
      actor = createActor(machine, { input, clock: env.clock });
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
      lastObservation: null,
      chain: Promise.resolve(),
      removed: false,
    };
    actor.on('*', (e) => rt.outbox.push(e as RecoveryEmitted));
    actor.start();
    rt.phase = phaseOf(actor.getSnapshot().value);
    rt.persistedKey = snapshot ? persistKey(rt) : '';
    this.byId.set(id, rt);
    (kind === 'host' ? this.hostsByName : this.vmsByName).set(name, rt);
    this.trackWaiting(rt);
    this.touched(rt);
    return rt;
  }

  drop(id: TargetId): void {
    const rt = this.byId.get(id);
    if (!rt) return;
    rt.removed = true;
    rt.actor.stop();
    this.byId.delete(id);
    (rt.kind === 'host' ? this.hostsByName : this.vmsByName).delete(rt.name);
    this.waiting.delete(rt);
    this.touched(rt);
  }

  /**
   * Targets recovering or holding (their deadline needs a clock tick), hosts first, then by name:
   * the order a scan of every target gave, without a scan of every target each probe cycle.
   */
  waitingTargets(): TargetRuntime[] {
    return [...this.waiting].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'host' ? -1 : 1));
  }

  private trackWaiting(rt: TargetRuntime): void {
    if (rt.phase === 'recovering' || rt.phase === 'holding') this.waiting.add(rt);
    else this.waiting.delete(rt);
  }

  /**
   * Restart: each action that was in flight when the controller stopped is resolved by looking
   * first (reconcile.ts), never simply run again; records left without an end are settled.
   */
  resumeInterruptedActions(): void {
    const { env, store, log, recorder, index, events, sideWrites, locks, fencingToken, reinstallDeadlineMs } = this.deps;
    const reconciler = new RestartReconciler<TargetRuntime>(
      { env, store, log, recorder, index, events, sideWrites, locks, ...(fencingToken ? { fencingToken } : {}), ...(reinstallDeadlineMs ? { reinstallDeadlineMs } : {}) },
      {
        pendingAction: (rt) => (rt.phase === 'recovering' ? rt.actor.getSnapshot().context.pendingAction : null),
        dispatchAgain: (rt) => this.enqueue(rt, () => this.dispatch(rt, true)),
        send: (rt, event) => this.send(rt, event),
        write: (rt, what, write) => this.enqueue(rt, () => this.write(rt, what, write).then(() => undefined)),
        checkStaleCopies: (hostName, incidentId) => {
          const host = index.hosts.get(hostName);
          if (host) this.deps.hostTurnedHealthy(host, incidentId);
        },
        hostHealthy: (hostName) => this.of('host', hostName)?.phase === 'healthy',
      },
    );
    const pendingIds = new Set<string>();
    for (const rt of this.sorted()) {
      const pending = rt.actor.getSnapshot().context.pendingAction;
      if (!pending || rt.phase !== 'recovering') continue;
      pendingIds.add(pending.id);
      // Synchronously marks the action as held, so no probe or tick starts it while it is looked at.
      void reconciler.reconcile(rt, pending);
    }
    void reconciler.settleLeftovers(pendingIds);
  }

  /** `listener` hears of every runtime added, removed or sent an event (its state may have changed). */
  onTouch(listener: (rt: TargetRuntime) => void): void {
    this.touchListeners.push(listener);
  }

  private touched(rt: TargetRuntime): void {
    for (const listener of this.touchListeners) listener(rt);
  }

  /** The one way into a machine: send, then record, persist and dispatch in the target's chain. */
  send(rt: TargetRuntime, event: RecoveryEvent): void {
    if (rt.removed || !this.deps.isRunning()) return;
    const { events, recorder } = this.deps;
    rt.actor.send(event);
    this.touched(rt);
    const from = rt.phase;
    const to = phaseOf(rt.actor.getSnapshot().value);
    rt.phase = to;
    if (from !== to) this.trackWaiting(rt);
    const emitted = rt.outbox.splice(0);
    const ctx = rt.actor.getSnapshot().context;
    for (const e of emitted) events.notify({ type: 'emitted', targetId: rt.id, event: e });
    if (from !== to) events.notify({ type: 'phase', targetId: rt.id, from, to, at: event.at });
    this.enqueue(rt, async () => {
      // Each write on its own: one that fails is retried later and does not stop the others
      // (least of all the dispatch).
      for (const e of emitted) await this.write(rt, `${e.type} of ${rt.id}`, () => recorder.emitted(rt.id, e, ctx));
      if (from !== to) {
        const incidentId = ctx.incidentId ?? incidentOf(emitted);
        await this.write(rt, `${rt.id} ${from} => ${to}`, () => recorder.phaseChanged(rt.id, incidentId, from, to, event.at, ctx.reason));
        // The incident seq names the host's last incident when none just ended (a release).
        const hostIncident = incidentId ?? (ctx.incidentSeq > 0 ? `${rt.id}#${ctx.incidentSeq}` : null);
        if (rt.kind === 'host') await this.write(rt, `state of ${rt.id}`, () => this.hostPhaseChanged(rt, to, hostIncident));
      }
      await this.write(rt, `machine of ${rt.id}`, () => this.persist(rt));
      await this.dispatch(rt, false);
    });
  }

  enqueue(rt: TargetRuntime, work: () => Promise<void>): void {
    rt.chain = rt.chain.then(work).catch((e) => {
      this.deps.storeWrites.failed(rt.id, 'write chain', e, Number.POSITIVE_INFINITY);
    });
  }

  /** A chain write, retried with backoff in the chain when it fails (store-writes.ts). */
  private write(rt: TargetRuntime, what: string, write: () => Promise<void>): Promise<boolean> {
    return this.deps.storeWrites.attempt(rt.id, what, write, (retry) => {
      if (!rt.removed) this.enqueue(rt, retry);
    });
  }

  /** Writes the machine after a transition (not after every probe). */
  private async persist(rt: TargetRuntime): Promise<void> {
    const key = persistKey(rt);
    if (key === rt.persistedKey || rt.removed) return;
    const ctx = rt.actor.getSnapshot().context;
    await this.deps.store.saveTargetState({
      targetId: rt.id,
      phase: rt.phase,
      rung: ctx.rung,
      maintenance: rt.phase === 'maintenance',
      snapshot: rt.actor.getPersistedSnapshot(),
      updatedAt: this.deps.env.clock.now(),
    });
    rt.persistedKey = key;
  }

  /**
   * Starts the machine's pending action unless it already runs. The action itself is not awaited.
   * It holds its targets' locks until it has stopped: while an earlier attempt (or an operator
   * command) still acts on them, the start waits for their release.
   */
  private async dispatch(rt: TargetRuntime, resumed: boolean): Promise<void> {
    const { env, recorder, executor, events, sideWrites, locks } = this.deps;
    const snapshot = rt.actor.getSnapshot();
    const action = snapshot.context.pendingAction;
    if (!action || phaseOf(snapshot.value) !== 'recovering' || rt.runningActionId === action.id || rt.removed) return;
    const lock = locks.tryAcquire(this.lockKeys(rt, action), `${action.kind} ${action.id}`);
    if (!lock.ok) {
      this.deps.log.info({ target: rt.id, actionId: action.id, waitsFor: lock.heldBy }, `${action.kind} waits: ${lock.key} is busy with ${lock.heldBy}`);
      locks.whenReleased(lock.key, () => this.enqueue(rt, () => this.dispatch(rt, resumed)));
      return;
    }
    rt.runningActionId = action.id;
    const token = this.deps.fencingToken?.() ?? null;
    const startedAt = env.clock.now();
    try {
      // Intent first: nothing acts before the action is recorded.
      await recorder.actionStarted(rt.id, action, startedAt, resumed, token);
      this.startWriteTries.delete(action.id);
    } catch (e) {
      // Not half-done: not running, unlocked, tried again (or reported failed to the machine).
      rt.runningActionId = null;
      lock.lease.release();
      this.startNotRecorded(rt, action, resumed, e);
      return;
    }
    const timeline = recorder.timeline(rt.id, action, () => env.clock.now(), sideWrites);
    void executor.execute(action, rt.name, timeline, () => lock.lease.release()).then((result) => {
      const at = env.clock.now();
      events.notify({ type: 'action-done', targetId: rt.id, action, result, startedAt, at });
      this.enqueue(rt, () => this.write(rt, `end of ${action.id}`, () => recorder.actionFinished(rt.id, action, startedAt, at, result, token)).then(() => undefined));
      if (rt.runningActionId === action.id) rt.runningActionId = null;
      this.send(rt, { type: 'ACTION_DONE', at, actionId: action.id, result });
    });
  }

  /** The targets an action acts on: its own, and for a host evacuation the VMs it may start elsewhere. */
  private lockKeys(rt: TargetRuntime, action: PendingAction): TargetId[] {
    if (action.kind !== 'fence-migrate') return [rt.id];
    const vms = this.deps.index.vms.on(rt.name).map((v) => this.idOf('vm', v.name));
    return [rt.id, ...vms];
  }

  /** The start of an action could not be written: retry after a backoff; after the last try the attempt failed. */
  private startNotRecorded(rt: TargetRuntime, action: PendingAction, resumed: boolean, e: unknown): void {
    const { env, events, storeWrites } = this.deps;
    const tries = (this.startWriteTries.get(action.id) ?? 0) + 1;
    this.startWriteTries.set(action.id, tries);
    const backoffMs = storeWrites.failed(rt.id, `start of ${action.id}`, e, tries);
    if (backoffMs !== null) {
      env.clock.setTimeout(() => this.enqueue(rt, () => this.dispatch(rt, resumed)), backoffMs);
      return;
    }
    this.startWriteTries.delete(action.id);
    const at = env.clock.now();
    const result = actionFailed(`not started: its start could not be recorded in the store (${errorText(e)})`);
    events.notify({ type: 'action-done', targetId: rt.id, action, result, startedAt: at, at });
    this.send(rt, { type: 'ACTION_DONE', at, actionId: action.id, result });
  }

  private async hostPhaseChanged(rt: TargetRuntime, to: TargetPhase, incidentId: string | null): Promise<void> {
    const { index, store } = this.deps;
    const host = index.hosts.get(rt.name);
    if (!host) return;
    const state = HOST_STATE_BY_PHASE[to];
    if (host.state !== state && !(host.state === 'fenced' && state === 'recovering')) {
      const updated = await store.updateHost(host.name, { state });
      index.hosts.set(host.name, updated);
    }
    // Driver I/O stays out of the write chain (the chain must never wait on a host).
    if (to === 'healthy') this.deps.hostTurnedHealthy(host, incidentId);
  }
}

function persistKey(rt: TargetRuntime): string {
  const ctx = rt.actor.getSnapshot().context;
  return `${rt.phase}|${ctx.rung}|${ctx.incidentId}|${ctx.pendingAction?.id}|${Math.round(ctx.penalty)}`;
}

/** A restored snapshot with its context in the shape V8 keeps fast (fastShape, core/context.ts). */
function withFastContext(snapshot: unknown): unknown {
  if (typeof snapshot !== 'object' || snapshot === null) return snapshot;
  const { context } = snapshot as { context?: unknown };
  return typeof context === 'object' && context !== null ? { ...snapshot, context: fastShape(context) } : snapshot;
}

function incidentOf(emitted: RecoveryEmitted[]): string | null {
  for (const e of emitted) if ('incidentId' in e && e.incidentId) return e.incidentId;
  return null;
}
