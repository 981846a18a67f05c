/**
 * How an action ended, as the controller reports it to the machine (ACTION_DONE) and to the store.
 * A union rather than booleans: each outcome carries exactly what the machine needs to decide.
 */
export type ActionResult =
  | { outcome: 'ok' }
  /**
   * It cannot go on without a person (e.g. fencing could not be confirmed). `untouched`: the safety
   * gate refused it before anything was done (a BMC contradicted by the host).
   */
  | { outcome: 'blocked'; reason: string; untouched?: true }
  /** A host evacuation found no healthy host with room for any of its VMs (nothing was done). */
  | { outcome: 'no-room'; reason: string }
  | { outcome: 'failed'; error: string }
  /**
   * Nothing was done: the safety gate found no independent evidence (or a guard or limit holds
   * destructive actions). The incident waits in `holding` and asks again after `recheckAfterMs`.
   */
  | { outcome: 'held'; reason: string; recheckAfterMs: number };

export type ActionResultOutcome = ActionResult['outcome'];

export const ACTION_OK: ActionResult = { outcome: 'ok' };

/** The safety gate held or refused it before anything was done (no harm can come of it). */
export function refusedBySafetyGate(r: ActionResult): boolean {
  return r.outcome === 'held' || (r.outcome === 'blocked' && r.untouched === true);
}

export function actionFailed(error: string): ActionResult {
  return { outcome: 'failed', error };
}

/** The error or reason of a result that is not ok; null when ok. */
export function actionResultProblem(r: ActionResult): string | null {
  switch (r.outcome) {
    case 'ok':
      return null;
    case 'failed':
      return r.error;
    case 'blocked':
    case 'no-room':
    case 'held':
      return r.reason;
  }
}
