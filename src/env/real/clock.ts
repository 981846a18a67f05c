/**
 * The real clock. Same contract as the sim's VirtualClock, so the controller and XState actors run
 * unchanged on either.
 *
 * Two needs meet in `now()` (issue 9):
 * - the store, the logs and the API want wall time: epoch milliseconds a person and the database
 *   can compare with other wall times (`lastContactAt` written by a previous controller process);
 * - deadlines, rung timeouts and the self-fence wait want a clock that never jumps: a wall clock
 *   stepped back by NTP or by hand would stretch a wait, stepped forward would end a watchdog wait
 *   early and start a VM while its old host may still run it.
 * So `now()` is the wall time read ONCE at start, advanced by a monotonic source
 * (performance.now(), CLOCK_MONOTONIC: slewed by NTP, never stepped). Within one process every
 * difference of two `now()` values is monotonic time; across processes it is wall time as of each
 * start, which is what a persisted last contact needs. A wall-clock step while running is not
 * followed until the next start (the price: timestamps off by that step, never a shortened wait).
 * Node's timers are monotonic already.
 */
import type { Clock } from '../env.js';

export interface ClockSources {
  /** Epoch milliseconds (Date.now). */
  wallNow(): number;
  /** Milliseconds from an arbitrary origin that never go back (performance.now). */
  monotonicNow(): number;
}

const PROCESS_SOURCES: ClockSources = { wallNow: () => Date.now(), monotonicNow: () => performance.now() };

/** A clock anchored on the wall time now and advanced by `sources.monotonicNow` from then on. */
export function createRealClock(sources: ClockSources = PROCESS_SOURCES): Clock {
  const wallAtStart = sources.wallNow();
  const monotonicAtStart = sources.monotonicNow();
  return {
    // Whole milliseconds, like Date.now (the store keeps integer epoch milliseconds).
    now: () => wallAtStart + Math.floor(sources.monotonicNow() - monotonicAtStart),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

/** The process's clock, anchored when this module is first loaded. */
export const realClock: Clock = createRealClock();
