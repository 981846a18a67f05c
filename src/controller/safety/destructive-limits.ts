/**
 * Caps on destructive actions running at the same time (fences, power cycles, reinstalls),
 * whatever their evidence: a wrong belief then costs at most that many machines.
 */
import type { MaxConcurrentPolicy } from '../../core/policy.js';
import type { LimitedKind } from './classify.js';

const LABEL: Record<LimitedKind, string> = { fence: 'fences', powerCycle: 'power cycles', reinstall: 'reinstalls' };

export class DestructiveLimits {
  private readonly running: Record<LimitedKind, number> = { fence: 0, powerCycle: 0, reinstall: 0 };

  constructor(private readonly max: MaxConcurrentPolicy) {}

  /** A slot, with the function that gives it back; or null and why when the limit is reached. */
  acquire(kind: LimitedKind): { release: () => void } | { refused: string } {
    if (this.running[kind] >= this.max[kind]) {
      return { refused: `limit: ${this.running[kind]} ${LABEL[kind]} already running (safety.maxConcurrent.${kind} ${this.max[kind]})` };
    }
    this.running[kind]++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running[kind]--;
      },
    };
  }

  inFlight(): Record<LimitedKind, number> {
    return { ...this.running };
  }
}
