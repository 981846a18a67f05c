/**
 * The context of one target's recovery machine: its type, its initial value and the probe
 * counting behind the hysteresis. Persisted with every snapshot, so field names do not change;
 * the functions that move it along the ladder live in escalation/.
 */
import type { Signature, SignatureCode } from './signature.js';
import type { ActionKind, RungNumber, TargetId, TargetKind } from './types.js';

export interface PendingAction {
  /** Deterministic: `<incidentId>/<seq>-r<rung>`; the controller stores it before acting. */
  id: string;
  incidentId: string;
  rung: RungNumber;
  kind: ActionKind;
  attempt: number;
  issuedAt: number;
  /** fence-migrate only: a person confirmed the host is off, so no BMC confirmation is needed. */
  operatorConfirmedOff: boolean;
  /** A person ran this rung by hand: the operator is the evidence (limits still apply). Absent = false. */
  operatorTriggered?: boolean;
}

export interface RecoveryContext {
  targetId: TargetId;
  kind: TargetKind;
  /** Consecutive bad / good probes. */
  bad: number;
  good: number;
  lastSignature: SignatureCode | null;
  lastSummary: string | null;
  /** Flap-damping penalty as of `penaltyAt`. */
  penalty: number;
  penaltyAt: number;
  incidentSeq: number;
  incidentId: string | null;
  incidentSignature: SignatureCode | null;
  ladder: RungNumber[];
  ladderIndex: number;
  rung: RungNumber | null;
  attempt: number;
  rungStartedAt: number;
  rungDeadline: number;
  actionSeq: number;
  pendingAction: PendingAction | null;
  /** The host's VMs were moved away in this incident: only repair remains. */
  evacuated: boolean;
  canRestartService: boolean;
  hasVms: boolean;
  reason: string | null;
  phaseSince: number;
  /** Blocked VMs: when the first probe no longer blamed the host (start of the boot grace). */
  unblockedAt: number | null;
  /**
   * Quarantined hosts whose VMs went down with them: when to try again to start the VMs still
   * recorded there elsewhere (an evacuation that found no room for some). Null: nothing to retry.
   * Absent in snapshots of earlier versions (= null).
   */
  leftoverRetryAt?: number | null;
  /**
   * recovering.acting: when the requested action must have reported (rung timeout plus a margin);
   * a TICK past it counts as a failed attempt. Absent in earlier snapshots (= no deadline).
   */
  actingDeadline?: number | null;
  /** holding: why the safety gate held the action, when to ask again, and how many holds in a row for that reason. */
  holdReason?: string | null;
  holdUntil?: number | null;
  holdCount?: number;
  /** When this incident first held (any reason): a hold that lasts too long goes to a person. */
  heldSince?: number | null;
  /**
   * Hosts: every VM placed on it has its disk on shared storage (nothing of it lives on the host's
   * own disk, which a reinstall wipes). Absent in earlier snapshots (= false).
   */
  vmDisksShared?: boolean;
  /** An evacuation in this incident found no healthy host with room for any VM aboard. Absent = false. */
  noRoomForVms?: boolean;
  /**
   * awaitingOperator after a rung failed and the reinstall above it is not justified: that rung is
   * spent. A person's power-off confirmation runs it again only SPENT_RUNG_RERUNS times per
   * incident (counted in spentRungReruns). Absent = false / 0.
   */
  rungSpent?: boolean;
  spentRungReruns?: number;
}

export interface RecoveryInput {
  targetId: TargetId;
  kind: TargetKind;
  at: number;
}

/**
 * The optional fields later versions added, at the value their absence means. Present from the
 * start (and filled into restored snapshots), so that no assign ever adds a key: a key added to a
 * copy turns it into a dictionary (fastShape).
 */
const ABSENT_MEANS = {
  leftoverRetryAt: null,
  actingDeadline: null,
  holdReason: null,
  holdUntil: null,
  holdCount: 0,
  heldSince: null,
  vmDisksShared: false,
  noRoomForVms: false,
  rungSpent: false,
  spentRungReruns: 0,
} as const satisfies Partial<RecoveryContext>;

export function initialContext(input: RecoveryInput): RecoveryContext {
  return fastShape({
    targetId: input.targetId,
    kind: input.kind,
    bad: 0,
    good: 0,
    lastSignature: null,
    lastSummary: null,
    penalty: 0,
    penaltyAt: input.at,
    incidentSeq: 0,
    incidentId: null,
    incidentSignature: null,
    ladder: [],
    ladderIndex: 0,
    rung: null,
    attempt: 0,
    rungStartedAt: 0,
    rungDeadline: 0,
    actionSeq: 0,
    pendingAction: null,
    evacuated: false,
    canRestartService: false,
    hasVms: false,
    reason: null,
    phaseSince: input.at,
    unblockedAt: null,
    ...ABSENT_MEANS,
  });
}

/**
 * The same context as an object V8 keeps fast. XState copies the context at every assign with
 * `Object.assign({}, context, update)`; V8 keeps that copy a fast (hidden-class) object only when
 * the source's shape was built up from a plain `{}`, which a spread copy's is and an object
 * literal's or JSON.parse's is not, and only while no assign adds a key (so every optional field
 * is present from the start, ABSENT_MEANS). Otherwise every copy of this 35-field context becomes a
 * dictionary, about 15 times slower to copy and slower to read, at every probe of every target
 * in an incident. Also applied to restored snapshots (target-runtime.ts).
 */
export function fastShape<T extends object>(context: T): T {
  const copy = { ...context } as Record<string, unknown>;
  for (const [key, value] of Object.entries(ABSENT_MEANS)) if (copy[key] === undefined) copy[key] = value;
  return copy as T;
}

export interface ProbeFacts {
  at: number;
  signature: Signature;
  /** Hosts: VMs currently placed on it. */
  hasVms?: boolean;
  /** Hosts: every VM placed on it has its disk on shared storage (VmSpec.diskPath). */
  vmDisksShared?: boolean;
  /** VMs: the service check has a restart command. */
  canRestartService?: boolean;
  /** VMs: recorded on another host than at the previous probe (started elsewhere: it boots anew). */
  movedHost?: boolean;
}

/**
 * Where the hysteresis counters stop: every guard asks only whether a count reached failAfter or
 * recoverAfter, so counting further changes no decision. Stopped, a long run of identical probes
 * leaves the context as it is, and such a probe can be skipped (quiet-probe.ts).
 */
export function probeCountCap(policy: { failAfter: number; recoverAfter: number }): number {
  return Math.max(policy.failAfter, policy.recoverAfter);
}

/** One probe into the hysteresis counters: a bad probe resets the good count and vice versa; neither passes `cap`. */
export function countProbe(ctx: RecoveryContext, p: ProbeFacts, cap: number): Partial<RecoveryContext> {
  const healthy = p.signature.healthy;
  return {
    bad: healthy ? 0 : Math.min(ctx.bad + 1, cap),
    good: healthy ? Math.min(ctx.good + 1, cap) : 0,
    lastSignature: p.signature.code,
    lastSummary: p.signature.summary,
    hasVms: p.hasVms ?? ctx.hasVms,
    ...(p.vmDisksShared !== undefined ? { vmDisksShared: p.vmDisksShared } : {}),
    canRestartService: p.canRestartService ?? ctx.canRestartService,
  };
}
