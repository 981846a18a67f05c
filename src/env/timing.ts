/**
 * Waiting and time limits through an injected Clock, so the same logic runs on wall time (real
 * Env) and on virtual time (sim Env, tests, bench). Shared by the controller and the drivers.
 */
import type { Clock } from './env.js';
import { RrcError } from '../errors.js';

/** Resolve after `ms` on any Clock; 0 or less resolves at once without a timer. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Settles with `work` or rejects with RRC_ERR_DRIVER_TIMEOUT after `ms`, whichever comes first.
 * The work itself cannot be cancelled (a hung native call stays hung); `onTimeout` lets the caller
 * drop whatever resource is stuck (a connection) so the next call starts fresh.
 */
export function withTimeout<T>(
  clock: Clock,
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const handle = clock.setTimeout(() => {
      if (done) return;
      done = true;
      try {
        onTimeout?.();
      } finally {
        reject(new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${what} did not answer within ${ms} ms`));
      }
    }, ms);
    work.then(
      (v) => {
        if (done) return;
        done = true;
        clock.clearTimeout(handle);
        resolve(v);
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        clock.clearTimeout(handle);
        reject(e);
      },
    );
  });
}

/**
 * Runs `worker` over `items` in order with at most `limit` in flight. A worker may return null
 * for an item it decided synchronously to skip: the lane goes on without a promise for it.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void> | null): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const work = worker(items[next++] as T);
      if (work !== null) await work;
    }
  };
  const width = Math.max(1, Math.min(limit, items.length));
  // Lanes start in order, each running until its first real wait; once the items are used up the
  // rest would only return (a promise each per call: per target kind per probe cycle).
  const lanes: Promise<void>[] = [lane()];
  while (lanes.length < width && next < items.length) lanes.push(lane());
  await Promise.all(lanes);
}
