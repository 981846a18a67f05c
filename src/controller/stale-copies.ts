/**
 * Stale-copy removal: a host that was fenced and comes back still holds the domains of the VMs
 * moved away (and libvirt autostart may have started them), and must not run them (no VM on two
 * hosts). It runs at the first probe that reaches the hypervisor of a host that is not settled
 * healthy, before that probe counts toward healthy (probing.ts: `atFirstContact`), and again when
 * the host turns healthy (`afterHostHealthy`, a second look that is free when nothing is stale).
 *
 * The check (listing the host's domains) is read-only and leaves no trace when nothing is stale.
 * When something is, or the check fails, it is an action like the ladder's: stored under a
 * deterministic id before the driver is called, with its outcome and error, timeline and log
 * lines, and an 'action-done' event. It runs outside the target's write chain (driver I/O never
 * blocks it); its store writes are tracked so that idle() waits for them.
 */
import { actionFailed, actionResultProblem, RUNG, type ActionResult, type PendingAction, type TargetId } from '../core/index.js';
import type { Env } from '../env/env.js';
import { errorText } from '../errors.js';
import type { HostRecord } from '../store/types.js';
import type { ActionLocks } from './action-locks.js';
import type { ControllerEvents } from './controller-events.js';
import type { ActionExecutor } from './executor.js';
import type { StaleCopy, Timeline } from './executor-types.js';
import type { IncidentRecorder } from './recorder.js';
import type { SideWrites } from './side-writes.js';

export interface StaleCopyRemovalDeps {
  env: Env;
  executor: ActionExecutor;
  recorder: IncidentRecorder;
  events: ControllerEvents;
  sideWrites: SideWrites;
  /** The host is locked while its copies are checked and removed (one action per target). */
  locks: ActionLocks;
  fencingToken?: () => number | null;
}

/**
 * The action of a host's stale-copy removal. Recorded under the rung of the evacuation that left
 * the copies behind, in the incident that ends (its id is deterministic per incident).
 */
export function staleCopyAction(hostId: TargetId, incidentId: string | null, at: number): PendingAction {
  return {
    id: `${incidentId ?? hostId}/stale-copies`,
    incidentId: incidentId ?? '',
    rung: RUNG.fenceMigrate,
    kind: 'remove-stale-copies',
    attempt: 1,
    issuedAt: at,
    operatorConfirmedOff: false,
  };
}

export class StaleCopyRemoval {
  constructor(private readonly deps: StaleCopyRemovalDeps) {}

  /**
   * Checks `host` and removes what is stale. `incidentId` is the host's incident the removal
   * belongs to; without one (a host that never had an incident) nothing can be stored and only
   * the log and the event tell. Never throws.
   */
  async afterHostHealthy(hostId: TargetId, host: HostRecord, incidentId: string | null): Promise<void> {
    const lock = this.deps.locks.tryAcquire([hostId], `remove-stale-copies on ${host.name}`);
    if (!lock.ok) {
      // Something (an operator command) acts on the host: check once it is done, never beside it.
      this.deps.env.log.info({ target: hostId, waitsFor: lock.heldBy }, `stale-copy check waits: ${hostId} is busy with ${lock.heldBy}`);
      this.deps.locks.whenReleased(lock.key, () => void this.afterHostHealthy(hostId, host, incidentId));
      return;
    }
    try {
      void (await this.checkAndRemove(hostId, host, incidentId));
    } finally {
      lock.lease.release();
    }
  }

  /**
   * The first contact with a host that comes back: its stale copies are removed before its probe
   * may count as good. 'clean': nothing stale, or all removed; 'failed': the check or a removal
   * failed (the probe counts as bad); 'busy': another action holds the host (the probe is not fed).
   */
  async atFirstContact(hostId: TargetId, host: HostRecord, incidentId: string | null): Promise<'clean' | 'failed' | 'busy'> {
    const lock = this.deps.locks.tryAcquire([hostId], `remove-stale-copies on ${host.name}`);
    if (!lock.ok) return 'busy';
    try {
      return (await this.checkAndRemove(hostId, host, incidentId)) ? 'clean' : 'failed';
    } finally {
      lock.lease.release();
    }
  }

  /** True when the host holds no stale copy any more (none found, or all removed). */
  private async checkAndRemove(hostId: TargetId, host: HostRecord, incidentId: string | null): Promise<boolean> {
    const { env, executor } = this.deps;
    const startedAt = env.clock.now();
    let copies: StaleCopy[];
    try {
      copies = await executor.staleCopiesOn(host);
    } catch (e) {
      const action = staleCopyAction(hostId, incidentId, startedAt);
      await this.started(hostId, action, startedAt);
      this.finished(hostId, action, startedAt, actionFailed(`could not check ${host.name} for stale VM copies: ${errorText(e)}`));
      return false;
    }
    if (copies.length === 0) return true;
    const action = staleCopyAction(hostId, incidentId, startedAt);
    // Intent first: the record exists before anything is destroyed.
    await this.started(hostId, action, startedAt);
    const result = await executor.removeStaleCopies(host, copies, this.timeline(hostId, action));
    this.finished(hostId, action, startedAt, result);
    return result.outcome === 'ok';
  }

  private stored(action: PendingAction): boolean {
    return action.incidentId !== '';
  }

  private token(): number | null {
    return this.deps.fencingToken?.() ?? null;
  }

  private async started(hostId: TargetId, action: PendingAction, at: number): Promise<void> {
    const { recorder, sideWrites, env } = this.deps;
    if (this.stored(action)) {
      await sideWrites.track(recorder.actionStarted(hostId, action, at, false, this.token())).catch((e: unknown) => {
        env.log.error({ target: hostId, actionId: action.id, error: errorText(e) }, 'could not record the stale-copy removal');
      });
    } else {
      env.log.info({ target: hostId, actionId: action.id, action: action.kind }, `${action.kind} started`);
    }
  }

  private finished(hostId: TargetId, action: PendingAction, startedAt: number, result: ActionResult): void {
    const { recorder, sideWrites, env, events } = this.deps;
    const at = env.clock.now();
    events.notify({ type: 'action-done', targetId: hostId, action, result, startedAt, at });
    if (this.stored(action)) {
      void sideWrites.track(recorder.actionFinished(hostId, action, startedAt, at, result, this.token())).catch((e: unknown) => {
        env.log.error({ target: hostId, actionId: action.id, error: errorText(e) }, 'could not record the stale-copy removal');
      });
    } else {
      const problem = actionResultProblem(result);
      if (problem === null) env.log.info({ target: hostId, actionId: action.id }, `${action.kind} ok`);
      else env.log.warn({ target: hostId, actionId: action.id, error: problem }, `${action.kind} failed: ${problem}`);
    }
  }

  private timeline(hostId: TargetId, action: PendingAction): Timeline {
    const { recorder, sideWrites, env } = this.deps;
    if (this.stored(action)) return recorder.timeline(hostId, action, () => env.clock.now(), sideWrites);
    return (_kind, message, data) => env.log.warn({ target: hostId, actionId: action.id, ...data }, message);
  }
}
