/**
 * The ladder policy: hysteresis thresholds, flap damping, per-rung timeouts and attempts.
 * Every number here is configurable (config `policy:`); these are the defaults the README explains.
 */
import type { RungName } from './types.js';

export interface RungPolicy {
  /** The rung must bring the target back to healthy (including `recoverAfter` good probes) within this. */
  timeoutSeconds: number;
  /** Attempts of this rung before escalating to the next. */
  maxAttempts: number;
}

export type ActingRung = Exclude<RungName, 'quarantine'>;

export interface PenaltyPolicy {
  /** Added at every new incident (route-flap damping, RFC 2439 style). */
  perIncident: number;
  /** The penalty halves every this many seconds. */
  halfLifeSeconds: number;
  /** Each full `stepUpEvery` of penalty carried into a new incident starts it one rung higher. */
  stepUpEvery: number;
  /** Above this (after adding the new incident) the target is quarantined and an alert raised. */
  suppressAbove: number;
}

/** Storm guard: a "cliff" of hosts turning bad together points at the controller's side, not theirs. */
export interface StormGuardPolicy {
  /** Share of all hosts (0..1) that must turn bad within the window. */
  share: number;
  /** ...and at least this many hosts. */
  minTargets: number;
  windowSeconds: number;
  /**
   * A cliff that leaves more hosts healthy than it silenced (the controller plainly reaches the
   * rest of the rack; hosts already bad before it are not counted) while the self-check passes
   * holds destructive actions this long, then lets the evidence gate and the concurrency limits
   * judge each host (a partial outage is recovered at a limited rate, as Kubernetes does in a
   * partial disruption). A cliff at least as large as what answers, or a failing self-check,
   * holds until it ends or a person acts.
   */
  partialReleaseSeconds: number;
}

/** Limits on destructive actions running at the same time, whatever the evidence. */
export interface MaxConcurrentPolicy {
  fence: number;
  powerCycle: number;
  reinstall: number;
}

/** Do no harm (issue 9): what a destructive action needs and what holds it. */
export interface SafetyPolicy {
  /** How many healthy peer hosts are asked whether they reach a target the controller cannot. */
  peerWitnesses: number;
  stormGuard: StormGuardPolicy;
  maxConcurrent: MaxConcurrentPolicy;
  /** A held action is asked again after this long (a limit: after a fraction of it). */
  holdRecheckSeconds: number;
  /** An incident held this long is handed to a person (it still closes by itself if the target recovers). */
  holdToPersonSeconds: number;
}

export interface Policy {
  /** Consecutive bad probes before a target is declared failed. */
  failAfter: number;
  /** Consecutive good probes before a recovering target is declared healthy again. */
  recoverAfter: number;
  penalty: PenaltyPolicy;
  /**
   * Restore service first: when a host that carries VMs goes down, fence it and start its VMs on
   * a spare before trying to repair the host, instead of letting the VMs wait for a reboot.
   */
  evacuateFirst: boolean;
  rungs: Record<ActingRung, RungPolicy>;
  /**
   * Reinstall: how long to wait for the install-complete callback after the power cycle. Shorter
   * than the reinstall rung's timeout, so a missed deadline is reported with the last milestone.
   */
  reinstallDeadlineSeconds: number;
  /**
   * A VM that stops waiting for its host (the host is back, or the VM was started on a spare) is
   * booting: bad probes in this window do not fail it; it fails only if still bad afterwards.
   */
  blockedGraceSeconds: number;
  /** Soft VM reboot: how long to wait for the guest to shut down before destroying it. */
  vmShutdownTimeoutSeconds: number;
  /**
   * The alternative when a BMC cannot confirm power off, for hosts that declare a watchdog
   * (HostSpec.watchdog: 3RC's agent, which the kickstart installs and the install callback
   * declares, or sanlock / wdmd / a hardware watchdog the operator declares). Such a host, silent
   * to the controller and its peers for max(this, its declared lease), counts as reset by its
   * watchdog. Default 60. null: no watchdog is trusted; a person confirms every such host off.
   */
  selfFenceAfterSeconds: number | null;
  /** Command run over SSH on the host for the restart-hypervisor rung. */
  hypervisorRestartCommand: string;
  /** Command run over SSH for a clean host reboot (when the host still answers). */
  hostRebootCommand: string;
  safety: SafetyPolicy;
}

export const DEFAULT_POLICY: Policy = {
  failAfter: 3,
  recoverAfter: 5,
  penalty: { perIncident: 1000, halfLifeSeconds: 1800, stepUpEvery: 800, suppressAbove: 3000 },
  evacuateFirst: true,
  rungs: {
    'service-restart': { timeoutSeconds: 90, maxAttempts: 1 },
    reboot: { timeoutSeconds: 300, maxAttempts: 1 },
    'restart-vm': { timeoutSeconds: 180, maxAttempts: 2 },
    'restart-hypervisor': { timeoutSeconds: 120, maxAttempts: 1 },
    'fence-migrate': { timeoutSeconds: 300, maxAttempts: 2 },
    reinstall: { timeoutSeconds: 1500, maxAttempts: 1 },
  },
  reinstallDeadlineSeconds: 900,
  blockedGraceSeconds: 120,
  vmShutdownTimeoutSeconds: 30,
  selfFenceAfterSeconds: 60,
  hypervisorRestartCommand: 'systemctl restart libvirtd',
  hostRebootCommand: 'systemctl reboot',
  safety: {
    peerWitnesses: 3,
    stormGuard: { share: 0.3, minTargets: 3, windowSeconds: 120, partialReleaseSeconds: 180 },
    maxConcurrent: { fence: 2, powerCycle: 2, reinstall: 2 },
    holdRecheckSeconds: 30,
    holdToPersonSeconds: 1800,
  },
};

/** Deep-merge a partial policy (from config) over the defaults; validation is the config's job. */
export function resolvePolicy(partial: DeepPartial<Policy> = {}): Policy {
  return {
    ...DEFAULT_POLICY,
    ...partial,
    penalty: { ...DEFAULT_POLICY.penalty, ...partial.penalty },
    safety: {
      ...DEFAULT_POLICY.safety,
      ...partial.safety,
      stormGuard: { ...DEFAULT_POLICY.safety.stormGuard, ...partial.safety?.stormGuard },
      maxConcurrent: { ...DEFAULT_POLICY.safety.maxConcurrent, ...partial.safety?.maxConcurrent },
    },
    rungs: Object.fromEntries(
      (Object.keys(DEFAULT_POLICY.rungs) as ActingRung[]).map((r) => [
        r,
        { ...DEFAULT_POLICY.rungs[r], ...partial.rungs?.[r] },
      ]),
    ) as Policy['rungs'],
  } as Policy;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
