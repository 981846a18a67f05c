/**
 * What the controller tells its listeners (the bench, the tests, the scenario runner): everything
 * the machines report, phase changes, action results and inventory changes.
 */
import type { ActionResult, PendingAction, RecoveryEmitted, TargetId, TargetPhase } from '../core/index.js';
import type { HostRecord } from '../store/types.js';

export type ControllerEvent =
  | { type: 'emitted'; targetId: TargetId; event: RecoveryEmitted }
  | { type: 'phase'; targetId: TargetId; from: TargetPhase; to: TargetPhase; at: number }
  | { type: 'action-done'; targetId: TargetId; action: PendingAction; result: ActionResult; startedAt: number; at: number }
  | { type: 'inventory'; hosts: HostRecord[] };

export type ControllerListener = (e: ControllerEvent) => void;

export class ControllerEvents {
  private readonly listeners = new Set<ControllerListener>();

  /** Returns the function that removes the listener. */
  on(listener: ControllerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(e: ControllerEvent): void {
    for (const l of this.listeners) l(e);
  }
}
