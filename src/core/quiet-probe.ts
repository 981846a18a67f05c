/**
 * Which probes change nothing. Most probes of a target in an incident repeat the last one (a dead
 * host is dead at every cycle, a held action waits for its recheck): the machine counts them with
 * its counters already at the cap (context.ts, probeCountCap) and takes no transition. Skipping
 * them before they reach the machine spares the copy of the context and the write chain, the
 * controller's main cost on a rack in trouble.
 *
 * The rule mirrors the PROBE branches of the machine, state by state (machine/recovery-machine.ts):
 * a probe is quiet only when no guarded branch can fire and the branch it takes leaves the context
 * as it is. Anything unsure answers "not quiet", which costs time, never a decision.
 * quiet-probe.test.ts checks it against the real machine on thousands of random states.
 */
import type { StateValue } from 'xstate';
import { countProbe, probeCountCap, type ProbeFacts, type RecoveryContext } from './context.js';
import { leftoversDue } from './escalation/evacuation.js';
import { holdOver, holdTooLong } from './escalation/holding.js';
import { isBlockedSignature } from './ladder.js';
import type { Policy } from './policy.js';

/** True when sending this probe to a machine in `value` with `ctx` would change nothing at all. */
export function probeChangesNothing(value: StateValue, ctx: RecoveryContext, probe: ProbeFacts, policy: Policy): boolean {
  // Carries news (a VM started on another host) that the caller clears once it is sent.
  if (probe.movedHost === true) return false;
  if (!countsNothing(ctx, probe, policy)) return false;
  const healthy = probe.signature.healthy;
  const blocked = isBlockedSignature(probe.signature.code);
  switch (typeof value === 'string' ? value : 'recovering' in value ? `recovering.${String(value['recovering'])}` : '') {
    case 'healthy':
      // A bad probe suspects; a good one with full counts is the settled case.
      return healthy;
    case 'recovering.verifying':
      // Good probes at the cap resolve; a bad one past the rung deadline escalates.
      return !healthy && !blocked && probe.at < ctx.rungDeadline;
    case 'blocked':
      if (healthy) return false; // counts toward healthy, then goes there
      if (blocked) return ctx.unblockedAt === null; // clearUnblocked
      // The default branch marks the grace start: quiet once it is marked and not yet over.
      if (ctx.unblockedAt === null || probe.at - ctx.unblockedAt >= policy.blockedGraceSeconds * 1000) return false;
      return !(probe.signature.code === 'vm-crashed' || probe.signature.code === 'vm-missing');
    case 'holding':
      return !healthy && !blocked && !holdTooLong(ctx, probe.at, policy.safety.holdToPersonSeconds) && !holdOver(ctx, probe.at);
    case 'awaitingOperator':
      return !healthy;
    case 'quarantined':
      return !leftoversDue(ctx, probe);
    case 'maintenance':
      return true;
    default:
      // suspect always moves (count or transition); failed is transient; acting hands the probe
      // to the dispatch of its pending action.
      return false;
  }
}

/** countProbe would write back exactly what the context holds. */
function countsNothing(ctx: RecoveryContext, probe: ProbeFacts, policy: Policy): boolean {
  const next = countProbe(ctx, probe, probeCountCap(policy));
  for (const key of Object.keys(next) as Array<keyof RecoveryContext>) {
    if (next[key] !== ctx[key]) return false;
  }
  return true;
}
