/**
 * The watchdog a freshly installed host reports in its install callback (`watchdog=<kind>:<lease>`,
 * written by kickstart/default.ks.tpl from `rrc-watchdog lease`). Only 3RC's own agent can be
 * declared this way; sanlock, wdmd or a hardware watchdog of the operator's are declared in the
 * inventory. A host whose callback reports none has no watchdog any more (its disk was wiped).
 */
import type { HostWatchdog } from '../../core/types.js';

const AGENT_KINDS = ['rrc-agent', 'rrc-agent-softdog'] as const;
/** An hour: anything longer is a typo, and the fence-migrate rung's timeout bounds it anyway. */
const MAX_LEASE_SECONDS = 3600;

export type WatchdogReport = { ok: true; watchdog: HostWatchdog | null } | { ok: false; reason: string };

export function parseWatchdogReport(text: string | undefined): WatchdogReport {
  if (text === undefined || text === '' || text === 'none') return { ok: true, watchdog: null };
  const m = /^([a-z-]{1,32}):(\d{1,5})$/.exec(text);
  if (!m) return { ok: false, reason: `watchdog report "${text.slice(0, 64)}" is not <kind>:<lease seconds>` };
  const kind = m[1]!;
  const lease = Number(m[2]);
  if (!(AGENT_KINDS as readonly string[]).includes(kind)) {
    return { ok: false, reason: `watchdog kind "${kind}" cannot be declared by a callback (one of ${AGENT_KINDS.join(', ')})` };
  }
  if (lease < 1 || lease > MAX_LEASE_SECONDS) return { ok: false, reason: `watchdog lease ${lease} s is outside 1..${MAX_LEASE_SECONDS}` };
  return { ok: true, watchdog: { kind: kind as HostWatchdog['kind'], leaseTimeoutSeconds: lease } };
}
