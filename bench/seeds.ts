/** `--seeds 1-20`, `--seeds 1,3,5`, or both mixed (`1-3,7`): the seeds a multi-seed run plays. */
import { UsageError } from './usage-error.js';

/** More seeds than this in one run is a typo, not an experiment (and bounds the loop). */
export const MAX_SEEDS = 1000;

export function parseSeedList(text: string): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const add = (n: number) => {
    if (seen.has(n)) throw new UsageError(`--seeds lists seed ${n} twice`);
    if (seeds.length >= MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS} seeds`);
    seen.add(n);
    seeds.push(n);
  };
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--seeds takes seeds and ranges like 1-20 or 1,3,5, not "${text}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`--seeds: range ${from}-${to} runs backwards`);
    if (to - from >= MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS} seeds`);
    for (let n = from; n <= to; n++) add(n);
  }
  return seeds;
}
