/**
 * A restart reconciles by looking (issue 9). For each action that was in flight when the previous
 * controller stopped (the machine's `pendingAction` in recovering.acting, and its store record
 * without an end), the new controller first reads the store and looks at the world
 * (restart-look.ts), then decides (restart-decision.ts): feed a recorded end back to the machine,
 * run it again only when that is harmless, count it done when its effect is there or under way
 * (a booting host is not power-cycled again), resume a reinstall where it is, or hand the incident
 * to a person with the reason. What was seen and decided goes to the incident's timeline.
 *
 * Also: a stale-copy removal cut short is checked again, and any other record left without an end
 * (its machine had moved on) is closed as `interrupted`, so no action stays "running" forever.
 */
import { ACTION_OK, actionFailed, type ActionResult } from '../core/action-result.js';
import type { PendingAction } from '../core/context.js';
import type { RecoveryEvent } from '../core/machine/events.js';
import type { TargetId } from '../core/types.js';
import type { Env, Logger } from '../env/env.js';
import { sleep } from '../env/timing.js';
import { errorText } from '../errors.js';
import type { ActionRecord, Store } from '../store/types.js';
import type { ActionLocks } from './action-locks.js';
import type { ControllerEvents } from './controller-events.js';
import type { InventoryIndex } from './inventory.js';
import type { IncidentRecorder } from './recorder.js';
import { decideAfterRestart, decidedByStore, type RestartVerdict } from './restart-decision.js';
import { lookAfterRestart, type LookInventory } from './restart-look.js';
import { resumeReinstall } from './resume-reinstall.js';
import type { SideWrites } from './side-writes.js';

/** The part of a target runtime the reconciliation reads and marks. */
export interface ReconcileTarget {
  readonly id: TargetId;
  readonly name: string;
  /** Held on the action while it is looked at, so that no other path starts it meanwhile. */
  runningActionId: string | null;
  readonly removed: boolean;
}

/** What the reconciliation asks of the target runtimes. */
export interface ReconcileHooks<T extends ReconcileTarget> {
  /** The machine's pending action now (it may have moved on while the world was looked at). */
  pendingAction(rt: T): PendingAction | null;
  /** Runs the pending action again through the usual dispatch, recorded as resumed. */
  dispatchAgain(rt: T): void;
  send(rt: T, event: RecoveryEvent): void;
  /** A store write in the target's write chain (retried there when it fails). */
  write(rt: T, what: string, write: () => Promise<void>): void;
  /** The stale-copy check of a healthy host (stale-copies.ts), for one cut short by the restart. */
  checkStaleCopies(hostName: string, incidentId: string | null): void;
  /** The target runtime of a host, to see whether it is healthy. */
  hostHealthy(hostName: string): boolean;
}

export interface ReconcileDeps {
  env: Env;
  store: Store;
  log: Logger;
  recorder: IncidentRecorder;
  index: InventoryIndex;
  events: ControllerEvents;
  sideWrites: SideWrites;
  locks: ActionLocks;
  fencingToken?: () => number | null;
  /** The policy's reinstall deadline (default 900 s). */
  reinstallDeadlineMs?: number;
  /** Bound on the look at one host (default 10 s). */
  probeTimeoutMs?: number;
}

/** Reads of the store at start-up are tried this often, `STORE_RETRY_MS` apart. */
const STORE_TRIES = 5;
const STORE_RETRY_MS = 2_000;

export class RestartReconciler<T extends ReconcileTarget> {
  constructor(
    private readonly deps: ReconcileDeps,
    private readonly hooks: ReconcileHooks<T>,
  ) {}

  /** Resolves `action` of `rt` by looking first. Never throws; the target's action stays held meanwhile. */
  async reconcile(rt: T, action: PendingAction): Promise<void> {
    const { env, log } = this.deps;
    rt.runningActionId = action.id;
    try {
      const record = await this.recordOf(action);
      const look = decidedByStore(record) ? null : await lookAfterRestart(env, this.lookInventory(), action, rt.name, this.deps.probeTimeoutMs ?? 10_000);
      const verdict = decideAfterRestart({ action, record, look, now: env.clock.now(), reinstallDeadlineMs: this.deps.reinstallDeadlineMs ?? 900_000 });
      await this.act(rt, action, record, verdict);
    } catch (e) {
      // The store could not be read: the machine is told, as for an action whose start could not be written.
      log.error({ target: rt.id, actionId: action.id, error: errorText(e) }, 'restart: the action in flight could not be reconciled');
      this.finish(rt, action, { outcome: 'blocked', reason: `after a controller restart the action in flight could not be checked: ${errorText(e)}` });
    }
  }

  /** Records left without an end whose machine moved on: re-check stale copies, close the rest. Never throws. */
  async settleLeftovers(pendingIds: ReadonlySet<string>): Promise<void> {
    const { env, log, recorder } = this.deps;
    let open: ActionRecord[];
    try {
      open = await this.withStoreRetry(() => this.deps.store.listActions({ unfinished: true }));
    } catch (e) {
      log.error({ error: errorText(e) }, 'restart: unfinished actions could not be listed');
      return;
    }
    for (const rec of open.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (pendingIds.has(rec.id)) continue;
      const hostName = rec.targetId.startsWith('host:') ? rec.targetId.slice(5) : null;
      if (rec.kind === 'remove-stale-copies' && hostName !== null && this.hooks.hostHealthy(hostName)) {
        // Read-then-act: the check finds what is still stale and writes under the same id.
        await recorder.event(rec.incidentId, env.clock.now(), 'restart', `resumed after a controller restart: stale copies on ${hostName} are checked again`);
        this.hooks.checkStaleCopies(hostName, rec.incidentId || null);
        continue;
      }
      const note = `its target had moved on (${rec.kind} is not pending any more)`;
      await this.deps.sideWrites.track(recorder.actionSettledAfterRestart(rec, env.clock.now(), note)).catch((e: unknown) => {
        log.error({ actionId: rec.id, error: errorText(e) }, 'restart: could not close an interrupted action');
      });
    }
  }

  private async act(rt: T, action: PendingAction, record: ActionRecord | null, verdict: RestartVerdict): Promise<void> {
    const { env, recorder, log } = this.deps;
    const at = env.clock.now();
    const say = (message: string) => {
      log.info({ target: rt.id, incident: action.incidentId, actionId: action.id, verdict: verdict.kind }, message);
      return recorder.event(action.incidentId, at, 'restart', message, { actionId: action.id, verdict: verdict.kind });
    };
    switch (verdict.kind) {
      case 'replay':
        await say(`resumed after a controller restart: ${verdict.note}; its outcome goes on`);
        return this.finish(rt, action, verdict.result);
      case 'repeat':
        await say(`resumed after a controller restart: ${verdict.note}`);
        rt.runningActionId = null;
        if (this.hooks.pendingAction(rt)?.id === action.id) this.hooks.dispatchAgain(rt);
        return;
      case 'done':
        await say(`not repeated after a controller restart: ${verdict.note}`);
        if (record) this.hooks.write(rt, `restart settlement of ${action.id}`, () => recorder.actionSettledAfterRestart(record, at, verdict.note));
        return this.finish(rt, action, ACTION_OK);
      case 'person':
        await say(`not repeated after a controller restart: ${verdict.reason}; a person decides`);
        if (record) this.hooks.write(rt, `restart settlement of ${action.id}`, () => recorder.actionSettledAfterRestart(record, at, verdict.reason));
        return this.finish(rt, action, { outcome: 'blocked', reason: verdict.reason });
      case 'resume-reinstall':
        await say(`resumed after a controller restart: ${verdict.note}`);
        return this.resumeReinstall(rt, action, verdict.remainingMs);
    }
  }

  /**
   * The reinstall goes on where it is: the target stays locked as for any action, the start is
   * recorded as resumed, and the end goes to the machine as usual.
   */
  private async resumeReinstall(rt: T, action: PendingAction, remainingMs: number): Promise<void> {
    const { env, recorder, locks, sideWrites } = this.deps;
    const host = this.deps.index.hosts.get(rt.name);
    if (!host) return this.finish(rt, action, actionFailed(`host ${rt.name} is no longer in the inventory`));
    const lock = locks.tryAcquire([rt.id], `${action.kind} ${action.id} (resumed)`);
    if (!lock.ok) {
      locks.whenReleased(lock.key, () => void this.resumeReinstall(rt, action, remainingMs));
      return;
    }
    const token = this.deps.fencingToken?.() ?? null;
    const startedAt = env.clock.now();
    try {
      await recorder.actionStarted(rt.id, action, startedAt, true, token, 'waiting for the install under way, not restarting it');
    } catch (e) {
      lock.lease.release();
      return this.finish(rt, action, actionFailed(`the resumed reinstall could not be recorded: ${errorText(e)}`));
    }
    const timeline = recorder.timeline(rt.id, action, () => env.clock.now(), sideWrites);
    const result = await resumeReinstall(env, host, remainingMs, timeline);
    lock.lease.release();
    const at = env.clock.now();
    this.deps.events.notify({ type: 'action-done', targetId: rt.id, action, result, startedAt, at });
    this.hooks.write(rt, `end of ${action.id}`, () => recorder.actionFinished(rt.id, action, startedAt, at, result, token));
    this.finish(rt, action, result, false);
  }

  /** Hands the result to the machine (the action is no longer held). */
  private finish(rt: T, action: PendingAction, result: ActionResult, notify = true): void {
    const at = this.deps.env.clock.now();
    if (notify) this.deps.events.notify({ type: 'action-done', targetId: rt.id, action, result, startedAt: at, at });
    if (rt.runningActionId === action.id) rt.runningActionId = null;
    this.hooks.send(rt, { type: 'ACTION_DONE', at, actionId: action.id, result });
  }

  private async recordOf(action: PendingAction): Promise<ActionRecord | null> {
    const records = await this.withStoreRetry(() => this.deps.store.listActions({ incidentId: action.incidentId }));
    return records.find((r) => r.id === action.id) ?? null;
  }

  /** A store read at start-up, retried a few times on the clock before it counts as failed. */
  private async withStoreRetry<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (e) {
        if (attempt >= STORE_TRIES) throw e;
        await sleep(this.deps.env.clock, STORE_RETRY_MS * attempt);
      }
    }
  }

  private lookInventory(): LookInventory {
    const { index } = this.deps;
    return {
      host: (name) => index.hosts.get(name),
      vm: (name) => index.vms.get(name),
      vmsOn: (name) => index.vmsOn(name),
      hosts: () => index.sortedHostNames().flatMap((name) => index.hosts.get(name) ?? []),
    };
  }
}
