/**
 * Probing: one observation of a host or a VM, folded into a signature and fed to its machine.
 * A VM whose host is down is not probed (its host's incident owns it). Events that cannot change
 * anything are not sent, so a quiet rack costs no transitions.
 */
import {
  classifyHost,
  classifyVm,
  isBlockedSignature,
  type HostObservation,
  type Policy,
  type Signature,
  type TargetKind,
} from '../core/index.js';
import type { Env } from '../env/env.js';
import { withTimeout } from '../env/timing.js';
import { errorText } from '../errors.js';
import type { HostRecord, VmRecord } from '../store/types.js';
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
}

export class Probing {
  constructor(private readonly deps: ProbingDeps) {}

  /**
   * The probe of one host of the cycle, or null when there is nothing to do (decided
   * synchronously: a quiet target costs no promise per cycle on a large site).
   */
  hostLane(name: string): Promise<void> | null {
    const rt = this.deps.runtimes.of('host', name);
    const host = this.deps.index.hosts.get(name);
    return !host || !rt || this.quiet(rt) ? null : this.probeHost(host);
  }

  /** The probe of one VM of the cycle, or null (no VM, no runtime, or quiet on a healthy host). */
  vmLane(name: string): Promise<void> | null {
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
    const signature = classifyHost(obs);
    rt.lastProbeHealthy = signature.healthy;
    rt.silentSince = obs.reachable ? null : (rt.silentSince ?? env.clock.now());
    this.feedProbe(rt, signature, { hasVms: index.vms.countOn(host.name) > 0 });
  }

  private probeVm(vm: VmRecord): Promise<void> | null {
    const { index, runtimes } = this.deps;
    const rt = runtimes.of('vm', vm.name);
    if (!rt) return null;
    const host = index.hosts.get(vm.currentHost);
    const hostRt = runtimes.of('host', vm.currentHost);
    const hostDown = !host || !hostRt || hostRt.phase !== 'healthy' || !hostRt.lastProbeHealthy;
    if (!hostDown && this.quiet(rt)) return null;
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
    this.feedProbe(rt, signature, { canRestartService: Boolean(vm.serviceCheck?.restartCommand) });
  }

  /** Settled healthy and the (simulated) environment says nothing it could see has changed. */
  private quiet(rt: TargetRuntime): boolean {
    return this.settledHealthy(rt) && rt.lastProbeHealthy && this.deps.unchangedSinceLastProbe?.(rt.kind, rt.name) === true;
  }

  private feedProbe(rt: TargetRuntime, signature: Signature, facts: { hasVms?: boolean; canRestartService?: boolean }): void {
    // Events that cannot change anything are not sent: a settled healthy target probed healthy,
    // a VM that keeps waiting for its host.
    if (signature.healthy && this.settledHealthy(rt)) return;
    if (rt.phase === 'blocked' && isBlockedSignature(signature.code)) return;
    // While its action runs (recovering.acting has no PROBE transition; dispatch would find it running).
    if (rt.phase === 'recovering' && rt.runningActionId !== null && rt.runningActionId === rt.actor.getSnapshot().context.pendingAction?.id) return;
    this.deps.runtimes.send(rt, { type: 'PROBE', at: this.deps.env.clock.now(), signature, ...facts });
  }
}
