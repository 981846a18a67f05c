/**
 * Where a VM goes when it must leave its host: a healthy host with room for it, spares first,
 * then the one with the most free memory. Pure: the caller says which hosts are usable and what
 * they already carry, and reserves the choice before placing the next VM.
 */
import type { HostSpec, VmResources } from './types.js';

export interface PlacementCandidate {
  host: HostSpec;
  /** Healthy, not in maintenance, not quarantined, not the host being evacuated. */
  usable: boolean;
  used: VmResources;
}

export function freeOf(c: PlacementCandidate): VmResources {
  return {
    cores: c.host.capacity.cores - c.used.cores,
    ramGb: c.host.capacity.ramGb - c.used.ramGb,
    diskGb: c.host.capacity.diskTb * 1000 - c.used.diskGb,
  };
}

function fits(need: VmResources, free: VmResources): boolean {
  return need.cores <= free.cores && need.ramGb <= free.ramGb && need.diskGb <= free.diskGb;
}

/** Returns the chosen candidate (and reserves the VM's resources on it), or null when none fits. */
export function placeVm(need: VmResources, candidates: PlacementCandidate[]): PlacementCandidate | null {
  let best: PlacementCandidate | null = null;
  for (const c of candidates) {
    if (!c.usable || !fits(need, freeOf(c))) continue;
    if (best === null || better(c, best)) best = c;
  }
  if (best) {
    best.used = {
      cores: best.used.cores + need.cores,
      ramGb: best.used.ramGb + need.ramGb,
      diskGb: best.used.diskGb + need.diskGb,
    };
  }
  return best;
}

function better(a: PlacementCandidate, b: PlacementCandidate): boolean {
  const aSpare = a.host.role === 'spare';
  const bSpare = b.host.role === 'spare';
  if (aSpare !== bSpare) return aSpare;
  const byRam = freeOf(a).ramGb - freeOf(b).ramGb;
  if (byRam !== 0) return byRam > 0;
  return a.host.name < b.host.name;
}

export function sumResources(items: VmResources[]): VmResources {
  const total = { cores: 0, ramGb: 0, diskGb: 0 };
  for (const r of items) {
    total.cores += r.cores;
    total.ramGb += r.ramGb;
    total.diskGb += r.diskGb;
  }
  return total;
}
