/**
 * Sim libvirt: every call needs the host OS up, libvirtd up and the network between; a silent
 * host costs the connect timeout, a stopped libvirtd is refused after one round trip.
 * The API has no reboot or reset (LAB.md): reboot = shutdown, wait, start; restart = destroy + start.
 */
import type { DomainState } from '../../core/signature.js';
import type { HostSpec, VmSpec } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import { throwIfAborted } from '../abort.js';
import type { CallOptions, DomainInfo, HypervisorDriver } from '../env.js';
import type { SimContext } from './sim-context.js';

export function createSimHypervisor(ctx: SimContext): HypervisorDriver {
  const { world, clock, latency } = ctx;

  /**
   * Connect, pay one RPC, then act on the world. An aborted call stops before it acts, so a
   * multi-step operation stops at its next step and every world change is whole.
   */
  async function call<T>(host: HostSpec, op: string, act: () => T, opts?: CallOptions): Promise<T> {
    ctx.log.debug({ target: `host:${host.name}`, op: `hypervisor.${op}` }, 'sim libvirt call');
    const where = `libvirt on ${host.name} (${host.hypervisorUri})`;
    const signal = opts?.signal;
    throwIfAborted(signal, `${where}: ${op}`);
    if (!world.hostAnswers(host.name)) {
      await ctx.wait(latency.libvirtConnectTimeoutSeconds, signal);
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: connection timed out`);
    }
    await ctx.wait(latency.libvirtLatencySeconds, signal);
    throwIfAborted(signal, `${where}: ${op}`);
    if (!world.hostAnswers(host.name) || world.host(host.name).hypervisor !== 'up') {
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: connection refused (libvirtd not running)`);
    }
    return act();
  }

  const stateOf = (host: HostSpec, vm: VmSpec): DomainState => world.domain(host.name, vm.name)?.state ?? 'missing';

  function requireDefined(host: HostSpec, vm: VmSpec): void {
    if (!world.domain(host.name, vm.name)) throw new RrcError('RRC_ERR_NOT_FOUND', `domain ${vm.name} on ${host.name}`);
  }

  /** `virsh destroy` + `virsh start` of a defined domain (the hard half of a reboot, a restart). */
  function destroyAndStart(host: HostSpec, vm: VmSpec): void {
    requireDefined(host, vm);
    world.destroyDomain(host.name, vm.name);
    world.startDomain(host.name, vm.name);
  }

  return {
    ping: (host, opts) => call(host, 'ping', () => undefined, opts),

    listDomains: (host, opts) =>
      call(host, 'listDomains', () =>
        [...world.host(host.name).domains.values()]
          .map((d): DomainInfo => ({ name: d.vm, uuid: world.vmSpec(d.vm).uuid, state: d.state }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        opts,
      ),

    domainState: (host, vm, opts) => call(host, 'domainState', () => stateOf(host, vm), opts),

    async reboot(host, vm, { shutdownTimeoutMs, signal }) {
      const opts = { signal };
      let state = await call(
        host,
        'shutdown',
        () => {
          requireDefined(host, vm);
          world.shutdownDomain(host.name, vm.name); // a guest that is not up ignores the request
          return stateOf(host, vm);
        },
        opts,
      );
      // Like the real driver, wait for the guest to stop by polling; then force it.
      const deadline = clock.now() + shutdownTimeoutMs;
      while (state === 'running' && clock.now() < deadline) {
        await ctx.wait(Math.min(latency.pollIntervalSeconds, (deadline - clock.now()) / 1000), signal);
        state = await call(host, 'domainState', () => stateOf(host, vm), opts);
      }
      await call(host, 'start', () => destroyAndStart(host, vm), opts);
    },

    restart: (host, vm, opts) => call(host, 'restart', () => destroyAndStart(host, vm), opts),

    defineAndStart: (host, vm, opts) =>
      call(
        host,
        'defineAndStart',
        () => {
          world.registerVm(vm);
          world.defineDomain(host.name, vm.name);
          // Like the real driver: a domain the controller defines or starts has autostart off.
          world.setDomainAutostart(host.name, vm.name, false);
          world.startDomain(host.name, vm.name);
        },
        opts,
      ),

    destroy: (host, vm, opts) => call(host, 'destroy', () => world.destroyDomain(host.name, vm.name), opts),

    undefine: (host, vm, opts) => call(host, 'undefine', () => world.undefineDomain(host.name, vm.name), opts),

    autostartDomains: (host, opts) =>
      call(
        host,
        'autostartDomains',
        () => [...world.host(host.name).domains.values()].filter((d) => d.autostart).map((d) => world.vmSpec(d.vm).uuid.toLowerCase()).sort(),
        opts,
      ),

    setAutostart: (host, vm, on, opts) =>
      call(
        host,
        'setAutostart',
        () => {
          requireDefined(host, vm);
          world.setDomainAutostart(host.name, vm.name, on);
        },
        opts,
      ),

    nodeInfo: (host) =>
      call(host, 'nodeInfo', () => ({ cores: host.capacity.cores, memoryMb: host.capacity.ramGb * 1024 })),
  };
}
