/**
 * The referee's users'-view half (issue 9, "do no harm"): what the controller broke that was still
 * working for the people using it. The recovery half (tracker.ts) asks "does the controller see
 * the VM answer?"; this half asks the simulated world `serving(kind, name)`: a guest whose
 * libvirtd died still serves, a host cut off from the controller only still serves.
 *
 * - harmful action: a destructive action (the rung table's `destructive` flag, less the kinds that
 *   cannot take anything down) requested on a target whose service was up at that moment: a host
 *   whose guests still serve, a host that serves (only cut off from the controller), a reinstall
 *   of an intact installation, a VM that serves. Judged at the request, counted when the action
 *   comes back anything but `held` / `no-room` (those did nothing), or at the end of the run while
 *   still in flight. Also harmful: a domain started while another copy of the VM
 *   serves (the "start elsewhere while the old copy may run" half of an evacuation).
 * - unneeded VM restart: a serving VM that a harmful action kills (itself, or its host's fence,
 *   power cycle or reinstall).
 * - user downtime: per VM, the seconds it did not serve, from the world change that stopped it to
 *   the one that brought it back.
 *
 * Everything is tallied on the injection that held the target at that moment (its `harm`), or on
 * `unattributed` when none did.
 */
import { refusedBySafetyGate, type ActionResult } from '../src/core/action-result.js';
import { isDestructiveRung, isRungNumber } from '../src/core/rungs.js';
import type { TargetId } from '../src/core/types.js';
import type { World, WorldEvent } from '../src/env/sim/index.js';

export const HARM_REASONS = ['guests-serving', 'host-serving', 'installation-intact', 'vm-serving', 'started-while-serving'] as const;
export type HarmReason = (typeof HARM_REASONS)[number];

export interface HarmTally {
  harmfulActions: number;
  byReason: Record<HarmReason, number>;
  unneededVmRestarts: number;
  /** VM-seconds not serving, from the users' point of view. */
  userDownSeconds: number;
  /** Times a VM stopped serving. */
  userDownEpisodes: number;
}

export function emptyHarmTally(): HarmTally {
  return {
    harmfulActions: 0,
    byReason: Object.fromEntries(HARM_REASONS.map((r) => [r, 0])) as Record<HarmReason, number>,
    unneededVmRestarts: 0,
    userDownSeconds: 0,
    userDownEpisodes: 0,
  };
}

export function addHarmTally(into: HarmTally, from: HarmTally): void {
  into.harmfulActions += from.harmfulActions;
  for (const r of HARM_REASONS) into.byReason[r] += from.byReason[r];
  into.unneededVmRestarts += from.unneededVmRestarts;
  into.userDownSeconds += from.userDownSeconds;
  into.userDownEpisodes += from.userDownEpisodes;
}

/** Who answers for a target: an open injection (tracker.ts's Injection fits). */
export interface HarmOwner {
  index: number;
  cls: string;
  harm: HarmTally;
}

export interface HarmEvent {
  at: number;
  target: string;
  reason: HarmReason;
  /** The action and the VMs it killed while they served. */
  detail: string;
  injection: number | null;
  cls: string | null;
}

/** Kinds on a destructive rung that cannot take a serving target down. */
const HARMLESS_KINDS: ReadonlySet<string> = new Set([
  'host-power-on', // powers on a host that is off
  'remove-stale-copies', // stops copies of VMs that live elsewhere (two live copies: vm-on-two-hosts)
  'quarantine',
]);

/**
 * An action that did nothing: the safety gate held or refused it, an evacuation found no room.
 * Any other `blocked` (fencing not confirmed) sent its power-off: it counts.
 */
function didNothing(r: ActionResult): boolean {
  return refusedBySafetyGate(r) || r.outcome === 'no-room';
}

/** Harm events kept for the report (the counters count them all). */
const MAX_EVENTS = 50;

interface Verdict {
  reason: HarmReason;
  servingVms: string[];
}

interface PendingHarm {
  verdict: Verdict;
  event: HarmEvent;
  owner: HarmOwner | null;
}

export class HarmReferee {
  readonly unattributed = emptyHarmTally();
  readonly events: HarmEvent[] = [];
  /** Action id -> harm judged at the request, counted when the action comes back. */
  private readonly pending = new Map<string, PendingHarm>();
  /** VM -> since when it does not serve, and who answers for it. */
  private readonly downSince = new Map<string, { at: number; owner: HarmOwner | null }>();
  private readonly hostList: string[];

  constructor(
    private readonly world: World,
    /** The injection holding a VM (on `host`, or where it lives) or a host right now. */
    private readonly ownerOf: (target: TargetId, host: string | null) => HarmOwner | null,
  ) {
    this.hostList = world.hostNames();
    for (const h of this.hostList) for (const d of world.host(h).domains.values()) this.recheckVm(d.vm, h, world.clock.now());
  }

  // ---- the truth ---------------------------------------------------------------------------------

  /** VMs whose copy on `host` serves its users right now. */
  vmsServingOn(host: string): string[] {
    if (!this.world.hostOnNetwork(host)) return [];
    const out: string[] = [];
    for (const d of this.world.host(host).domains.values()) {
      if (d.state === 'running' && d.guest === 'up' && d.service === 'up') out.push(d.vm);
    }
    return out.sort();
  }

  /** Why a destructive action of `kind` on `target` would harm a serving target now, or null. */
  judge(target: TargetId, kind: string, rung: number): Verdict | null {
    if (!isRungNumber(rung) || !isDestructiveRung(rung) || HARMLESS_KINDS.has(kind)) return null;
    const name = target.slice(target.indexOf(':') + 1);
    if (target.startsWith('vm:')) return this.world.serving('vm', name) ? { reason: 'vm-serving', servingVms: [name] } : null;
    // A fence through the host's own dead or hung BMC powers nothing off (the self-fence waits for
    // the watchdog): what it can harm is the start elsewhere, judged when the domain starts.
    if (kind === 'fence-migrate' && this.world.host(name).bmc !== 'ok') return null;
    const servingVms = this.vmsServingOn(name);
    if (servingVms.length > 0) return { reason: 'guests-serving', servingVms };
    if (this.world.serving('host', name)) return { reason: 'host-serving', servingVms: [] };
    if (kind === 'reinstall' && !this.world.host(name).bootDestroyed) return { reason: 'installation-intact', servingVms: [] };
    return null;
  }

  // ---- controller side ---------------------------------------------------------------------------

  actionRequested(target: TargetId, action: { id: string; kind: string; rung: number }, at: number): void {
    if (this.pending.has(action.id)) return;
    const verdict = this.judge(target, action.kind, action.rung);
    if (!verdict) return;
    const owner = this.ownerOf(target, null);
    const killed = verdict.servingVms.length > 0 ? `; serving: ${verdict.servingVms.join(', ')}` : '';
    const event: HarmEvent = {
      at, target, reason: verdict.reason, detail: `${action.kind} (rung ${action.rung}, ${action.id})${killed}`,
      injection: owner?.index ?? null, cls: owner?.cls ?? null,
    };
    this.pending.set(action.id, { verdict, event, owner });
  }

  actionDone(actionId: string, result: ActionResult): void {
    const p = this.pending.get(actionId);
    if (!p) return;
    this.pending.delete(actionId);
    if (!didNothing(result)) this.commit(p);
  }

  // ---- world side --------------------------------------------------------------------------------

  onWorldEvent(e: WorldEvent): void {
    const name = e.target.slice(e.target.indexOf(':') + 1);
    if (e.target.startsWith('vm:')) {
      if (e.change.startsWith('started')) this.checkStart(name, e.at);
      this.recheckVm(name, null, e.at);
      return;
    }
    for (const d of this.world.host(name).domains.values()) this.recheckVm(d.vm, name, e.at);
    for (const vm of [...this.downSince.keys()]) this.recheckVm(vm, null, e.at);
  }

  /** A copy just started (it boots, it does not serve yet): another copy serving is harm. */
  private checkStart(vm: string, at: number): void {
    if (!this.world.serving('vm', vm)) return;
    const owner = this.ownerOf(`vm:${vm}`, null);
    const serving = this.hostList.filter((h) => this.vmsServingOn(h).includes(vm));
    const event: HarmEvent = { at, target: `vm:${vm}`, reason: 'started-while-serving', detail: `started while serving on ${serving.join(', ')}`, injection: owner?.index ?? null, cls: owner?.cls ?? null };
    this.commit({ verdict: { reason: 'started-while-serving', servingVms: [] }, event, owner });
  }

  private recheckVm(vm: string, host: string | null, at: number): void {
    const serving = this.world.serving('vm', vm);
    const down = this.downSince.get(vm);
    if (!serving && !down) {
      const owner = this.ownerOf(`vm:${vm}`, host);
      this.downSince.set(vm, { at, owner });
      (owner?.harm ?? this.unattributed).userDownEpisodes++;
    } else if (serving && down) {
      this.downSince.delete(vm);
      (down.owner?.harm ?? this.unattributed).userDownSeconds += (at - down.at) / 1000;
    }
  }

  /** End of the run: actions still in flight count, VMs still down count until now. */
  close(at: number): void {
    for (const p of this.pending.values()) this.commit(p);
    this.pending.clear();
    for (const [, down] of this.downSince) (down.owner?.harm ?? this.unattributed).userDownSeconds += (at - down.at) / 1000;
    this.downSince.clear();
  }

  private commit(p: PendingHarm): void {
    const tally = p.owner?.harm ?? this.unattributed;
    tally.harmfulActions++;
    tally.byReason[p.verdict.reason]++;
    tally.unneededVmRestarts += p.verdict.servingVms.length;
    if (this.events.length < MAX_EVENTS) this.events.push(p.event);
  }
}
