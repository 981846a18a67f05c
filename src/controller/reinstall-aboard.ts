/**
 * A reinstall of a host that still carries VMs (the machine allows it only on a failed boot, shared
 * disks and no room anywhere: core/escalation/reinstall-evidence.ts) checks the same again when it
 * runs, since minutes may have passed: the BMC still reports the failed boot (no OS, so no guest
 * runs there), every VM's disk is on shared storage, and still no healthy host has room for any of
 * them. Null: it may go on; else why not. The VMs stay recorded on the host and are defined and
 * started again from the inventory once it is back (their own vm-missing incidents).
 */
import { placeVm } from '../core/placement.js';
import type { HostSpec } from '../core/types.js';
import type { Env } from '../env/env.js';
import type { Inventory } from './executor-types.js';

export async function reinstallAboardRefusal(env: Env, inv: Inventory, host: HostSpec): Promise<string | null> {
  const vms = inv.vmsOn(host.name);
  if (vms.length === 0) return null;
  const local = vms.filter((vm) => !vm.diskPath);
  if (local.length > 0) return `${host.name} carries VMs without a disk on shared storage (${local.map((v) => v.name).join(', ')}): not reinstalling it`;
  const candidates = inv.placementCandidates(host.name);
  const movable = vms.filter((vm) => placeVm(vm.resources, candidates) !== null);
  if (movable.length > 0) return `room appeared for ${movable.map((v) => v.name).join(', ')}: ${host.name} is not reinstalled with VMs aboard; they move first`;
  const obs = await env.probes.probeHost(host);
  if (obs.bootProgress !== 'boot-failed') return `${host.name} carries VMs and its BMC no longer reports a failed boot (${obs.bootProgress ?? 'unknown'}): not reinstalling it`;
  return null;
}
