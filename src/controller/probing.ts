/**
 * Probing: one observation of a host or a VM, folded into a signature and fed to its machine.
 * A VM whose host is down is not probed (its host's incident owns it). Events that cannot change
 * anything are not sent, so a quiet rack costs no transitions.
 */
import {
  classifyHost,
  classifyVm,
  isBlockedSignature,
  probeChangesNothing,
  type HostObservation,
  type Policy,
  type Signature,
  type TargetKind,
} from '../core/index.js';
import type { Env } from '../env/env.js';
import { withTimeout } from '../env/timing.js';
import { errorText } from '../errors.js';
import type { HostRecord, VmRecord } from '../store/types.js';
import type { HostContact } from './host-contact.js';
import type { InventoryIndex } from './inventory.js';
import type { ProbeSettings } from './options.js';
import type { TargetRuntime, TargetRuntimes } from './target-runtime.js';

const UNREACHABLE_HOST: HostObservation = { bmcReachable: null, power: 'unknown', reachable: false, shellOk: null, hypervisorOk: false };

export interface ProbingDeps {
  env: Env;
  policy: Policy;
  probes: ProbeSettings;
  index: InventoryIndex;
  runtimes: TargetRuntimes;
  /** ControllerOptions.unchangedSinceLastProbe. */
  unchangedSinceLastProbe?: (kind: TargetKind, name: string) => boolean;
  /** ControllerOptions.onProbeHintChange: with it, quiet VMs rest (see Probing.resting). */
  onProbeHintChange?: ((listener: (kind: TargetKind, name: string) => void) => void) | undefined;
  /** Stale copies and autostart drift, at each probe that reaches a hypervisor (host-contact.ts). */
  contact?: HostContact;
  /** Keeps a silent host's last contact across controller restarts (Store.setHostLastContact). */
  lastContacts?: LastContactStore;
}

/** HostRecord.lastContactAt: written once when a host falls silent, cleared once when it answers again. */
export interface LastContactStore {
  write(hostName: string, at: number | null): Promise<void>;
}

export class Probing {
  /**
   * Host name -> clock time of the last probe that reached it (taken when its answer arrived).
   * A silent host is "silent since" then: the self-fence wait counts from the last contact.
   * Before this process reached a host: its persisted HostRecord.lastContactAt.
   */
  private readonly lastContact = new Map<string, number>();
  /** Host name -> the lastContactAt the store holds (as loaded, then as written): no write repeats it. */
  private readonly persisted = new Map<string, number | null>();

  /**
   * VMs found quiet by their lane and untouched since: the next cycles pass them with one lookup
   * (on a simulated rack most VMs are quiet most of the time, and looking each one up every cycle
   * was a tenth of the bench). A VM wakes up when anything its quiet verdict read may have changed:
   * an event to it or to its host's machine (which also covers a runtime added or removed), a probe
   * of its host, a world change to either (the hint's feed), or any VM added, removed or moved
   * and any host added or removed (then all wake). Only with the hint's change feed.
   */
  private readonly resting = new Set<string>();
  private restingPlacement = -1;
  private readonly restingEnabled: boolean;

  constructor(private readonly deps: ProbingDeps) {
    this.restingEnabled = deps.unchangedSinceLastProbe !== undefined && deps.onProbeHintChange !== undefined;
    if (!this.restingEnabled) return;
    deps.onProbeHintChange?.((kind, name) => this.wake(kind, name));
    deps.runtimes.onTouch((rt) => this.wake(rt.kind, rt.name));
  }

  /** `name` (a VM), or every VM on `name` (a host), is looked at again at the next cycle. */
  private wake(kind: TargetKind, name: string): void {
    if (this.resting.size === 0) return;
    if (kind === 'vm') this.resting.delete(name);
    else for (const vm of this.deps.index.vms.namesOn(name)) this.resting.delete(vm);
  }

  /**
   * The probe of one host of the cycle, or null when there is nothing to do (decided
   * synchronously: a quiet target costs no promise per cycle on a large site).
   */
  hostLane(name: string): Promise<void> | null {
    const rt = this.deps.runtimes.of('host', name);
    const host = this.deps.index.hosts.get(name);
    if (!host || !rt) return null;
    if (this.quiet(rt)) {
      // The environment vouches that nothing a probe could see changed: as good as a contact now.
      this.lastContact.set(name, this.deps.env.clock.now());
      return null;
    }
    return this.probeHost(host);
  }

  /** The probe of one VM of the cycle, or null (no VM, no runtime, or quiet on a healthy host). */
  vmLane(name: string): Promise<void> | null {
    if (this.resting.size > 0) {
      const placement = this.deps.index.placementVersion();
      if (placement !== this.restingPlacement) {
        this.resting.clear();
        this.restingPlacement = placement;
      } else if (this.resting.has(name)) return null;
    }
    const vm = this.deps.index.vms.get(name);
    return vm ? this.probeVm(vm) : null;
  }

  /** Healthy with a full run of good probes behind it. */
  settledHealthy(rt: TargetRuntime): boolean {
    const ctx = rt.actor.getSnapshot().context;
    return rt.phase === 'healthy' && ctx.bad === 0 && ctx.good >= this.deps.policy.recoverAfter;
  }

  private async probeHost(host: HostRecord): Promise<void> {
    const { env, probes, index, runtimes } = this.deps;
    const rt = runtimes.of('host', host.name);
    if (!rt) return;
    let obs: HostObservation;
    try {
      obs = await withTimeout(env.clock, env.probes.probeHost(host), probes.timeoutMs, `probe of ${host.name}`);
    } catch (e) {
      obs = { ...UNREACHABLE_HOST, details: { probe: errorText(e) } };
    }
    if (obs.reachable) this.lastContact.set(host.name, env.clock.now());
    const silenceStarts = !obs.reachable && rt.silentSince === null;
    // Silent since the last contact (persisted: a restarted controller keeps counting from it); a host
    // never reached, since the first failed probe.
    rt.silentSince = obs.reachable ? null : (rt.silentSince ?? this.lastContactOf(host) ?? env.clock.now());
    // One write when a silence starts, one when it ends: never per probe. Cleared at the end, so a
    // later restart never counts a new silence from an old episode's contact (a too early self-fence).
    if (silenceStarts) this.persist(host, this.lastContactOf(host));
    else if (obs.reachable) this.persist(host, null);
    if (obs.hypervisorOk && this.deps.contact) {
      // Before this probe may count toward healthy: stale copies gone, autostart off.
      const comingBack = !this.settledHealthy(rt) || host.state === 'fenced';
      const outcome = await this.deps.contact.beforeFeed(rt.id, host, comingBack, rt.actor.getSnapshot().context.incidentId);
      if (outcome === 'busy') return;
      if (outcome === 'failed') obs = { ...obs, hypervisorOk: false, details: { ...obs.details, hypervisor: 'stale VM copies could not be removed' } };
    }
    const signature = classifyHost(obs);
    rt.lastProbeHealthy = signature.healthy;
    // Its verdict decides whether its VMs are probed.
    this.wake('host', host.name);
    rt.lastObservation = obs;
    const hasVms = index.vms.countOn(host.name) > 0;
    // Only an incident reads where the disks are (a reinstall with VMs aboard): no scan per healthy probe.
    const disks = hasVms && !signature.healthy ? { vmDisksShared: index.vmsOn(host.name).every((vm) => Boolean(vm.diskPath)) } : {};
    this.feedProbe(rt, signature, { hasVms, ...disks });
    // Not a condition of health (the domain keeps running): corrected after the feed, beside the
    // cycle rather than in its lane (the VM probes do not wait for it); never throws.
    if (obs.hypervisorOk) void this.deps.contact?.correctAutostart(rt.id, host);
  }

  private probeVm(vm: VmRecord): Promise<void> | null {
    const { index, runtimes } = this.deps;
    const rt = runtimes.of('vm', vm.name);
    if (!rt) return null;
    const host = index.hosts.get(vm.currentHost);
    const hostRt = runtimes.of('host', vm.currentHost);
    const hostDown = !host || !hostRt || hostRt.phase !== 'healthy' || !hostRt.lastProbeHealthy;
    if (!hostDown && this.quiet(rt)) {
      if (this.restingEnabled) {
        if (this.resting.size === 0) this.restingPlacement = this.deps.index.placementVersion();
        this.resting.add(vm.name);
      }
      return null;
    }
    return this.probeVmNow(vm, rt, host, hostDown);
  }

  private async probeVmNow(vm: VmRecord, rt: TargetRuntime, host: HostRecord | undefined, hostDown: boolean): Promise<void> {
    const { env, probes } = this.deps;
    let signature: Signature;
    if (hostDown || !host) {
      signature = classifyVm({ hostDown: true, hypervisorOk: false, domain: 'unknown', guestReachable: false, serviceOk: null });
    } else {
      try {
        const obs = await withTimeout(env.clock, env.probes.probeVm(vm, host), probes.timeoutMs, `probe of ${vm.name}`);
        signature = classifyVm({ ...obs, hostDown: false });
      } catch (e) {
        signature = { code: 'vm-hung', healthy: false, summary: `probe failed: ${errorText(e)}` };
      }
    }
    rt.lastProbeHealthy = signature.healthy;
    if (rt.lastProbedHost !== undefined && rt.lastProbedHost !== vm.currentHost) rt.movedSinceFed = true;
    rt.lastProbedHost = vm.currentHost;
    this.feedProbe(rt, signature, { canRestartService: Boolean(vm.serviceCheck?.restartCommand), ...(rt.movedSinceFed ? { movedHost: true } : {}) });
  }

  private lastContactOf(host: HostRecord): number | null {
    return this.lastContact.get(host.name) ?? host.lastContactAt ?? null;
  }

  /** Writes `at` unless the store holds it already; a failed write is logged (tried again at the next episode edge). */
  private persist(host: HostRecord, at: number | null): void {
    const store = this.deps.lastContacts;
    const held = this.persisted.has(host.name) ? this.persisted.get(host.name) : (host.lastContactAt ?? null);
    if (!store || held === at) return;
    this.persisted.set(host.name, at);
    store.write(host.name, at).catch((e: unknown) => {
      this.persisted.delete(host.name);
      this.deps.env.log.warn({ target: `host:${host.name}`, error: errorText(e) }, `could not write the last contact of ${host.name}`);
    });
  }

  /** Settled healthy and the (simulated) environment says nothing it could see has changed. */
  private quiet(rt: TargetRuntime): boolean {
    return this.settledHealthy(rt) && rt.lastProbeHealthy && this.deps.unchangedSinceLastProbe?.(rt.kind, rt.name) === true;
  }

  private feedProbe(rt: TargetRuntime, signature: Signature, facts: { hasVms?: boolean; vmDisksShared?: boolean; canRestartService?: boolean; movedHost?: boolean }): void {
    // Events that cannot change anything are not sent: a settled healthy target probed healthy,
    // a VM that keeps waiting for its host.
    if (signature.healthy && this.settledHealthy(rt)) return;
    if (rt.phase === 'blocked' && isBlockedSignature(signature.code)) return;
    // While its action runs (recovering.acting has no PROBE transition; dispatch would find it running).
    const snapshot = rt.actor.getSnapshot();
    if (rt.phase === 'recovering' && rt.runningActionId !== null && rt.runningActionId === snapshot.context.pendingAction?.id) return;
    const probe = { at: this.deps.env.clock.now(), signature, ...facts };
    // A repeat of the last probe that would leave the machine as it is (core/quiet-probe.ts).
    if (probeChangesNothing(snapshot.value, snapshot.context, probe, this.deps.policy)) return;
    this.deps.runtimes.send(rt, { type: 'PROBE', ...probe });
    if (facts.movedHost) rt.movedSinceFed = false;
  }
}
