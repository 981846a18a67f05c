/**
 * What the recovery machine hears (RecoveryEvent, sent by the controller) and what it says
 * (RecoveryEmitted, written to the store by the controller). Every event carries its time `at`:
 * the machine has no clock of its own.
 */
import type { ActionResult } from '../action-result.js';
import type { PendingAction, ProbeFacts } from '../context.js';
import type { RungNumber } from '../rungs.js';
import type { SignatureCode } from '../signature.js';

export type RecoveryEvent =
  | ({ type: 'PROBE' } & ProbeFacts)
  | { type: 'ACTION_DONE'; at: number; actionId: string; result: ActionResult }
  | { type: 'TICK'; at: number }
  | { type: 'MAINTENANCE'; at: number; on: boolean }
  | { type: 'RELEASE'; at: number }
  | { type: 'TRIGGER_RUNG'; at: number; rung: RungNumber }
  | { type: 'CONFIRM_OFF'; at: number };

export type RecoveryEmitted =
  | { type: 'incident.opened'; incidentId: string; at: number; signature: SignatureCode; summary: string; penalty: number; manual: boolean }
  | { type: 'action.requested'; at: number; action: PendingAction; reason: string }
  /** `note`: how it ended when that is worth saying ("recovered without a destructive action"). */
  | { type: 'incident.resolved'; incidentId: string; at: number; note?: string }
  /** The safety gate held the action (once per new reason, not per recheck). */
  | { type: 'incident.holding'; incidentId: string; at: number; reason: string; recheckAt: number }
  /** The action did not report before its acting deadline: counted as a failed attempt. */
  | { type: 'action.overdue'; incidentId: string; at: number; actionId: string; reason: string }
  | { type: 'incident.quarantined'; incidentId: string | null; at: number; reason: string }
  | { type: 'incident.awaiting-operator'; incidentId: string; at: number; reason: string }
  | { type: 'incident.closed'; incidentId: string; at: number; reason: string };

/** When the event happened (the controller's clock). */
export function eventTime(event: RecoveryEvent): number {
  return event.at;
}

/** The signature a probe reported; `ok` for any other event. */
export function probeCode(event: RecoveryEvent): SignatureCode {
  return event.type === 'PROBE' ? event.signature.code : 'ok';
}
