/**
 * One measured lab step as lab-steps.json carries it (read by bench/calibration.ts), and the
 * summary of its samples. Pure; pinned by test/unit/bench-lab-steps/step-result.test.ts.
 */
import { mean, percentileSorted, round, sd } from '../stats.js';

/** What a step is, before it is measured. */
export interface StepDefinition {
  name: string;
  /** One line: exactly what was timed, from which event to which. */
  what: string;
  /** Anything a reader must know to compare it (TCG, stand-ins, the load). */
  note?: string;
}

export interface LabStepResult extends StepDefinition {
  /** Successful runs. */
  n: number;
  /** Seconds. 0 when skipped (then `skipped` says why: never read a skipped step's numbers). */
  mean: number;
  sd: number;
  /** Nearest-rank median: a measured value. */
  p50: number;
  max: number;
  unit: 's';
  /** Each successful run, seconds, in run order. */
  samples: number[];
  /** Runs that failed, with their error (the step still counts the others). */
  failures?: string[];
  /** Why fewer runs were made than asked for (time budget, repeated failures). */
  stoppedEarly?: string;
  skipped?: string;
}

/** Seconds keep 4 decimals: an ipmitool round trip is tens of milliseconds. */
const DIGITS = 4;

export function summarizeStep(def: StepDefinition, samples: readonly number[], failures: readonly string[] = []): LabStepResult {
  const base = { ...def, unit: 's' as const, ...(failures.length ? { failures: [...failures] } : {}) };
  if (samples.length === 0) {
    const reason = failures.length ? `every run failed; first error: ${failures[0]}` : 'not run';
    return { ...base, n: 0, mean: 0, sd: 0, p50: 0, max: 0, samples: [], skipped: reason };
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ...base,
    n: samples.length,
    mean: round(mean(sorted), DIGITS),
    sd: round(sd(sorted), DIGITS),
    p50: round(percentileSorted(sorted, 50), DIGITS),
    max: round(sorted[sorted.length - 1]!, DIGITS),
    samples: samples.map((s) => round(s, DIGITS)),
  };
}

/** The summary of a `repeat` outcome (repeat.ts). */
export function stepFromOutcome(def: StepDefinition, outcome: { samples: number[]; failures: string[]; stoppedEarly?: string }): LabStepResult {
  const r = summarizeStep(def, outcome.samples, outcome.failures);
  return outcome.stoppedEarly ? { ...r, stoppedEarly: outcome.stoppedEarly } : r;
}

/** A step that was not measured at all, with the reason (a missing peer, a refused precondition). */
export function skippedStep(def: StepDefinition, reason: string): LabStepResult {
  return { ...summarizeStep(def, []), skipped: reason };
}
