/**
 * Where a lent machine goes (pure). A host qualifies when it is a healthy primary, not in
 * maintenance, and has the free cores, RAM and disk (its hypervisor's own numbers minus what is
 * allocated there). Among those the least loaded wins (spread). With the N+1 reserve, a placement
 * is refused when afterwards the loss of any one host could no longer be absorbed by the free
 * cores and RAM of the healthy others (aggregate check: the ladder places VM by VM, so this is the
 * necessary condition, the one a person can check by hand). Never overcommits.
 */

export interface Resources {
  cores: number;
  ramGb: number;
  diskGb: number;
}

export interface PlacementHost {
  name: string;
  /** What its hypervisor reports (cores, RAM) and the inventory declares (disk). */
  total: Resources;
  /** Already promised: VMs placed there and requests being provisioned there. */
  allocated: Resources;
  /** May receive a lent machine (healthy primary, not in maintenance); else why not. */
  lendable: boolean;
  whyNot?: string;
  /** Counts as room for recovery (healthy, primary or spare). */
  healthy: boolean;
}

export type ReservePolicy = 'n+1' | 'none';

export type PlacementResult =
  | { ok: true; host: string; reason: string }
  | { ok: false; reason: string; resource: keyof Resources | 'reserve' | 'hosts' };

const RES: Array<{ key: keyof Resources; label: (n: number) => string }> = [
  { key: 'cores', label: (n) => `${round(n)} ${n === 1 ? 'core' : 'cores'}` },
  { key: 'ramGb', label: (n) => `${round(n)}G RAM` },
  { key: 'diskGb', label: (n) => `${round(n)}G disk` },
];

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const free = (h: PlacementHost, k: keyof Resources) => h.total[k] - h.allocated[k];

/** The fuller of cores and RAM, as a share of the host, after adding `ask`. */
function loadAfter(h: PlacementHost, ask: Resources): number {
  const c = h.total.cores > 0 ? (h.allocated.cores + ask.cores) / h.total.cores : 1;
  const r = h.total.ramGb > 0 ? (h.allocated.ramGb + ask.ramGb) / h.total.ramGb : 1;
  return Math.max(c, r);
}

/**
 * The first host whose loss could not be absorbed once `ask` is on `chosen`, with what would be
 * missing; null when every single loss can be absorbed.
 */
export function reserveShortfall(hosts: readonly PlacementHost[], chosen: string, ask: Resources): string | null {
  const after = hosts.map((h) =>
    h.name === chosen
      ? { ...h, allocated: { cores: h.allocated.cores + ask.cores, ramGb: h.allocated.ramGb + ask.ramGb, diskGb: h.allocated.diskGb + ask.diskGb } }
      : h,
  );
  for (const lost of [...after].sort((a, b) => a.name.localeCompare(b.name))) {
    if (lost.allocated.cores <= 0 && lost.allocated.ramGb <= 0) continue;
    for (const { key, label } of RES.slice(0, 2)) {
      const room = after.filter((g) => g.name !== lost.name && g.healthy).reduce((s, g) => s + Math.max(0, free(g, key)), 0);
      if (lost.allocated[key] > room) {
        return `losing ${lost.name} (${label(lost.allocated[key])} in use) would leave ${label(lost.allocated[key] - room)} without a place`;
      }
    }
  }
  return null;
}

export function placeMachine(hosts: readonly PlacementHost[], ask: Resources, reserve: ReservePolicy): PlacementResult {
  const lendable = hosts.filter((h) => h.lendable);
  if (lendable.length === 0) {
    const why = hosts.map((h) => `${h.name}: ${h.whyNot ?? 'not lendable'}`).join(', ');
    return { ok: false, resource: 'hosts', reason: `no healthy primary host to place it on (${why || 'no hosts'})` };
  }
  const fits = lendable.filter((h) => RES.every(({ key }) => free(h, key) >= ask[key]));
  if (fits.length === 0) return { ok: false, ...closestMiss(lendable, ask) };
  const ordered = [...fits].sort((a, b) => loadAfter(a, ask) - loadAfter(b, ask) || a.name.localeCompare(b.name));
  let firstBlock: string | null = null;
  for (const h of ordered) {
    const shortfall = reserve === 'n+1' ? reserveShortfall(hosts, h.name, ask) : null;
    if (shortfall === null) {
      return { ok: true, host: h.name, reason: `least loaded of ${fits.length} host(s) with room (${Math.round(loadAfter(h, ask) * 100)}% after)` };
    }
    firstBlock ??= `${h.name} has room, but the N+1 reserve would be used: ${shortfall}`;
  }
  return { ok: false, resource: 'reserve', reason: firstBlock as string };
}

/** The host that misses least, and by how much per resource: "hv2 is 2 cores short (2 of 4 free)". */
function closestMiss(hosts: readonly PlacementHost[], ask: Resources): { reason: string; resource: keyof Resources } {
  const misses = hosts.map((h) => {
    const short = RES.filter(({ key }) => free(h, key) < ask[key]);
    const score = short.reduce((s, { key }) => s + (ask[key] - free(h, key)) / Math.max(ask[key], 1e-9), 0);
    return { h, short, score };
  });
  misses.sort((a, b) => a.score - b.score || a.h.name.localeCompare(b.h.name));
  const best = misses[0] as (typeof misses)[number];
  const parts = best.short.map(({ key, label }) => `${label(ask[key] - Math.max(0, free(best.h, key)))} short (${label(Math.max(0, free(best.h, key)))} free)`);
  return {
    resource: (best.short[0] as (typeof RES)[number]).key,
    reason: `${RES.map(({ key, label }) => label(ask[key])).join(", ")} asked; the closest, ${best.h.name}, is ${parts.join(", ")}`,
  };
}
