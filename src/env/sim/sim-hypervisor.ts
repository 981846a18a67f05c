/**
 * Sim libvirt: every call needs the host OS up, libvirtd up and the network between; a silent
 * host costs the connect timeout, a stopped libvirtd is refused after one round trip.
 * The API has no reboot or reset (LAB.md): reboot = shutdown, wait, start; restart = destroy + start.
 */
import type { DomainState } from '../../core/signature.js';
import type { HostSpec, VmSpec } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import type { DomainInfo, HypervisorDriver } from '../env.js';
import type { SimContext } from './sim-context.js';

export function createSimHypervisor(ctx: SimContext): HypervisorDriver {
  const { world, clock, latency } = ctx;

  /** Connect, pay one RPC, then act on the world. */
  async function call<T>(host: HostSpec, op: string, act: () => T): Promise<T> {
    ctx.log.debug({ target: `host:${host.name}`, op: `hypervisor.${op}` }, 'sim libvirt call');
    const where = `libvirt on ${host.name} (${host.hypervisorUri})`;
    if (!world.hostAnswers(host.name)) {
      await ctx.wait(latency.libvirtConnectTimeoutSeconds);
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: connection timed out`);
    }
    await ctx.wait(latency.libvirtLatencySeconds);
    if (!world.hostAnswers(host.name) || world.host(host.name).hypervisor !== 'up') {
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: connection refused (libvirtd not running)`);
    }
    return act();
  }

  const stateOf = (host: HostSpec, vm: VmSpec): DomainState => world.domain(host.name, vm.name)?.state ?? 'missing';

  function requireDefined(host: HostSpec, vm: VmSpec): void {
    if (!world.domain(host.name, vm.name)) throw new RrcError('RRC_ERR_NOT_FOUND', `domain ${vm.name} on ${host.name}`);
  }

  return {
    ping: (host) => call(host, 'ping', () => undefined),

    listDomains: (host) =>
      call(host, 'listDomains', () =>
        [...world.host(host.name).domains.values()]
          .map((d): DomainInfo => ({ name: d.vm, uuid: world.vmSpec(d.vm).uuid, state: d.state }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ),

    domainState: (host, vm) => call(host, 'domainState', () => stateOf(host, vm)),

    async reboot(host, vm, { shutdownTimeoutMs }) {
      let state = await call(host, 'shutdown', () => {
        requireDefined(host, vm);
        world.shutdownDomain(host.name, vm.name); // a guest that is not up ignores the request
        return stateOf(host, vm);
      });
      // Like the real driver, wait for the guest to stop by polling; then force it.
      const deadline = clock.now() + shutdownTimeoutMs;
      while (state === 'running' && clock.now() < deadline) {
        await ctx.wait(Math.min(latency.pollIntervalSeconds, (deadline - clock.now()) / 1000));
        state = await call(host, 'domainState', () => stateOf(host, vm));
      }
      await call(host, 'start', () => {
        requireDefined(host, vm);
        world.destroyDomain(host.name, vm.name);
        world.startDomain(host.name, vm.name);
      });
    },

    restart: (host, vm) =>
      call(host, 'restart', () => {
        requireDefined(host, vm);
        world.destroyDomain(host.name, vm.name);
        world.startDomain(host.name, vm.name);
      }),

    defineAndStart: (host, vm) =>
      call(host, 'defineAndStart', () => {
        world.registerVm(vm);
        world.defineDomain(host.name, vm.name);
        world.startDomain(host.name, vm.name);
      }),

    destroy: (host, vm) => call(host, 'destroy', () => world.destroyDomain(host.name, vm.name)),

    undefine: (host, vm) => call(host, 'undefine', () => world.undefineDomain(host.name, vm.name)),

    nodeInfo: (host) =>
      call(host, 'nodeInfo', () => ({ cores: host.capacity.cores, memoryMb: host.capacity.ramGb * 1024 })),
  };
}
