/**
 * Sim probes: what the controller's probes would see of the world. The observation is taken when
 * the probe is sent; the probe then takes its latency, or its timeout when something is silent.
 *
 * `unchangedSinceLastProbe(kind, name)` (the hint a virtual-time run gives the controller through
 * its options; not part of the Env contract): every world event bumps a version of
 * its target (`host:<h>` or `vm:<v>`); a probe records the versions it read. A host is unchanged
 * while its own version is the one its last probe read; a VM while its own version and that of
 * the host it was probed on are (a host event such as a hang, a partition or a boot completing
 * changes what the probes of its guests see). Every change of what a probe reads goes through a
 * world event, timed transitions (boots, installs) included, so skipping an unchanged target
 * cannot hide anything from the controller.
 */
import type { BootProgress, HostObservation, VmObservation } from '../../core/signature.js';
import type { HostSpec, TargetKind, VmSpec } from '../../core/types.js';
import type { Prober } from '../env.js';
import type { SimContext } from './sim-context.js';
import type { SimHost } from './world-types.js';

export interface SimProbeOptions {
  /** Give the hint (default true). False: no hint, every target is probed every cycle, as in real life. */
  hints?: boolean;
  /** The BMC reports boot progress (default false; see bootProgressOf). */
  bootProgress?: boolean;
}

/** A target's version (one object per target: a probe keeps it, the hint reads it without a lookup). */
interface Version {
  n: number;
}

interface Seen {
  target: Version;
  version: number;
  /** VMs: the version of the host they were probed on, and its value then. */
  host?: Version;
  hostVersion?: number;
}

/** The sim's probes, and its hint when enabled. */
export interface SimProbes {
  prober: Prober;
  /** True when nothing a probe of this target could see has changed since its last probe. */
  unchangedSinceLastProbe?: (kind: TargetKind, name: string) => boolean;
  /** Tells `listener` of every world change behind that hint, as it happens. */
  onHintChange?: (listener: (kind: TargetKind, name: string) => void) => void;
}

export function createSimProbes(ctx: SimContext, opts: SimProbeOptions = {}): SimProbes {
  const { world, latency } = ctx;
  // Versions and what the last probe saw, per kind and name (no id strings on the hot path).
  const hostVersions = new Map<string, Version>();
  const vmVersions = new Map<string, Version>();
  const versionOf = (versions: Map<string, Version>, name: string): Version => {
    let v = versions.get(name);
    if (v === undefined) versions.set(name, (v = { n: 0 }));
    return v;
  };
  const seenHost = new Map<string, Seen>();
  const seenVm = new Map<string, Seen>();
  const hintListeners: Array<(kind: TargetKind, name: string) => void> = [];
  if (opts.hints !== false) {
    world.onChange((e) => {
      const vm = e.target.startsWith('vm:');
      const name = e.target.slice(vm ? 3 : 5);
      versionOf(vm ? vmVersions : hostVersions, name).n++;
      for (const listener of hintListeners) listener(vm ? 'vm' : 'host', name);
    });
  }

  const prober: Prober = {
    async probeHost(host: HostSpec): Promise<HostObservation> {
      const target = versionOf(hostVersions, host.name);
      seenHost.set(host.name, { target, version: target.n });
      const h = world.host(host.name);
      // The BMC as seen from here: a cut controller network silences it like a dead one.
      const bmc = world.bmcSeen(host.name);
      const bmcReachable = host.bmc ? bmc === 'ok' : null;
      // A hung or overloaded OS does not answer at all; a partition or isolation hides a healthy one.
      const reachable = world.hostAnswers(host.name);
      const hypervisorOk = reachable && h.hypervisor === 'up';
      const details: Record<string, string> = {};
      if (bmcReachable === false) details.bmc = bmc === 'dead' ? 'no answer' : 'no reply (timeout)';
      if (!reachable) details.net = 'connect timed out';
      else if (!hypervisorOk) details.hypervisor = 'connection refused';
      const observation: HostObservation = {
        bmcReachable,
        power: bmcReachable ? world.bmcPower(host.name) : 'unknown',
        reachable,
        shellOk: host.ssh ? reachable : null,
        hypervisorOk,
        // The simulated hosts have an installation check: run while the host answers without a hypervisor.
        installOk: reachable && !hypervisorOk && host.ssh ? !h.installBroken : null,
        bootProgress: bmcReachable && opts.bootProgress === true ? bootProgressOf(world.bmcPower(host.name), h.os) : 'unknown',
        ...(Object.keys(details).length > 0 ? { details } : {}),
      };
      const silent = !reachable || bmcReachable === false;
      await ctx.wait(silent ? latency.probeTimeoutSeconds : latency.probeLatencySeconds);
      return observation;
    },

    async probeVm(vm: VmSpec, host: HostSpec): Promise<Omit<VmObservation, 'hostDown'>> {
      const target = versionOf(vmVersions, vm.name);
      const hostVersion = versionOf(hostVersions, host.name);
      seenVm.set(vm.name, { target, version: target.n, host: hostVersion, hostVersion: hostVersion.n });
      const h = world.host(host.name);
      const hypervisorOk = world.hostAnswers(host.name) && h.hypervisor === 'up';
      const d = h.domains.get(vm.name);
      const guestReachable = world.guestAnswers(host.name, vm.name);
      const observation: Omit<VmObservation, 'hostDown'> = {
        hypervisorOk,
        domain: hypervisorOk ? (d?.state ?? 'missing') : 'unknown',
        guestReachable,
        serviceOk: vm.serviceCheck ? guestReachable && d?.service === 'up' : null,
      };
      await ctx.wait(hypervisorOk && guestReachable ? latency.probeLatencySeconds : latency.probeTimeoutSeconds);
      return observation;
    },
  };
  if (opts.hints === false) return { prober };
  const unchangedSinceLastProbe = (kind: TargetKind, name: string): boolean => {
    const last = kind === 'host' ? seenHost.get(name) : seenVm.get(name);
    if (last === undefined || last.version !== last.target.n) return false;
    return last.host === undefined || last.hostVersion === last.host.n;
  };
  const onHintChange = (listener: (kind: TargetKind, name: string) => void): void => {
    hintListeners.push(listener);
  };
  return { prober, unchangedSinceLastProbe, onHintChange };
}

/**
 * What the simulated BMC reports of the last boot (Redfish BootProgress.LastState, IPMI SEL boot
 * events): a boot that found nothing to boot is a boot failure; a hung kernel still reads as a
 * running OS (the BMC cannot tell).
 */
export function bootProgressOf(power: SimHost['power'], os: SimHost['os']): BootProgress {
  if (power === 'off') return 'off';
  switch (os) {
    case 'booting':
    case 'installing':
      return 'booting';
    case 'up':
    case 'hung':
      return 'os-running';
    case 'broken':
      return 'boot-failed';
    default:
      return 'unknown';
  }
}
