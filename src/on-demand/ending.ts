/**
 * The end of a lent machine (expiry, release, or a failed provisioning), one recorded step at a
 * time, each idempotent and safe to repeat after a restart: the VM put in maintenance (so the
 * ladder does not restart what we stop), its domain destroyed and undefined where it runs now,
 * removed from the inventory, its overlay erased, its seed removed; then the request is closed
 * with what ran where, for how long, and how the disk was erased.
 */
import { targetId, type HostSpec } from '../core/types.js';
import { RrcError, isRrcError } from '../errors.js';
import type { RequestRecord } from '../store/types.js';
import { formatDurationMs } from './units.js';
import { LENDING_ACTOR, vmSpecOf } from './provisioning.js';
import type { RequestBook } from './request-book.js';
import type { RequestServiceDeps } from './service-deps.js';

/** Returns the closed record, or the record as it stands when a step must wait for the next sweep. */
export async function advanceEnding(deps: RequestServiceDeps, book: RequestBook, start: RequestRecord): Promise<RequestRecord> {
  let r = start;
  // Where its VM runs now, when still in the inventory (a recovery may have moved it).
  let lastHost: string | null = null;
  const placed = r.host !== null && r.vmName !== null && r.vmUuid !== null && r.overlayPath !== null;
  if (placed) {
    const vmId = targetId('vm', r.vmName as string);
    const current = await deps.store.getVm(r.vmName as string);
    const runsOn = current?.currentHost ?? (r.host as string);
    lastHost = current?.currentHost ?? null;
    if (!r.steps.includes('end:maintenance') && current && deps.controller.targetStatus(vmId)?.phase !== 'maintenance') {
      try {
        await deps.controller.setMaintenance(vmId, true, `${LENDING_ACTOR}:${r.owner}`);
      } catch (e) {
        // An action of the ladder is running on it: wait for it to end (next sweep).
        if (isRrcError(e, 'RRC_ERR_INVALID_STATE')) {
          await book.event(r, 'step', `waiting: ${e.message}`);
          return r;
        }
        throw e;
      }
    }
    r = await book.step(r, 'end:maintenance', `${r.vmName} in maintenance (no automatic action from now on)`, async () => undefined);
    r = await book.step(r, 'end:domain', `domain ${r.vmName} destroyed and undefined on ${runsOn}`, async () => {
      const host: HostSpec | null = await deps.store.getHost(runsOn);
      if (!host) return;
      const vm = current ?? vmSpecOf(deps, r);
      await deps.hypervisor.destroy(host, vm);
      await deps.hypervisor.undefine(host, vm);
    });
    r = await book.step(r, 'end:inventory', `${r.vmName} removed from the inventory`, async () => {
      if (await deps.store.getVm(r.vmName as string)) await deps.controller.removeVm(r.vmName as string, `${LENDING_ACTOR}:${r.owner}`);
    });
    r = await book.step(r, 'end:overlay', `overlay ${r.overlayPath} erased (${deps.config.erase})`, async () => {
      const report = await deps.images.eraseOverlay({ overlayPath: r.overlayPath as string, mode: deps.config.erase });
      return { erasedHow: report.method };
    });
  }
  r = await book.step(r, 'end:seed', `seed ${r.seedPath ?? '(none)'} removed`, async () => {
    if (r.seedPath) await deps.images.removeSeed(r.seedPath);
  });
  const endedAt = book.now();
  const where = lastHost !== null && lastHost !== r.host ? `${r.host ?? '?'}, then ${lastHost}` : (r.host ?? '?');
  const ran = r.placedAt !== null ? `ran on ${where} for ${formatDurationMs(endedAt - r.placedAt)}` : 'never placed';
  const erased = r.erasedHow ? `, disk erased (${r.erasedHow})` : '';
  const to = r.endReason === 'released' ? 'released' : r.endReason === 'failed' ? 'failed' : 'erased';
  if (r.endReason === null) throw new RrcError('RRC_ERR_INTERNAL', `request ${r.id} ends without a reason`);
  return book.transition(r, to, `${r.endReason}: ${ran}${erased}`, { endedAt });
}
