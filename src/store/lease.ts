/**
 * The leader lease rules shared by every store: who may take it, what epoch the taker gets, and
 * the fence check of a leader's write. The stores only make them atomic.
 */
import { RrcError } from '../errors.js';
import type { LeaseRecord, LeaseRequest, WriteFence } from './types.js';

/**
 * The lease after `req` asks for it, or null when another controller holds it. A fresh term
 * (another holder, or ours after it lapsed) gets epoch + 1, so that anything written under the
 * lapsed term is older than anything written after.
 */
export function leaseAfterRequest(current: LeaseRecord | null, req: LeaseRequest): LeaseRecord | null {
  const expiresAt = req.now + req.ttlMs;
  if (current === null) return { name: req.name, holder: req.holder, epoch: 1, expiresAt, rank: req.rank };
  const live = current.expiresAt > req.now;
  if (live && current.holder !== req.holder) return null;
  const sameTerm = live && current.holder === req.holder;
  return { name: req.name, holder: req.holder, epoch: sameTerm ? current.epoch : current.epoch + 1, expiresAt, rank: req.rank };
}

/** Refuses a leader's write whose epoch is older than the lease's: that leader has been replaced. */
export function checkFence(fence: WriteFence | undefined, leaseEpoch: number | null, what: string): void {
  if (fence === undefined) return;
  if (!Number.isSafeInteger(fence.epoch)) throw new RrcError('RRC_ERR_VALIDATION', `epoch ${fence.epoch} is not a safe integer`);
  if (leaseEpoch !== null && fence.epoch < leaseEpoch) {
    throw new RrcError('RRC_ERR_STALE_EPOCH', `${what} refused: written at epoch ${fence.epoch}, the lease ${fence.name} is at epoch ${leaseEpoch}`);
  }
}
