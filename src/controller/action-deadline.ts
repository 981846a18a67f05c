/**
 * The rung timeout of one action attempt (issue 9). At the timeout the attempt is aborted (its
 * driver calls stop at their next step) and then waited for, bounded by a settle grace: the
 * retry must never start beside an attempt that is still acting (a fence-migrate running past
 * its timeout would start the same VMs a second time). An attempt that does not stop within the
 * grace may still act: the result is `blocked`, so a person checks instead of a retry.
 */
import { actionResultProblem, type ActionResult } from '../core/action-result.js';
import type { Clock } from '../env/env.js';
import { RrcError } from '../errors.js';
import type { Timeline } from './executor-types.js';

export interface DeadlineOptions {
  timeoutMs: number;
  /** How long an aborted attempt may take to stop. */
  settleGraceMs: number;
  /** `<kind> on <target>`, for messages. */
  what: string;
  timeline: Timeline;
}

type Race<T> = { settled: true; value: T } | { settled: false };

/** `run` never rejects (the executor turns errors into results). */
export async function runWithDeadline(clock: Clock, run: Promise<ActionResult>, abort: AbortController, opts: DeadlineOptions): Promise<ActionResult> {
  const first = await within(clock, run, opts.timeoutMs);
  if (first.settled) return first.value;
  const timeoutS = seconds(opts.timeoutMs);
  const abortedAt = clock.now();
  abort.abort(new RrcError('RRC_ERR_ABORTED', `${opts.what} exceeded its rung timeout of ${timeoutS} s`));
  opts.timeline('abort', `${opts.what}: no result within ${timeoutS} s: aborted; waiting up to ${seconds(opts.settleGraceMs)} s for it to stop`);
  const second = await within(clock, run, opts.settleGraceMs);
  if (!second.settled) {
    const reason = `${opts.what} did not stop within ${seconds(opts.settleGraceMs)} s of being aborted at its rung timeout (${timeoutS} s); it may still be acting: a person must check before anything else runs`;
    opts.timeline('abort', reason);
    return { outcome: 'blocked', reason };
  }
  const stoppedAfter = seconds(clock.now() - abortedAt);
  opts.timeline('abort', `${opts.what} stopped ${stoppedAfter} s after the abort`);
  const result = second.value;
  if (result.outcome !== 'failed') return result; // finished (ok) or needs a person anyway (blocked)
  return { outcome: 'failed', error: `timed out after ${timeoutS} s, aborted and stopped: ${actionResultProblem(result) ?? 'no detail'}` };
}

/** Settles with `p` or reports that `ms` passed first; clears its timer either way. */
function within<T>(clock: Clock, p: Promise<T>, ms: number): Promise<Race<T>> {
  return new Promise((resolve) => {
    let done = false;
    const handle = clock.setTimeout(() => {
      if (done) return;
      done = true;
      resolve({ settled: false });
    }, Math.max(0, ms));
    void p.then((value) => {
      if (done) return;
      done = true;
      clock.clearTimeout(handle);
      resolve({ settled: true, value });
    });
  });
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
