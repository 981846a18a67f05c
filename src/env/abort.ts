/**
 * Cancellation for driver calls (issue 9: a timed-out action is aborted, not left running beside
 * its retry). Drivers check the signal between steps and stop waiting when it fires; these helpers
 * keep that to one line at each place, on any Clock (wall or virtual).
 */
import type { Clock } from './env.js';
import { RrcError } from '../errors.js';

/** The error an aborted call rejects with: the signal's reason when it is one of ours. */
export function abortError(signal: AbortSignal, what: string): RrcError {
  const reason: unknown = signal.reason;
  if (reason instanceof RrcError && reason.code === 'RRC_ERR_ABORTED') return reason;
  return new RrcError('RRC_ERR_ABORTED', `${what}: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`);
}

/** Throws RRC_ERR_ABORTED when `signal` has fired: call it before each step that acts. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * Settles with `work`, or rejects with RRC_ERR_ABORTED as soon as `signal` fires. The work is not
 * stopped by this (the caller kills what it started in `onAbort`); only the wait ends.
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    onAbort?.();
    work.catch(() => undefined);
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort?.();
      reject(abortError(signal, what));
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

/** Waits `ms` on `clock`; an abort ends the wait at once (timer cleared) with RRC_ERR_ABORTED. */
export function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal | undefined, what = 'wait'): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, what));
  if (!(ms > 0)) return Promise.resolve();
  if (!signal) return new Promise((resolve) => clock.setTimeout(resolve, ms));
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => {
      clock.clearTimeout(handle);
      reject(abortError(signal, what));
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
