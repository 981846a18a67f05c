/** The wait before each retry of a webhook delivery: exponential, capped, with jitter (no herd of retries). */
import type { RetrySchedule } from './types.js';

/**
 * Milliseconds to wait after failed attempt number `attempt` (1 = the first try), or null when
 * that was the last allowed. `random` in [0, 1) (injected so tests know the result).
 */
export function retryDelayMs(attempt: number, schedule: RetrySchedule, random: () => number = Math.random): number | null {
  if (attempt >= schedule.maxAttempts) return null;
  const full = Math.min(schedule.maxSeconds, schedule.initialSeconds * schedule.factor ** (attempt - 1)) * 1000;
  return Math.round(full * (1 - schedule.jitter * random()));
}

/** Every wait of a schedule, without jitter: for documentation and config checks. */
export function retryDelays(schedule: RetrySchedule): number[] {
  const out: number[] = [];
  for (let a = 1; ; a++) {
    const d = retryDelayMs(a, { ...schedule, jitter: 0 });
    if (d === null) return out;
    out.push(d);
  }
}
