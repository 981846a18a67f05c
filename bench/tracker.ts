/**
 * The bench's referee: it watches the simulated world (the truth the sim probes read) and the
 * controller's events, and measures each injection exactly, without polling:
 *
 * - recovery: for every fault step, the VMs that answered before it and not after it are its
 *   affected VMs; each is restored at the first world change after which it answers its probes
 *   again (one live copy whose host answers, libvirtd up, domain running, guest up, service up).
 *   A step's outage is the time until its last affected VM is restored; an injection's recovery
 *   is the longest outage of its steps (one step for most classes).
 * - repair: for host classes, the time until every host it hit is healthy again in the
 *   controller after the last fault step (a host repaired after its VMs moved away).
 * - overhead (controllerOverheadSeconds): the part of the recovery that is not the world doing
 *   the fix: from the step to the start of the domain that restored the last VM (the guest's own
 *   boot is left out), or, when no domain had to start (a libvirtd restart, a host boot that
 *   brought its guests back), to the request of the last action that could have restored it.
 *   Detection, hysteresis, holds, wasted rungs and waits inside actions (the self-fence wait, a
 *   BMC's power-off confirmation, lease waits) are all included.
 * - safety: a VM with two live copies (checked whenever a domain starts), an action requested on
 *   a target that was healthy in the world at that moment, incidents never closed.
 * - harm, from the users' point of view (what still served): harm.ts, fed from here.
 */
import type { ControllerEvent } from '../src/controller/index.js';
import { refusedBySafetyGate } from '../src/core/action-result.js';
import { rungName } from '../src/core/rungs.js';
import type { TargetId, TargetPhase } from '../src/core/types.js';
import type { World, WorldEvent } from '../src/env/sim/index.js';
import type { ClassName, Plan } from './classes.js';
import { HarmReferee, type HarmEvent, type HarmOwner, type HarmTally } from './harm.js';

export interface ActionRec {
  id: string;
  incidentId: string;
  targetId: TargetId;
  kind: string;
  rung: number;
  requestedAt: number;
  ok: boolean | null;
  /** The safety gate held it (nothing was done); a later request with the same id is judged again. */
  held?: boolean;
}

export interface AffectedVm {
  /** Host its live copy was on when the step hit. */
  host: string | null;
  restoredAt: number | null;
  /** When the domain that restored it last started (before restoredAt), if it started at all. */
  domainStartedAt?: number;
}

export interface StepState {
  at: number;
  kind: 'fault' | 'fix';
  hosts: string[];
  affected: Map<string, AffectedVm>;
  pending: number;
}

export interface InjectionResult {
  /** Seconds; null when never restored. */
  recovery: number | null;
  repair: number | null;
  overhead: number | null;
  rungs: string[];
  wasted: number;
  operatorActions: number;
  /** The step outage that set the recovery was ended by a controller action. */
  fixedByAction: boolean;
  /** Seconds from the injection until the controller handed one of its targets to a person (null: never). */
  handover: number | null;
}

export interface Injection {
  index: number;
  cls: ClassName;
  variant: string;
  at: number;
  targets: string[];
  /** Host classes: the hosts it breaks. */
  hosts: string[];
  plan: Plan;
  steps: StepState[];
  scriptDone: boolean;
  lastFaultAt: number;
  repairedAt: Map<string, number>;
  operatorActions: number;
  /** First time one of its targets entered awaiting-operator while it was open. */
  handedOverAt: number | null;
  finalizedAt: number | null;
  result: InjectionResult | null;
  /** What the controller broke that still served, while this injection held the target (harm.ts). */
  harm: HarmTally;
}

export interface SafetyEvent {
  kind: 'vm-on-two-hosts' | 'action-on-healthy';
  at: number;
  target: string;
  detail: string;
  injection: number | null;
  cls: ClassName | null;
}

/** A cut of the controller's network waits this long at most after its heal for the rack to settle. */
const RACK_SETTLE_MS = 30 * 60_000;

export class Tracker {
  readonly injections: Injection[] = [];
  readonly open = new Set<Injection>();
  /** VM name -> the step waiting for it to answer again. */
  private readonly pendingVm = new Map<string, { inj: Injection; step: StepState }>();
  /** Host / VM name -> open injection that holds it. */
  readonly busyHosts = new Map<string, Injection>();
  readonly busyVms = new Map<string, Injection>();
  readonly phases = new Map<TargetId, TargetPhase>();
  /** Targets whose last phase event left them anything but healthy. */
  readonly notHealthy = new Set<TargetId>();
  private readonly actionsByTarget = new Map<TargetId, ActionRec[]>();
  private readonly actionById = new Map<string, ActionRec>();
  readonly openedIncidents = new Set<string>();
  readonly closedIncidents = new Set<string>();
  readonly safety: SafetyEvent[] = [];
  /** The action-on-healthy event of each action id, so a hold can withdraw it. */
  private readonly onHealthyByAction = new Map<string, SafetyEvent>();
  vmOnTwoHosts = 0;
  actionsOnHealthy = 0;
  /** Diagnostic: actions requested on a VM whose guest was still booting on a healthy host. */
  actionsOnBootingVm = 0;
  private readonly doubled = new Set<string>();
  /** Last time each VM's domain started (world event), for the overhead. */
  private readonly lastDomainStart = new Map<string, number>();
  private readonly hostList: string[];
  /**
   * An open cut of the controller's own network: it answers for whatever no other injection holds,
   * and stays open until the controller sees every target healthy again (its incidents closed), or
   * RACK_SETTLE_MS after the heal (other injections' targets may stay down longer).
   */
  private rackWide: Injection | null = null;
  /** The users'-view referee: harmful actions, unneeded VM restarts, downtime. */
  readonly harm: HarmReferee;
  finalized = 0;
  /** Called when an injection is finalized (progress, scheduling). */
  onFinalized: (inj: Injection) => void = () => {};

  constructor(private readonly world: World) {
    this.hostList = world.hostNames();
    this.harm = new HarmReferee(world, (target, host) => this.holder(target, host));
  }

  /** Harm on targets no open injection held (the result reads it as RefereeCounters). */
  get unattributedHarm(): HarmTally {
    return this.harm.unattributed;
  }

  get harmEvents(): HarmEvent[] {
    return this.harm.events;
  }

  /** The open injection holding a target: the VM's own, else its host's, else a cut of the controller's network. */
  private holder(target: TargetId, host: string | null): HarmOwner | null {
    const name = target.slice(target.indexOf(':') + 1);
    if (target.startsWith('host:')) return this.busyHosts.get(name) ?? this.rackWide;
    // A VM's domain that just stopped is no longer live: its definition tells where it was.
    const on = host ?? this.liveHostOf(name) ?? this.hostList.find((h) => this.world.domain(h, name) !== undefined) ?? null;
    return this.busyVms.get(name) ?? (on === null ? null : this.busyHosts.get(on)) ?? this.rackWide;
  }

  // ---- the truth --------------------------------------------------------------------------

  /** The VM answers its probes: one live copy answering through its host, service up. */
  vmAnswers(vm: string): boolean {
    for (const h of this.hostList) {
      const d = this.world.domain(h, vm);
      if (d === undefined || d.state !== 'running' || d.guest !== 'up' || d.service !== 'up') continue;
      if (this.world.hostAnswers(h) && this.world.host(h).hypervisor === 'up') return true;
    }
    return false;
  }

  /** Host of the VM's live copy (the first, sorted), or null. */
  liveHostOf(vm: string): string | null {
    for (const h of this.hostList) {
      const d = this.world.domain(h, vm);
      if (d !== undefined && (d.state === 'running' || d.state === 'paused' || d.state === 'crashed')) return h;
    }
    return null;
  }

  /** A live copy of the VM whose guest is still booting (it will answer by itself). */
  guestBooting(vm: string): boolean {
    for (const h of this.hostList) {
      const d = this.world.domain(h, vm);
      if (d !== undefined && d.state === 'running' && d.guest === 'booting' && this.hostHealthy(h)) return true;
    }
    return false;
  }

  hostHealthy(host: string): boolean {
    return this.world.hostAnswers(host) && this.world.host(host).hypervisor === 'up';
  }

  /** VMs with a live domain on the host. */
  liveVmsOn(host: string): string[] {
    const out: string[] = [];
    for (const d of this.world.host(host).domains.values()) {
      if (d.state === 'running' || d.state === 'paused' || d.state === 'crashed') out.push(d.vm);
    }
    return out.sort();
  }

  phase(id: TargetId): TargetPhase {
    return this.phases.get(id) ?? 'healthy';
  }

  // ---- injections -----------------------------------------------------------------------------

  begin(inj: Injection): void {
    this.injections.push(inj);
    this.open.add(inj);
    for (const h of inj.hosts) this.busyHosts.set(h, inj);
    if (inj.plan.steps.some((s) => s.lines.some((l) => l.startsWith('controller ')))) this.rackWide = inj;
    if (inj.hosts.length === 0) for (const v of inj.targets) this.busyVms.set(v, inj);
  }

  /** Applies one step of the injection's plan and records the VMs it took down. */
  applyStep(inj: Injection, stepIndex: number, apply: (line: string) => void): void {
    const step = inj.plan.steps[stepIndex]!;
    const at = this.world.clock.now();
    const hosts = new Set<string>();
    const candidates = new Map<string, string | null>();
    for (const line of step.lines) {
      const [subject, name] = line.split(/\s+/);
      if (subject === 'vm') candidates.set(name!, this.liveHostOf(name!));
      else if (subject === 'controller') {
        // The controller's own network: every VM may stop answering it.
        for (const h of this.hostList) for (const vm of this.liveVmsOn(h)) candidates.set(vm, h);
      } else if (name !== undefined) {
        hosts.add(name);
        for (const vm of this.liveVmsOn(name)) candidates.set(vm, name);
      }
    }
    const before = new Map<string, boolean>();
    for (const vm of candidates.keys()) before.set(vm, this.vmAnswers(vm));
    for (const line of step.lines) apply(line);
    const state: StepState = { at, kind: step.kind, hosts: [...hosts].sort(), affected: new Map(), pending: 0 };
    for (const [vm, host] of candidates) {
      if (!before.get(vm) || this.vmAnswers(vm)) continue;
      if (this.pendingVm.has(vm)) continue; // already down for another step
      state.affected.set(vm, { host, restoredAt: null });
      state.pending++;
      this.pendingVm.set(vm, { inj, step: state });
      this.busyVms.set(vm, inj);
    }
    inj.steps.push(state);
    if (stepIndex === inj.plan.steps.length - 1) inj.scriptDone = true;
    this.maybeFinalize(inj);
  }

  onWorldEvent(e: WorldEvent): void {
    this.harm.onWorldEvent(e);
    const colon = e.target.indexOf(':');
    const name = e.target.slice(colon + 1);
    if (e.target.startsWith('vm:')) {
      if (e.change.startsWith('started')) {
        this.lastDomainStart.set(name, e.at);
        this.checkCopies(name, e.at);
      }
      if (this.pendingVm.has(name) && this.vmAnswers(name)) this.restore(name, e.at);
      return;
    }
    if (this.pendingVm.size === 0) return;
    for (const d of this.world.host(name).domains.values()) {
      if (this.pendingVm.has(d.vm) && this.vmAnswers(d.vm)) this.restore(d.vm, e.at);
    }
  }

  private checkCopies(vm: string, at: number): void {
    const copies = this.world.runningCopies(vm);
    if (copies.length > 1) {
      if (this.doubled.has(vm)) return;
      this.doubled.add(vm);
      this.vmOnTwoHosts++;
      const inj = this.busyVms.get(vm) ?? null;
      this.safety.push({ kind: 'vm-on-two-hosts', at, target: `vm:${vm}`, detail: `live on ${copies.join(' and ')}`, injection: inj?.index ?? null, cls: inj?.cls ?? null });
    } else this.doubled.delete(vm);
  }

  private restore(vm: string, at: number): void {
    const entry = this.pendingVm.get(vm)!;
    this.pendingVm.delete(vm);
    const a = entry.step.affected.get(vm)!;
    a.restoredAt = at;
    const started = this.lastDomainStart.get(vm);
    if (started !== undefined && started >= entry.step.at) a.domainStartedAt = started;
    entry.step.pending--;
    this.maybeFinalize(entry.inj);
  }

  // ---- controller events ----------------------------------------------------------------------

  onControllerEvent(e: ControllerEvent, now: number): void {
    switch (e.type) {
      case 'phase':
        if (e.to === 'healthy') this.notHealthy.delete(e.targetId);
        else this.notHealthy.add(e.targetId);
        this.phases.set(e.targetId, e.to);
        if (e.to === 'healthy' && e.targetId.startsWith('host:')) this.hostHealthy_(e.targetId.slice(5), e.at);
        if (e.to === 'healthy' && this.rackWide) this.maybeFinalize(this.rackWide);
        if (e.to === 'awaiting-operator') this.handedOver(e.targetId, e.at);
        return;
      case 'action-done': {
        const rec = this.actionById.get(e.action.id);
        if (rec) rec.ok = e.result.outcome === 'ok';
        if (rec && refusedBySafetyGate(e.result)) this.actionHeld(rec);
        this.harm.actionDone(e.action.id, e.result);
        return;
      }
      case 'emitted': {
        const ev = e.event;
        if (ev.type === 'incident.opened') this.openedIncidents.add(ev.incidentId);
        else if (ev.type === 'incident.resolved' || ev.type === 'incident.closed') this.closedIncidents.add(ev.incidentId);
        else if (ev.type === 'action.requested') this.actionRequested(e.targetId, ev.action, now);
        return;
      }
    }
  }

  private handedOver(target: TargetId, at: number): void {
    const name = target.slice(target.indexOf(':') + 1);
    const inj = target.startsWith('host:') ? this.busyHosts.get(name) : this.busyVms.get(name);
    if (inj && inj.handedOverAt === null) inj.handedOverAt = at;
  }

  private actionRequested(target: TargetId, action: { id: string; incidentId: string; kind: string; rung: number }, at: number): void {
    const known = this.actionById.get(action.id);
    if (known && !known.held) return;
    this.harm.actionRequested(target, action, at);
    if (known) {
      // Requested again after a hold: the same record, judged again now.
      known.held = false;
      known.requestedAt = at;
    } else {
      const rec: ActionRec = { id: action.id, incidentId: action.incidentId, targetId: target, kind: action.kind, rung: action.rung, requestedAt: at, ok: null };
      this.actionById.set(action.id, rec);
      let list = this.actionsByTarget.get(target);
      if (!list) this.actionsByTarget.set(target, (list = []));
      list.push(rec);
    }
    if (action.kind === 'quarantine') return;
    const name = target.slice(target.indexOf(':') + 1);
    const healthy = target.startsWith('vm:') ? this.vmAnswers(name) : this.hostHealthy(name);
    if (!healthy) {
      if (target.startsWith('vm:') && this.guestBooting(name)) this.actionsOnBootingVm++;
      return;
    }
    this.actionsOnHealthy++;
    const inj = target.startsWith('vm:') ? (this.busyVms.get(name) ?? null) : (this.busyHosts.get(name) ?? null);
    const event: SafetyEvent = { kind: 'action-on-healthy', at, target, detail: `${action.kind} (rung ${action.rung}, ${action.id})`, injection: inj?.index ?? null, cls: inj?.cls ?? null };
    this.safety.push(event);
    this.onHealthyByAction.set(action.id, event);
  }

  /** A held action did nothing: it is no action on a healthy target (the request is withdrawn). */
  private actionHeld(rec: ActionRec): void {
    rec.held = true;
    const event = this.onHealthyByAction.get(rec.id);
    if (event === undefined) return;
    this.onHealthyByAction.delete(rec.id);
    this.safety.splice(this.safety.indexOf(event), 1);
    this.actionsOnHealthy--;
  }

  private hostHealthy_(host: string, at: number): void {
    const inj = this.busyHosts.get(host);
    if (!inj || at < inj.lastFaultAt) return;
    if (!inj.repairedAt.has(host)) inj.repairedAt.set(host, at);
    this.maybeFinalize(inj);
  }

  // ---- finalization -----------------------------------------------------------------------------

  maybeFinalize(inj: Injection): void {
    if (inj.finalizedAt !== null || !inj.scriptDone) return;
    for (const s of inj.steps) if (s.pending > 0) return;
    for (const h of inj.hosts) if (!inj.repairedAt.has(h)) return;
    if (inj === this.rackWide && this.notHealthy.size > 0 && this.world.clock.now() < inj.steps.at(-1)!.at + RACK_SETTLE_MS) return;
    this.finalize(inj, this.world.clock.now());
  }

  /** Ends the injection (also at the end of the run for the ones never recovered). */
  finalize(inj: Injection, at: number): void {
    inj.finalizedAt = at;
    this.open.delete(inj);
    if (this.rackWide === inj) this.rackWide = null;
    for (const h of inj.hosts) if (this.busyHosts.get(h) === inj) this.busyHosts.delete(h);
    for (const [vm, owner] of [...this.busyVms]) if (owner === inj) this.busyVms.delete(vm);
    for (const s of inj.steps) {
      for (const vm of s.affected.keys()) {
        const p = this.pendingVm.get(vm);
        if (p && p.inj === inj) this.pendingVm.delete(vm);
      }
    }
    inj.result = this.measure(inj, at);
    this.finalized++;
    this.onFinalized(inj);
  }

  private measure(inj: Injection, end: number): InjectionResult {
    // Recovery: the longest step outage; the VM restored last in it defines the fixing action.
    let recovery: number | null = 0;
    let worst: { step: StepState; vm: string; restoredAt: number; domainStartedAt?: number } | null = null;
    for (const s of inj.steps) {
      for (const [vm, a] of s.affected) {
        if (a.restoredAt === null) {
          recovery = null;
          continue;
        }
        const outage = a.restoredAt - s.at;
        if (recovery !== null && (worst === null || outage > worst.restoredAt - worst.step.at)) worst = { step: s, vm, restoredAt: a.restoredAt, ...(a.domainStartedAt !== undefined ? { domainStartedAt: a.domainStartedAt } : {}) };
      }
    }
    if (recovery !== null) recovery = worst ? (worst.restoredAt - worst.step.at) / 1000 : 0;
    let repair: number | null = null;
    if (inj.hosts.length > 0) {
      repair = 0;
      for (const h of inj.hosts) {
        const t = inj.repairedAt.get(h);
        if (t === undefined) {
          repair = null;
          break;
        }
        repair = Math.max(repair, (t - inj.at) / 1000);
      }
    }
    // Actions on what this injection touched, within its window.
    const targets = new Set<TargetId>();
    for (const h of inj.hosts) targets.add(`host:${h}`);
    for (const s of inj.steps) for (const vm of s.affected.keys()) targets.add(`vm:${vm}`);
    if (inj.hosts.length === 0) for (const v of inj.targets) targets.add(`vm:${v}`);
    const actions: ActionRec[] = [];
    for (const t of targets) {
      for (const a of this.actionsByTarget.get(t) ?? []) if (a.requestedAt >= inj.at && a.requestedAt <= end) actions.push(a);
    }
    actions.sort((a, b) => a.requestedAt - b.requestedAt || (a.id < b.id ? -1 : 1));
    const rungs = actions.map((a) => rungName(a.rung) ?? String(a.rung));
    const byIncident = new Map<string, ActionRec[]>();
    for (const a of actions) {
      let list = byIncident.get(a.incidentId);
      if (!list) byIncident.set(a.incidentId, (list = []));
      list.push(a);
    }
    let wasted = 0;
    for (const list of byIncident.values()) {
      for (let i = 0; i < list.length - 1; i++) {
        const a = list[i]!;
        const evacuation = a.targetId.startsWith('host:') && a.kind === 'fence-migrate' && a.ok === true;
        if (!evacuation && a.kind !== 'quarantine') wasted++;
      }
    }
    let overhead: number | null = null;
    let fixedByAction = false;
    if (worst) {
      const fix = this.fixingAction(worst.step, worst.vm, worst.restoredAt);
      if (fix) {
        overhead = (controllerOverheadEnd(fix.requestedAt, worst.domainStartedAt, worst.restoredAt) - worst.step.at) / 1000;
        fixedByAction = true;
      } else overhead = (worst.restoredAt - worst.step.at) / 1000;
    }
    const handover = inj.handedOverAt === null ? null : (inj.handedOverAt - inj.at) / 1000;
    return { recovery, repair, overhead, rungs, wasted, operatorActions: inj.operatorActions, fixedByAction, handover };
  }

  /**
   * The last action, requested between the step and the VM's restoration, that could have brought
   * the VM back: one on the VM itself, or one on the host it was on (up to and including the
   * evacuation of that host: the host's repair after it does not touch the VM).
   */
  private fixingAction(step: StepState, vm: string, restoredAt: number): ActionRec | null {
    let best: ActionRec | null = null;
    const consider = (a: ActionRec) => {
      if (a.kind === 'quarantine' || a.requestedAt < step.at || a.requestedAt > restoredAt) return;
      if (best === null || a.requestedAt >= best.requestedAt) best = a;
    };
    for (const a of this.actionsByTarget.get(`vm:${vm}`) ?? []) consider(a);
    const host = step.affected.get(vm)?.host;
    if (host) {
      for (const a of this.actionsByTarget.get(`host:${host}`) ?? []) {
        if (a.requestedAt > restoredAt) break;
        consider(a);
        if (a.requestedAt >= step.at && a.kind === 'fence-migrate' && a.ok === true) break;
      }
    }
    return best;
  }
}

/**
 * Where the controller's part of a recovery ends (see the header): the start of the domain that
 * restored the VM when it started after the fixing action was requested, else that request.
 */
export function controllerOverheadEnd(fixRequestedAt: number, domainStartedAt: number | undefined, restoredAt: number): number {
  if (domainStartedAt !== undefined && domainStartedAt >= fixRequestedAt && domainStartedAt <= restoredAt) return domainStartedAt;
  return fixRequestedAt;
}
