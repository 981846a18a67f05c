/**
 * The instant a controller "dies": one switch shared by the wrappers around its Env and Store.
 * After `kill()` every call of that controller instance hangs forever and has no effect, and its
 * timers are dropped, as if its process had received SIGKILL.
 */
export class KillSwitch {
  private readonly abort = new AbortController();
  killedAt: number | null = null;

  get killed(): boolean {
    return this.killedAt !== null;
  }

  /** Aborts at the kill: in-flight driver calls stop before they act (mode `drop`). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Resolves at the kill: a wait on the dead controller (its idle()) must not outlive it. */
  readonly died: Promise<void> = new Promise((resolve) => this.abort.signal.addEventListener('abort', () => resolve(), { once: true }));

  kill(at: number): void {
    if (this.killed) return;
    this.killedAt = at;
    this.abort.abort(new Error('controller killed'));
  }
}

/** A promise that never settles: what a dead process's caller would wait for. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
