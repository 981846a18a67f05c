/**
 * A paused process (SIGSTOP, a long GC) in-process: while paused, its store calls are held
 * unsent and its timers do not run. At resume, the held store calls go out first (in order),
 * then the timers that came due meanwhile run late, as they would after SIGCONT.
 */
import type { Clock, Env } from '../../../src/env/env.js';
import type { Store } from '../../../src/store/types.js';

export class Pause {
  private paused = false;
  private onPause: (() => void) | undefined;
  private readonly heldCalls: Array<() => void> = [];
  private readonly lateTimers: Array<() => void> = [];
  /** The held calls' outcomes, settled or not. */
  private readonly sent: Array<Promise<unknown>> = [];

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
    this.onPause?.();
  }

  /** Resolves once paused (now, or at the next pause). */
  stopped(): Promise<void> {
    if (this.paused) return Promise.resolve();
    return new Promise((resolve) => (this.onPause = resolve));
  }

  /** Sends the held store calls, waits for their answers, then runs the late timers. */
  async resume(): Promise<void> {
    this.paused = false;
    for (const send of this.heldCalls.splice(0)) send();
    await Promise.allSettled(this.sent.splice(0));
    // Their callers' reactions (promise callbacks) all run before the next macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    for (const run of this.lateTimers.splice(0)) run();
  }

  call<T>(send: () => Promise<T>): Promise<T> {
    if (!this.paused) return send();
    return new Promise<T>((resolve, reject) => {
      this.heldCalls.push(() => {
        const p = send();
        this.sent.push(p);
        p.then(resolve, reject);
      });
    });
  }

  timer(fn: () => void): () => void {
    return () => (this.paused ? this.lateTimers.push(fn) : fn());
  }
}

const WRITES = /^(add|update|save|remove|delete|create|upsert)/;

/** `beforeWrite` runs before each write goes out (it may pause, and the write is then held). */
export function pausedStore(inner: Store, pause: Pause, beforeWrite?: (method: string) => void): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]): Promise<unknown> => {
        if (WRITES.test(String(key))) beforeWrite?.(String(key));
        return pause.call(() => method.apply(target, args));
      };
    },
  });
}

export function pausedEnv(inner: Env, pause: Pause): Env {
  const clock: Clock = {
    now: () => inner.clock.now(),
    setTimeout: (fn, ms) => inner.clock.setTimeout(pause.timer(fn), ms),
    clearTimeout: (h) => inner.clock.clearTimeout(h),
  };
  const { name, log, probes, power, hypervisor, shell, provisioner, witnesses } = inner;
  return { name, log, clock, probes, power, hypervisor, shell, provisioner, witnesses };
}
