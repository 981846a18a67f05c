/**
 * The real wall clock: epoch milliseconds from Date.now and Node's own timers. Same contract as
 * the sim's VirtualClock, so the controller and XState actors run unchanged on either.
 */
import type { Clock } from '../env.js';

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createRealClock(): Clock {
  return realClock;
}
