/**
 * Runs one timed lab step up to N times, bounded in count and in time: no run starts after the
 * step's deadline, and the step gives up after `maxFailures` failed runs (a lab that does not work
 * must not eat the whole budget). Pure apart from the clock it is given; pinned by
 * test/unit/bench-lab-steps/repeat.test.ts.
 */
export interface RepeatOptions {
  runs: number;
  /** No run starts once this many ms have passed since the first. */
  budgetMs: number;
  /** Stop after this many failed runs. Default 2. */
  maxFailures?: number;
  now?: () => number;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface RepeatOutcome {
  /** Seconds of each successful run, in order. */
  samples: number[];
  failures: string[];
  /** Why fewer than `runs` runs were made, if so. */
  stoppedEarly?: string;
}

/** `once(i)` returns the seconds of run i or throws; it bounds its own run (its own timeout). */
export async function repeat(name: string, opts: RepeatOptions, once: (i: number) => Promise<number>): Promise<RepeatOutcome> {
  const now = opts.now ?? Date.now;
  const maxFailures = opts.maxFailures ?? 2;
  const start = now();
  const samples: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < opts.runs; i++) {
    if (now() - start > opts.budgetMs) {
      return { samples, failures, stoppedEarly: `time budget of ${Math.round(opts.budgetMs / 1000)} s spent after ${i} of ${opts.runs} runs` };
    }
    try {
      const s = await once(i);
      if (!Number.isFinite(s) || s < 0) throw new Error(`run returned ${s} s`);
      samples.push(s);
      opts.log?.(`${name} run ${i + 1}/${opts.runs}: ${s.toFixed(3)} s`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      failures.push(msg.slice(0, 400));
      opts.log?.(`${name} run ${i + 1}/${opts.runs} failed: ${msg.slice(0, 400)}`);
      if (failures.length >= maxFailures) {
        return { samples, failures, stoppedEarly: `${failures.length} runs failed` };
      }
    }
  }
  return { samples, failures };
}
