/**
 * The one place that decides whether an action may run (issue 9, do no harm). Every action the
 * executor runs, operator-triggered ones included, passes here first:
 *   1. not destructive (classify.ts): it runs;
 *   2. the storm guard or the self-check holds destructive actions (not a person's);
 *   3. evidence: a person (operator-triggered rung, confirmed off); for a VM whose host is healthy
 *      and answers, the failed probe of the VM itself; else its host's evidence (evidence.ts);
 *   4. the concurrency limits, always.
 * A BMC that reports off while the host answers is refused outright (`blocked`: awaiting a person).
 * A held action is answered `{ outcome: 'held' }`: the machine holds the incident and asks again.
 */
import type { ActionResult } from '../../core/action-result.js';
import type { PendingAction } from '../../core/context.js';
import type { Policy } from '../../core/policy.js';
import type { HostObservation } from '../../core/signature.js';
import type { HostSpec } from '../../core/types.js';
import type { Logger, Witnesses } from '../../env/env.js';
import { errorText } from '../../errors.js';
import { classifyAction } from './classify.js';
import { DestructiveLimits } from './destructive-limits.js';
import { bmcContradicted, gatherHostEvidence } from './evidence.js';
import type { StormGuard } from './storm-guard.js';

/** What the gate reads of the controller's state. */
export interface SafetyView {
  host(name: string): HostSpec | undefined;
  /** The host a VM is recorded on. */
  vmHost(vmName: string): string | undefined;
  /** Healthy phase and its last probe healthy: it answers, and may be asked as a witness. */
  hostHealthy(name: string): boolean;
  lastObservation(hostName: string): HostObservation | null;
  /** Every host name, sorted. */
  hostNames(): readonly string[];
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; held: ActionResult };

/** A limit frees up when an action ends: ask again soon, not after the full recheck delay. */
const LIMIT_RECHECK_MS = 5_000;

const NOTHING_TO_RELEASE = (): void => {};


export class SafetyGate {
  readonly limits: DestructiveLimits;
  /** Target -> the last reason it was held for (logged at warn once per new reason). */
  private readonly lastHeld = new Map<string, string>();

  constructor(
    private readonly deps: { policy: Policy; witnesses: Witnesses; view: SafetyView; guard: StormGuard; log: Logger },
  ) {
    this.limits = new DestructiveLimits(deps.policy.safety.maxConcurrent);
  }

  async admit(action: PendingAction, targetName: string): Promise<Admission> {
    const { view, guard, policy } = this.deps;
    const isVm = action.kind.startsWith('vm-');
    const hostName = isVm ? view.vmHost(targetName) : targetName;
    const obs = hostName === undefined ? null : view.lastObservation(hostName);
    const cls = classifyAction(action, obs);
    if (!cls.destructive) return this.admitted(targetName, NOTHING_TO_RELEASE);

    const byPerson = action.operatorTriggered === true || action.operatorConfirmedOff;
    // A BMC that says off while the host answers is lying: waiting will not settle it, a person must.
    if (!byPerson && hostName !== undefined && bmcContradicted(obs)) {
      return this.refuse(targetName, `BMC of ${hostName} reports power off but ${hostName} still answers the controller: the BMC cannot be trusted; check it, then confirm the host off by hand or release the incident`);
    }
    const recheckMs = policy.safety.holdRecheckSeconds * 1000;
    const guardState = guard.state();
    if (!byPerson && guardState.reason !== null) return this.hold(targetName, guardState.reason, recheckMs, false);

    // A reinstall of a host that answers, runs no hypervisor and fails its installation check: the
    // check is the evidence (a reinstall never runs with VMs aboard, the machine sees to that).
    const installBroken = action.kind === 'reinstall' && obs !== null && obs.installOk === false && !obs.hypervisorOk;
    if (!byPerson && !installBroken) {
      const missing = await this.missingEvidence(isVm, hostName);
      if (missing !== null) return this.hold(targetName, missing.reason, recheckMs, missing.pathDown);
    }

    if (cls.limit === null) return this.admitted(targetName, NOTHING_TO_RELEASE);
    const slot = this.limits.acquire(cls.limit);
    if ('refused' in slot) return this.hold(targetName, slot.refused, Math.min(LIMIT_RECHECK_MS, recheckMs), false);
    return this.admitted(targetName, slot.release);
  }

  /** Null when the evidence is there; else why not. */
  private async missingEvidence(isVm: boolean, hostName: string | undefined): Promise<{ reason: string; pathDown: boolean } | null> {
    const { view, witnesses, policy } = this.deps;
    const host = hostName === undefined ? undefined : view.host(hostName);
    if (host === undefined) return { reason: `host ${hostName ?? '?'} unknown: no evidence can be gathered`, pathDown: false };
    // A VM on a healthy host the controller reaches: its own failed probe is direct evidence.
    if (isVm && view.hostHealthy(host.name)) return null;
    const peers = view
      .hostNames()
      .filter((n) => n !== host.name && view.hostHealthy(n))
      .slice(0, policy.safety.peerWitnesses)
      .map((n) => view.host(n))
      .filter((h): h is HostSpec => h !== undefined);
    try {
      const evidence = await gatherHostEvidence(host, view.lastObservation(host.name), peers, witnesses);
      return evidence.found ? null : { reason: evidence.reason, pathDown: evidence.pathDown };
    } catch (e) {
      return { reason: `no evidence about ${host.name}: asking its peers failed (${errorText(e)})`, pathDown: false };
    }
  }

  private admitted(target: string, release: () => void): Admission {
    this.lastHeld.delete(target);
    return { admitted: true, release };
  }

  /** Refused for good: the incident goes to a person with the reason. */
  private refuse(target: string, reason: string): Admission {
    this.deps.log.warn({ target, reason, alert: true }, `destructive action refused: ${reason}`);
    this.lastHeld.delete(target);
    return { admitted: false, held: { outcome: 'blocked', reason, untouched: true } };
  }

  private hold(target: string, reason: string, recheckAfterMs: number, alert: boolean): Admission {
    if (this.lastHeld.get(target) !== reason) {
      this.deps.log.warn({ target, reason, ...(alert ? { alert: true } : {}) }, `destructive action held: ${reason}`);
      this.lastHeld.set(target, reason);
    }
    return { admitted: false, held: { outcome: 'held', reason, recheckAfterMs } };
  }
}
