/**
 * Bringing a placed request up, one recorded step at a time, each idempotent: the overlay over
 * the base image, the first-boot seed, the domain defined and started on the chosen host, then
 * the VM in the inventory, from where the controller probes and protects it like any VM. Ready
 * when the controller sees it healthy. After a restart the steps not recorded as done run again,
 * looking first: a VM already in the inventory belongs to the ladder (it may have moved it), so
 * its domain is never started again by us.
 */
import { join } from 'node:path';
import { targetId, type VmSpec } from '../core/types.js';
import { RrcError } from '../errors.js';
import type { RequestRecord } from '../store/types.js';
import { resolvePool, staticNetworkOf } from './address-pool.js';
import { findMiddleware, findOs } from './catalogue.js';
import type { FirstBootData } from './catalogue-types.js';
import type { RequestBook } from './request-book.js';
import type { RequestServiceDeps } from './service-deps.js';

export const LENDING_ACTOR = 'on-demand';

export function firstBootData(deps: RequestServiceDeps, r: RequestRecord): FirstBootData {
  const ownerKeys = deps.config.owners[r.owner]?.sshKeys ?? [];
  return {
    instanceId: r.id,
    hostname: r.vmName ?? r.id,
    owner: r.owner,
    sshAuthorizedKeys: [...new Set([...r.sshKeys, ...ownerKeys])],
    middleware: findMiddleware(deps.catalogue, r.middleware),
    // The address given at placement, configured statically on the first boot (a lent host keeps its own).
    ...(r.kind === 'vm' && r.address !== null ? { network: staticNetworkOf(deps.config.addresses ? resolvePool(deps.config.addresses) : null, r.address) } : {}),
  };
}

/** The inventory VM of a placed request (its domain XML rendered from the request). */
export function vmSpecOf(deps: RequestServiceDeps, r: RequestRecord): VmSpec {
  if (r.host === null || r.vmName === null || r.vmUuid === null || r.overlayPath === null) {
    throw new RrcError('RRC_ERR_INTERNAL', `request ${r.id} is not placed`);
  }
  const network = deps.config.network;
  const domainXml = deps.images.renderDomainXml({
    name: r.vmName,
    uuid: r.vmUuid,
    cores: r.cores,
    ramMb: Math.round(r.ramGb * 1024),
    overlayPath: r.overlayPath,
    overlayFormat: 'qcow2',
    ...(r.seedPath ? { seedPath: r.seedPath } : {}),
    ...(network ? { network: { kind: 'network' as const, network } } : {}),
  });
  return {
    name: r.vmName,
    uuid: r.vmUuid,
    domainXml,
    homeHost: r.host,
    currentHost: r.host,
    priority: deps.config.priority,
    diskPath: r.overlayPath,
    resources: { cores: r.cores, ramGb: r.ramGb, diskGb: r.diskGb },
    // With an address the controller probes the guest itself (TCP to its SSH port), not only the domain.
    ...(r.address !== null ? { guestAddress: r.address } : {}),
  };
}

/** Runs the steps not done yet; returns the record as it stands (ready, or still provisioning). */
export async function advanceProvisioning(deps: RequestServiceDeps, book: RequestBook, start: RequestRecord): Promise<RequestRecord> {
  let r = start;
  if (r.state === 'placing') r = await book.transition(r, 'provisioning', `placed on ${r.host ?? '?'}`);
  const os = findOs(deps.catalogue, r.os);
  if (os.kind !== 'image') throw new RrcError('RRC_ERR_VALIDATION', `OS ${os.name} installs over PXE: only a physical host can take it`);
  const host = r.host === null ? null : await deps.store.getHost(r.host);
  if (!host) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${r.host ?? '(none)'} of request ${r.id}`);

  r = await book.step(r, 'overlay', `overlay ${r.overlayPath} over ${os.baseImage}`, async () => {
    await deps.images.createOverlay({ baseImage: os.baseImage, format: os.format, overlayPath: r.overlayPath as string, sizeGb: r.diskGb });
  });
  r = await book.step(r, 'seed', 'first-boot seed (cloud-init NoCloud)', async () => {
    const seedPath = await deps.images.buildNoCloudSeed({ dir: deps.config.storageDir, data: firstBootData(deps, r) });
    return { seedPath };
  });
  r = await book.step(r, 'domain', `domain ${r.vmName} defined and started on ${host.name}`, async () => {
    const vm = vmSpecOf(deps, r);
    // In the inventory already: the ladder owns it (and may have moved it); never start a second copy.
    if (await deps.store.getVm(vm.name)) return;
    await deps.hypervisor.defineAndStart(host, vm);
  });
  r = await book.step(r, 'inventory', `VM ${r.vmName} in the inventory (owner ${r.owner})`, async () => {
    const vm = vmSpecOf(deps, r);
    if (!(await deps.store.getVm(vm.name))) await deps.controller.addVm(vm, `${LENDING_ACTOR}:${r.owner}`);
  });
  // Healthy in the controller's eyes and answering its prober now (a new target starts healthy
  // before its first probe, so the phase alone proves nothing).
  const status = deps.controller.targetStatus(targetId('vm', r.vmName as string));
  if (status?.phase === 'healthy') {
    const probe = await deps.controller.vmProbe(r.vmName as string).catch(() => null);
    if (probe?.signature.code === 'ok') {
      return book.transition(r, 'ready', `${r.vmName} answers on ${probe.host} and the controller sees it healthy`, { readyAt: book.now(), error: null });
    }
  }
  const since = r.placedAt ?? r.createdAt;
  if (book.now() - since > deps.config.provisionTimeout) {
    throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${r.vmName} was not healthy ${Math.round(deps.config.provisionTimeout / 1000)} s after its placement (last phase: ${status?.phase ?? 'unknown'})`);
  }
  return r;
}

/** Where the overlay of request `id` goes. */
export function overlayPathOf(storageDir: string, id: string): string {
  return join(storageDir, `${id}.qcow2`);
}
