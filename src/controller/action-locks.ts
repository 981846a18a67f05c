/**
 * One action per target at a time (issue 9), enforced in this one place: the ladder's dispatch,
 * the stale-copy removal and every operator command that acts take a lease on the targets they
 * touch (a VM move also holds the VM, a fence the host and the VMs it may start elsewhere). A
 * lease is held until the action has settled, not merely until its rung timeout: a timed-out
 * attempt that is still stopping keeps its targets locked, so its retry cannot start beside it.
 */
import type { TargetId } from '../core/types.js';
import { RrcError } from '../errors.js';

export interface ActionLease {
  readonly keys: readonly TargetId[];
  readonly holder: string;
  /** Idempotent. Wakes whoever waits for one of the keys. */
  release(): void;
}

export type LockAttempt = { ok: true; lease: ActionLease } | { ok: false; key: TargetId; heldBy: string };

export class ActionLocks {
  private readonly held = new Map<TargetId, string>();
  private readonly waiters = new Map<TargetId, Array<() => void>>();

  /** All keys or none; on a conflict says which key is held and by what. */
  tryAcquire(keys: readonly TargetId[], holder: string): LockAttempt {
    const unique = [...new Set(keys)].sort();
    for (const key of unique) {
      const heldBy = this.held.get(key);
      if (heldBy !== undefined) return { ok: false, key, heldBy };
    }
    for (const key of unique) this.held.set(key, holder);
    let released = false;
    const lease: ActionLease = {
      keys: unique,
      holder,
      release: () => {
        if (released) return;
        released = true;
        for (const key of unique) {
          if (this.held.get(key) === holder) this.held.delete(key);
        }
        for (const key of unique) this.wake(key);
      },
    };
    return { ok: true, lease };
  }

  /** Like tryAcquire; a held key throws RRC_ERR_INVALID_STATE naming the running action. */
  acquire(keys: readonly TargetId[], holder: string): ActionLease {
    const attempt = this.tryAcquire(keys, holder);
    if (!attempt.ok) {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${attempt.key} is busy with ${attempt.heldBy}; wait for it to finish or put the target in maintenance`, {
        details: { target: attempt.key, runningAction: attempt.heldBy },
      });
    }
    return attempt.lease;
  }

  /** What holds `key` now, or null. */
  holderOf(key: TargetId): string | null {
    return this.held.get(key) ?? null;
  }

  /** Runs `fn` once, when `key` is next released (at once when it is free now). */
  whenReleased(key: TargetId, fn: () => void): void {
    if (!this.held.has(key)) {
      fn();
      return;
    }
    const list = this.waiters.get(key) ?? [];
    list.push(fn);
    this.waiters.set(key, list);
  }

  /** Holds the keys while `work` runs; throws RRC_ERR_INVALID_STATE when one is held. */
  async with<T>(keys: readonly TargetId[], holder: string, work: () => Promise<T>): Promise<T> {
    const lease = this.acquire(keys, holder);
    try {
      return await work();
    } finally {
      lease.release();
    }
  }

  private wake(key: TargetId): void {
    const list = this.waiters.get(key);
    if (!list) return;
    this.waiters.delete(key);
    for (const fn of list) fn();
  }
}
