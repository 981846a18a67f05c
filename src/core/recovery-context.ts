/**
 * The context of one target's recovery machine and the pure functions that change it.
 * The machine (recovery-machine.ts) only wires these by name; everything here is plain data
 * in, plain data out, so it is easy to test and to persist.
 */
import { actionFor, entryIndex, entryRungFor, HOST_LADDER, HOST_REPAIR_LADDER, hostLostItsVms, vmLadder } from './ladder.js';
import { HIGHEST_RUNG, RUNG } from './rungs.js';
import { decayedPenalty, isSuppressed, rungBoost } from './penalty.js';
import type { Policy } from './policy.js';
import type { Signature, SignatureCode } from './signature.js';
import { RUNGS, type ActionKind, type RungNumber, type TargetId, type TargetKind } from './types.js';

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
}

/** How often a quarantined host that still carries VMs (no room for them before) tries to move them. */
export const LEFTOVER_RETRY_SECONDS = 30;

export interface RecoveryInput {
  targetId: TargetId;
  kind: TargetKind;
  at: number;
}

export function initialContext(input: RecoveryInput): RecoveryContext {
  return {
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
    leftoverRetryAt: null,
  };
}

export interface ProbeFacts {
  at: number;
  signature: Signature;
  /** Hosts: VMs currently placed on it. */
  hasVms?: boolean;
  /** VMs: the service check has a restart command. */
  canRestartService?: boolean;
}

export function countProbe(ctx: RecoveryContext, p: ProbeFacts): Partial<RecoveryContext> {
  const healthy = p.signature.healthy;
  return {
    bad: healthy ? 0 : ctx.bad + 1,
    good: healthy ? ctx.good + 1 : 0,
    lastSignature: p.signature.code,
    lastSummary: p.signature.summary,
    hasVms: p.hasVms ?? ctx.hasVms,
    canRestartService: p.canRestartService ?? ctx.canRestartService,
  };
}

export function ladderFor(ctx: RecoveryContext): RungNumber[] {
  return ctx.kind === 'vm' ? vmLadder(ctx.canRestartService) : HOST_LADDER;
}

/** Penalty after adding one more incident at `at`. */
export function penaltyWithIncident(ctx: RecoveryContext, at: number, policy: Policy): number {
  return decayedPenalty(ctx.penalty, ctx.penaltyAt, at, policy.penalty) + policy.penalty.perIncident;
}

export function openIncident(ctx: RecoveryContext, at: number, policy: Policy, code: SignatureCode): Partial<RecoveryContext> {
  const seq = ctx.incidentSeq + 1;
  return {
    incidentSeq: seq,
    incidentId: `${ctx.targetId}#${seq}`,
    incidentSignature: code,
    penalty: penaltyWithIncident(ctx, at, policy),
    penaltyAt: at,
    evacuated: false,
    actionSeq: 0,
    reason: null,
  };
}

export function suppressed(ctx: RecoveryContext, policy: Policy): boolean {
  return isSuppressed(ctx.penalty, policy.penalty);
}

function withRung(ctx: RecoveryContext, at: number, policy: Policy, ladder: RungNumber[], index: number, attempt: number, operatorConfirmedOff = false): Partial<RecoveryContext> {
  const rung = ladder[index] as RungNumber;
  const name = RUNGS[rung];
  const timeoutSeconds = name === 'quarantine' ? 0 : policy.rungs[name].timeoutSeconds;
  const actionSeq = ctx.actionSeq + 1;
  const incidentId = ctx.incidentId as string;
  return {
    ladder,
    ladderIndex: index,
    rung,
    attempt,
    rungStartedAt: at,
    rungDeadline: at + timeoutSeconds * 1000,
    actionSeq,
    good: 0,
    bad: 0,
    reason: null,
    pendingAction: {
      id: `${incidentId}/${actionSeq}-r${rung}`,
      incidentId,
      rung,
      kind: actionFor(ctx.kind, rung, ctx.incidentSignature),
      attempt,
      issuedAt: at,
      operatorConfirmedOff,
    },
  };
}

/** Where a new incident enters the ladder: evidence, then penalty; hosts with VMs evacuate first. */
export function startEntryRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const code = ctx.incidentSignature ?? 'ok';
  if (ctx.kind === 'host' && policy.evacuateFirst && ctx.hasVms && hostLostItsVms(code)) {
    return withRung(ctx, at, policy, [RUNG.fenceMigrate, ...HOST_REPAIR_LADDER], 0, 1);
  }
  const ladder = ladderFor(ctx);
  const carried = ctx.penalty - policy.penalty.perIncident;
  let index = entryIndex(ladder, entryRungFor(ctx.kind, code, ctx.canRestartService), rungBoost(carried, policy.penalty));
  // The flap penalty may lift a host past the evacuation (its VMs still run, e.g. libvirtd died):
  // a host that carries VMs is never reinstalled before they were moved away.
  if (ctx.kind === 'host' && policy.evacuateFirst && ctx.hasVms && (ladder[index] ?? 0) > RUNG.fenceMigrate) {
    index = ladder.indexOf(RUNG.fenceMigrate);
  }
  return withRung(ctx, at, policy, ladder, index, 1);
}

/**
 * A host past its flap limit is quarantined, but its VMs are not: when they are lost with it
 * (it went down), they are moved away first (fence, then start elsewhere), then the host is
 * quarantined: powered off, nothing more done to it until a person releases it.
 */
export function evacuatesBeforeQuarantine(ctx: RecoveryContext, policy: Policy): boolean {
  return ctx.kind === 'host' && policy.evacuateFirst && ctx.hasVms && hostLostItsVms(ctx.incidentSignature ?? 'ok');
}

export function startEvacuationOnly(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, [RUNG.fenceMigrate, RUNG.quarantine], 0, 1);
}

/**
 * Entering the quarantine: a host whose VMs went down with it keeps trying, every
 * LEFTOVER_RETRY_SECONDS, to start the ones still recorded on it elsewhere (room may appear when
 * another host is repaired). The host itself is left alone.
 */
export function leftoverRetryAfterQuarantine(ctx: RecoveryContext, at: number, policy: Policy): number | null {
  return evacuatesBeforeQuarantine(ctx, policy) ? at + LEFTOVER_RETRY_SECONDS * 1000 : null;
}

/** A quarantined host, still down, still carrying VMs, whose retry time has come. */
export function leftoversDue(ctx: RecoveryContext, p: ProbeFacts): boolean {
  return (
    ctx.kind === 'host' &&
    ctx.incidentId !== null &&
    p.hasVms === true &&
    ctx.leftoverRetryAt != null &&
    p.at >= ctx.leftoverRetryAt &&
    hostLostItsVms(p.signature.code)
  );
}

/** The evacuation of what is left on a quarantined host: the quarantine reason is kept. */
export function startLeftoverEvacuation(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return { ...withRung(ctx, at, policy, [RUNG.fenceMigrate, RUNG.quarantine], 0, 1), reason: ctx.reason, evacuated: true, leftoverRetryAt: null };
}

/** Moving the leftovers of a quarantined host (see startLeftoverEvacuation). */
export function movingLeftovers(ctx: RecoveryContext): boolean {
  return ctx.kind === 'host' && ctx.evacuated && ctx.rung === RUNG.fenceMigrate && nextIsQuarantine(ctx);
}

/** The next rung is the quarantine: nothing left to try after this one. */
export function nextIsQuarantine(ctx: RecoveryContext): boolean {
  return ctx.ladder[ctx.ladderIndex + 1] === RUNG.quarantine;
}

/**
 * An evacuation found no room for any VM (nothing was fenced): instead of going on up the ladder
 * to rungs that destroy what still runs on the host (reinstall), repair it in place from the rung
 * its evidence points to, without the evacuation (the reference system's ladder). Only when the
 * evidence points below the evacuation (a dead hypervisor, a host to power on or reboot).
 */
export function canRepairInPlace(ctx: RecoveryContext): boolean {
  return ctx.kind === 'host' && ctx.rung === RUNG.fenceMigrate && entryRungFor('host', ctx.incidentSignature ?? 'ok', false) < RUNG.fenceMigrate;
}

export function repairInPlace(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const ladder = HOST_LADDER.filter((r) => r !== RUNG.fenceMigrate);
  const index = entryIndex(ladder, entryRungFor('host', ctx.incidentSignature ?? 'ok', false), 0);
  return withRung(ctx, at, policy, ladder, index, 1);
}

/**
 * Reinstalling wipes the host: it needs evidence that the installed system is broken. A host whose
 * BMC reports its OS booted and running, but which does not answer on the network after a reboot,
 * has a network (or console) problem a reinstall would not fix: it is handed over to a person, and
 * closes by itself when it answers again. Its VMs were moved away before.
 */
export function reinstallWontHelp(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return ctx.kind === 'host' && ctx.ladder[ctx.ladderIndex + 1] === RUNG.reinstall && code === 'host-unreachable-os-running';
}

export function osRunningReason(ctx: RecoveryContext): string {
  return `${ctx.targetId} booted (its BMC reports the OS running) but does not answer on the network: a reinstall would not help; check its network`;
}

/** After a successful evacuation the host is repaired from the rung its evidence points to. */
export function startRepairRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  const ladder = HOST_REPAIR_LADDER;
  const carried = ctx.penalty - policy.penalty.perIncident;
  const index = entryIndex(ladder, entryRungFor('host', ctx.incidentSignature ?? 'ok', false), rungBoost(carried, policy.penalty));
  return { ...withRung(ctx, at, policy, ladder, index, 1), evacuated: true };
}

export function startManualRung(ctx: RecoveryContext, at: number, policy: Policy, rung: RungNumber): Partial<RecoveryContext> {
  const ladder = ladderFor(ctx);
  const merged = ladder.includes(rung) ? ladder : [...ladder.filter((r) => r < rung), rung, ...ladder.filter((r) => r > rung)];
  return withRung(ctx, at, policy, merged, merged.indexOf(rung), 1);
}

export function rungPolicy(ctx: RecoveryContext, policy: Policy) {
  const name = RUNGS[ctx.rung ?? HIGHEST_RUNG];
  return name === 'quarantine' ? { timeoutSeconds: 0, maxAttempts: 1 } : policy.rungs[name];
}

export function canRetry(ctx: RecoveryContext, policy: Policy): boolean {
  return ctx.attempt < rungPolicy(ctx, policy).maxAttempts;
}

export function hasNextRung(ctx: RecoveryContext): boolean {
  const next = ctx.ladder[ctx.ladderIndex + 1];
  return next !== undefined && next !== RUNG.quarantine;
}

export function retryRung(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex, ctx.attempt + 1);
}

export function escalate(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex + 1, 1);
}

export function reissueConfirmedOff(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  return withRung(ctx, at, policy, ctx.ladder, ctx.ladderIndex, ctx.attempt, true);
}

export function currentPenalty(ctx: RecoveryContext, now: number, policy: Policy): number {
  return decayedPenalty(ctx.penalty, ctx.penaltyAt, now, policy.penalty);
}

/** A host's VMs were moved away: repair it from where the evidence points (or go on up the ladder). */
export function afterEvacuation(ctx: RecoveryContext, at: number, policy: Policy): Partial<RecoveryContext> {
  if (ctx.ladderIndex === 0 && ctx.ladder[0] === RUNG.fenceMigrate) return startRepairRung(ctx, at, policy);
  return { ...escalate(ctx, at, policy), evacuated: true };
}
