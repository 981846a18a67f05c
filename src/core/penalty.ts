/**
 * Flap damping in the style of BGP route-flap damping (RFC 2439): each incident adds a penalty
 * that halves every `halfLifeSeconds`. The penalty carried into a new incident lifts its entry
 * rung; past `suppressAbove` the target is quarantined instead of acted on again.
 */
import type { PenaltyPolicy } from './policy.js';

export function decayedPenalty(penalty: number, since: number, now: number, p: PenaltyPolicy): number {
  if (penalty <= 0) return 0;
  const elapsedSeconds = Math.max(0, now - since) / 1000;
  return penalty * Math.pow(0.5, elapsedSeconds / p.halfLifeSeconds);
}

/** How many rungs higher a new incident starts, given the penalty it carries in. */
export function rungBoost(carriedPenalty: number, p: PenaltyPolicy): number {
  return Math.floor(carriedPenalty / p.stepUpEvery);
}

export function isSuppressed(penaltyAfterIncident: number, p: PenaltyPolicy): boolean {
  return penaltyAfterIncident > p.suppressAbove;
}
