/**
 * The PXE reinstalls of lent hosts, run in the background: an install takes many minutes and the
 * sweep must not wait for it (it serves every other request meanwhile). Only memory: the sweep
 * reads the outcome here and records it in the store, so a stopped service (`detach`) writes
 * nothing more, and a restarted one finds no entry and observes instead of starting again.
 */
import { errorText } from '../errors.js';

export type ReinstallState = { kind: 'none' } | { kind: 'running' } | { kind: 'done' } | { kind: 'failed'; error: string };

interface Entry {
  state: ReinstallState;
  abort: AbortController;
  settled: Promise<void>;
}

export class PhysicalReinstalls {
  private readonly entries = new Map<string, Entry>();
  private detached = false;

  /** `key` is `<request>:<phase>`; `work` gets the signal that `abort` fires. */
  start(key: string, work: (signal: AbortSignal) => Promise<void>): void {
    const abort = new AbortController();
    const entry: Entry = { state: { kind: 'running' }, abort, settled: Promise.resolve() };
    entry.settled = work(abort.signal).then(
      () => void (entry.state = { kind: 'done' }),
      (e: unknown) => void (entry.state = { kind: 'failed', error: errorText(e) }),
    );
    this.entries.set(key, entry);
  }

  state(key: string): ReinstallState {
    return this.entries.get(key)?.state ?? { kind: 'none' };
  }

  /** Forget a settled outcome once it is recorded (a failed return reinstall may be started again). */
  forget(key: string): void {
    if (this.entries.get(key)?.state.kind !== 'running') this.entries.delete(key);
  }

  /** Stops waiting for a running reinstall and resolves once it settled. */
  async abort(key: string, why: string): Promise<void> {
    const e = this.entries.get(key);
    if (!e) return;
    if (e.state.kind === 'running') e.abort.abort(new Error(why));
    await e.settled;
  }

  /** The service stops: milestones are no longer written (a successor takes over from the store). */
  detach(): void {
    this.detached = true;
  }

  get isDetached(): boolean {
    return this.detached;
  }
}
