/**
 * When a silent host may count as fenced by itself (issue 9): only a host that declares a
 * watchdog contract (HostSpec.watchdog: sanlock / wdmd lease or hardware watchdog), only with
 * `policy.selfFenceAfterSeconds` set, and never before its lease timeout. Counted by the caller
 * from the last successful contact, on the env clock (monotonic in the real env).
 */
import type { Policy } from '../core/policy.js';
import type { HostSpec, WatchdogKind } from '../core/types.js';

export interface SelfFenceRule {
  kind: WatchdogKind;
  /** Seconds of silence after the last contact after which the host has reset itself. */
  seconds: number;
}

/** null: this host is never assumed to have fenced itself; a person (or its BMC) must confirm. */
export function selfFenceWait(host: Pick<HostSpec, 'watchdog'>, policy: Pick<Policy, 'selfFenceAfterSeconds'>): SelfFenceRule | null {
  const limit = policy.selfFenceAfterSeconds;
  if (limit === null || !host.watchdog) return null;
  return { kind: host.watchdog.kind, seconds: Math.max(limit, host.watchdog.leaseTimeoutSeconds) };
}
