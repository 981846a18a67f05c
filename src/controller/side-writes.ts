/**
 * Store writes started from inside an action (outside a target's write chain). Without tracking
 * them, a virtual-time driver (tests, bench) would advance the clock while a slow store
 * (PostgreSQL under load) is still writing, and the action's virtual deadline would expire on real
 * I/O latency. idle() waits for them.
 */
export class SideWrites {
  private readonly pending = new Set<Promise<unknown>>();

  /** Returns `write` itself; its settling (ok or not) is waited for by `settled()`. */
  track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return write;
  }

  get size(): number {
    return this.pending.size;
  }

  /** The writes in flight now (a snapshot). */
  inFlight(): Promise<unknown>[] {
    return [...this.pending];
  }
}
