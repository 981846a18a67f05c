/**
 * Safety invariants of a scenario, judged from the simulator's ground truth (the World), never
 * from what the controller believes.
 *
 * 1. two-copies: no VM is live (domain running, paused or crashed: its qemu process may write the
 *    disk) on two hosts at once. Checked every simulated second.
 * 2. harm-to-serving: no destructive action is requested on a target that is serving at that
 *    moment. Checked when the controller emits the request.
 *    - Destructive: anything that can take a serving target down: a host reboot (clean or through
 *      the BMC), a fence (BMC power off) with migration, a reinstall; for a VM a reboot, a restart
 *      (destroy + start) or a move (stop it here, start it on another host). Not destructive:
 *      a service restart, powering on a host that is off, restarting libvirtd (guests keep
 *      running), quarantine.
 *    - A host is serving when it is powered on, its OS is up (not hung, booting or broken) and its
 *      hypervisor is up: its guests then run. A host whose hypervisor died while a guest on it still
 *      answers is serving too (the guests' qemu processes outlive libvirtd): powering it off kills
 *      them. Both hold even when the controller cannot reach the host (partition, dead BMC): being
 *      cut off from the controller is not being down. A host whose own network is down (isolated:
 *      its peers and users cannot reach it either) serves nobody, as in World.serving.
 *    - A VM is serving when one of its copies answers: the domain is running, the guest is up,
 *      its service is up, and its host is powered on with its OS up (a hung host freezes its guests)
 *      and not isolated.
 * 3. incident-unfinished: at the end, every incident is resolved, or handed over to a person
 *    (awaiting-operator, quarantined) or closed (maintenance) with a reason; none is left open or
 *    recovering, none handed over without saying why.
 */
import { refusedBySafetyGate, type ActionResult } from '../../../src/core/action-result.js';

/** What the checker reads of the world: a structural subset of the simulator's World. */
export interface GroundTruth {
  hostNames(): string[];
  host(name: string): {
    power: 'on' | 'off';
    os: string;
    hypervisor: 'up' | 'down';
    /** Its own network is down (`isolate`): nobody reaches it or its guests. */
    isolated: boolean;
    domains: ReadonlyMap<string, { state: string; guest: string; service: string }>;
  };
  runningCopies(vm: string): string[];
}

/** What the checker reads of a stored incident. */
export interface IncidentView {
  targetId: string;
  state: string;
  note: string | null;
}

export type InvariantName = 'two-copies' | 'harm-to-serving' | 'incident-unfinished';

export interface Violation {
  invariant: InvariantName;
  /** Virtual seconds since the scenario's start. */
  at: number;
  message: string;
}

const DESTRUCTIVE_ACTIONS: ReadonlySet<string> = new Set([
  'host-reboot', 'fence-migrate', 'reinstall', 'vm-reboot', 'vm-restart', 'vm-move',
]);

export function isDestructiveAction(kind: string): boolean {
  return DESTRUCTIVE_ACTIONS.has(kind);
}

export function hostServing(world: GroundTruth, name: string): boolean {
  const h = world.host(name);
  if (h.power !== 'on' || h.os !== 'up' || h.isolated) return false;
  if (h.hypervisor === 'up') return true;
  for (const d of h.domains.values()) if (d.state === 'running' && d.guest === 'up') return true;
  return false;
}

export function vmServing(world: GroundTruth, vm: string): boolean {
  return world.runningCopies(vm).some((hostName) => {
    const h = world.host(hostName);
    const d = h.domains.get(vm);
    return d !== undefined && d.state === 'running' && d.guest === 'up' && d.service === 'up' && h.power === 'on' && h.os === 'up' && !h.isolated;
  });
}

/** Serving per the definitions above, for a `host:<name>` or `vm:<name>` target. */
export function targetServing(world: GroundTruth, targetId: string): boolean {
  const colon = targetId.indexOf(':');
  const kind = targetId.slice(0, colon);
  const name = targetId.slice(colon + 1);
  return kind === 'host' ? hostServing(world, name) : vmServing(world, name);
}

interface Episode {
  from: number;
  to: number;
  hosts: Set<string>;
}

export class InvariantChecker {
  private readonly found: Violation[] = [];
  /** VM -> the current stretch of seconds it has been live on two hosts. */
  private readonly twoCopies = new Map<string, Episode>();
  private readonly closedEpisodes: Array<[string, Episode]> = [];
  /** Invariant 2: destructive requests on a serving target, by action id, until the gate holds them. */
  private readonly requestedWhileServing = new Map<string, Violation>();

  constructor(
    private readonly world: GroundTruth,
    private readonly vmNames: readonly string[],
    /** Virtual epoch ms of the scenario's second 0. */
    private readonly start: number,
  ) {}

  private seconds(now: number): number {
    return (now - this.start) / 1000;
  }

  /** Invariant 1, once per simulated second. */
  checkSecond(now: number): void {
    const t = this.seconds(now);
    for (const vm of this.vmNames) {
      const copies = this.world.runningCopies(vm);
      const open = this.twoCopies.get(vm);
      if (copies.length > 1) {
        if (open) {
          open.to = t;
          for (const h of copies) open.hosts.add(h);
        } else this.twoCopies.set(vm, { from: t, to: t, hosts: new Set(copies) });
      } else if (open) {
        this.closedEpisodes.push([vm, open]);
        this.twoCopies.delete(vm);
      }
    }
  }

  /**
   * Invariant 2: call for every controller event, at the virtual instant it is emitted. A request
   * the safety gate then held or refused (its action ends `held` or `untouched`, having done
   * nothing) is no harm.
   */
  onControllerEvent(event: unknown, now: number): void {
    const e = event as {
      type?: unknown;
      targetId?: unknown;
      action?: { id?: unknown };
      result?: { outcome?: unknown; untouched?: unknown };
      event?: { type?: unknown; action?: { id?: unknown; kind?: unknown; rung?: unknown } };
    };
    if (e.type === 'action-done' && e.result !== undefined && refusedBySafetyGate(e.result as ActionResult)) {
      this.requestedWhileServing.delete(String(e.action?.id));
      return;
    }
    if (e.type !== 'emitted' || e.event?.type !== 'action.requested') return;
    const kind = String(e.event.action?.kind);
    const target = String(e.targetId);
    if (!isDestructiveAction(kind) || !targetServing(this.world, target)) return;
    this.requestedWhileServing.set(String(e.event.action?.id), {
      invariant: 'harm-to-serving',
      at: this.seconds(now),
      message: `${kind} (rung ${String(e.event.action?.rung)}) requested on ${target} while it was serving`,
    });
  }

  /** Invariant 3, once at the end, over every stored incident. */
  checkIncidents(incidents: readonly IncidentView[], now: number): void {
    for (const i of incidents) {
      if (i.state === 'resolved') continue;
      const handedOver = i.state === 'awaiting-operator' || i.state === 'quarantined' || i.state === 'cancelled';
      if (handedOver && i.note !== null && i.note.trim() !== '') continue;
      this.found.push({
        invariant: 'incident-unfinished',
        at: this.seconds(now),
        message: handedOver ? `incident of ${i.targetId} is ${i.state} without a reason` : `incident of ${i.targetId} left ${i.state} at the end`,
      });
    }
  }

  /** Every violation so far, two-copies stretches summarised (one entry per stretch). */
  violations(): Violation[] {
    const stretches = [...this.closedEpisodes, ...this.twoCopies.entries()].map(([vm, ep]): Violation => ({
      invariant: 'two-copies',
      at: ep.from,
      message: `vm ${vm} live on ${[...ep.hosts].sort().join(' and ')} from ${ep.from.toFixed(0)} s to ${ep.to.toFixed(0)} s (${(ep.to - ep.from + 1).toFixed(0)} s)`,
    }));
    return [...stretches, ...this.found, ...this.requestedWhileServing.values()].sort((a, b) => a.at - b.at);
  }
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `  ${v.at.toFixed(1).padStart(7)} [${v.invariant}] ${v.message}`).join('\n');
}
