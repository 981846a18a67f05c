/**
 * Which host a `--physical` request may borrow (pure). Only a spare: healthy, nothing running on
 * it, big enough for what was asked, and beyond the N+1 reserve, i.e. without it the loss of any
 * one host can still be absorbed by the free cores and RAM of the healthy others. Among those the
 * smallest that fits is lent (the biggest spares stay for recovery).
 */
import type { HostRecord } from '../store/types.js';
import { reserveShortfall, type PlacementHost, type ReservePolicy, type Resources } from './placement.js';

export type PhysicalChoice = { ok: true; host: string; reason: string } | { ok: false; reason: string };

const NOTHING: Resources = { cores: 0, ramGb: 0, diskGb: 0 };

function sizeOf(h: HostRecord): Resources {
  return { cores: h.capacity.cores, ramGb: h.capacity.ramGb, diskGb: h.capacity.diskTb * 1024 };
}

/** Why `h` cannot be lent, or null when it can (the reserve is checked apart). */
function whyNotLendable(h: HostRecord, view: PlacementHost | undefined, ask: Resources): string | null {
  if (!view) return 'not seen by the capacity view';
  if (!view.healthy) return view.whyNot ?? 'not healthy';
  if (view.allocated.cores > 0 || view.allocated.ramGb > 0) return `carries VMs (${view.allocated.cores} cores in use)`;
  const size = sizeOf(h);
  const short = (['cores', 'ramGb', 'diskGb'] as const).filter((k) => size[k] < ask[k]);
  if (short.length > 0) return `too small (${size.cores} cores, ${size.ramGb}G RAM, ${size.diskGb}G disk)`;
  return null;
}

export function choosePhysicalHost(hosts: readonly HostRecord[], view: readonly PlacementHost[], ask: Resources, reserve: ReservePolicy): PhysicalChoice {
  const spares = hosts.filter((h) => h.role === 'spare').sort((a, b) => a.name.localeCompare(b.name));
  if (spares.length === 0) return { ok: false, reason: 'no spare host to lend (the inventory has no host of role spare)' };
  const byName = new Map(view.map((v) => [v.name, v]));
  const refusals: string[] = [];
  const ordered = [...spares].sort((a, b) => sizeOf(a).cores - sizeOf(b).cores || sizeOf(a).ramGb - sizeOf(b).ramGb || a.name.localeCompare(b.name));
  for (const h of ordered) {
    const why = whyNotLendable(h, byName.get(h.name), ask);
    if (why) {
      refusals.push(`${h.name}: ${why}`);
      continue;
    }
    if (reserve === 'n+1') {
      // Without this spare (it no longer absorbs anything), every single loss must still fit.
      const without = view.map((v) => (v.name === h.name ? { ...v, healthy: false } : v));
      const shortfall = reserveShortfall(without, h.name, NOTHING);
      if (shortfall) {
        refusals.push(`${h.name} is the N+1 reserve: without it, ${shortfall}`);
        continue;
      }
    }
    return { ok: true, host: h.name, reason: `spare beyond the reserve (${h.capacity.cores} cores, ${h.capacity.ramGb}G RAM)` };
  }
  return { ok: false, reason: `no spare host beyond the N+1 reserve can be lent (${refusals.join('; ')})` };
}
