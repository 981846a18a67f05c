/**
 * The sim Env: the same contract as the real drivers, acting on a simulated World with modelled
 * latencies on the (virtual) clock. Composition roots build it with
 * `createSimEnv({ world, clock, log })` and hand it to the same controller as the real Env.
 */
import type { HostSpec, TargetKind } from '../../core/types.js';
import { RrcError } from '../../errors.js';
import { throwIfAborted, unlessAborted } from '../abort.js';
import type { CallOptions, Clock, Env, Logger, PowerDriver, Provisioner, ReinstallMilestone, ReinstallOptions } from '../env.js';
import { createSimContext, type SimContext, type SimLatency } from './sim-context.js';
import { createSimHypervisor } from './sim-hypervisor.js';
import { createSimProbes } from './sim-probes.js';
import { createSimShell, type SimShellOptions } from './sim-shell.js';
import { createSimWitnesses } from './sim-witness.js';
import type { World } from './world.js';
import type { WorldEvent } from './world-types.js';

export interface SimEnvOptions extends SimShellOptions {
  world: World;
  /** Must be the world's clock (defaults to it). */
  clock?: Clock;
  log: Logger;
  latency?: Partial<SimLatency>;
  /**
   * Give the `unchangedSinceLastProbe` hint (SimEnv), which a rack builder passes to the controller
   * so that it skips probing settled healthy targets nothing has happened to (default true;
   * sim-probes.ts). False: no hint, everything is probed every cycle.
   */
  probeHints?: boolean;
  /**
   * The simulated BMCs report boot progress (sim-probes.ts `bootProgressOf`), as Redfish
   * BootProgress / IPMI SEL boot events do; the bench turns it on. Default false: BMCs that cannot
   * (like ipmi_sim in the real-lab replay and the real IPMI driver today): host signatures then
   * never say `host-boot-failed` / `host-unreachable-os-running`, only `host-unreachable`.
   */
  bootProgress?: boolean;
  /** `host:port` addresses of the controller's self-check (sim-witness.ts; default one gateway). */
  witnessAddresses?: readonly string[];
}

export interface SimEnv extends Env {
  readonly name: 'sim';
  readonly world: World;
  readonly latency: SimLatency;
  /**
   * Simulation only, not part of the Env contract: true when nothing a probe of this target could
   * see has changed since its last probe (ControllerOptions.unchangedSinceLastProbe). Absent with
   * `probeHints: false`.
   */
  readonly unchangedSinceLastProbe?: (kind: TargetKind, name: string) => boolean;
  /** Simulation only: every world change behind that hint, as it happens (ControllerOptions.onProbeHintChange). */
  readonly onProbeHintChange?: (listener: (kind: TargetKind, name: string) => void) => void;
}

export function createSimEnv(opts: SimEnvOptions): SimEnv {
  const clock = opts.clock ?? opts.world.clock;
  if (clock !== opts.world.clock) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', 'createSimEnv: the clock must be the one the world runs on');
  }
  const ctx = createSimContext(opts.world, clock, opts.log, opts.latency);
  const power = createSimPower(ctx);
  const probes = createSimProbes(ctx, { hints: opts.probeHints !== false, bootProgress: opts.bootProgress === true });
  return {
    name: 'sim',
    world: opts.world,
    latency: ctx.latency,
    ...(probes.unchangedSinceLastProbe ? { unchangedSinceLastProbe: probes.unchangedSinceLastProbe } : {}),
    ...(probes.onHintChange ? { onProbeHintChange: probes.onHintChange } : {}),
    clock,
    log: opts.log,
    probes: probes.prober,
    power,
    hypervisor: createSimHypervisor(ctx),
    shell: createSimShell(ctx, opts),
    provisioner: createSimProvisioner(ctx, power),
    witnesses: createSimWitnesses(ctx, opts.witnessAddresses ? { addresses: opts.witnessAddresses } : {}),
  };
}

/**
 * Sim IPMI. A dead BMC (or any, while the controller's network is cut) is unreachable, a hung one
 * times out; both only after the BMC timeout. A lying BMC (`bmc-lies-off`) reports off and
 * accepts chassis and boot-device commands that never reach the chassis.
 */
export function createSimPower(ctx: SimContext): PowerDriver {
  const { world, latency } = ctx;

  /** An aborted call stops waiting at once and never reaches the chassis (the world stays as it was). */
  async function call<T>(host: HostSpec, op: string, act: () => T, opts?: CallOptions): Promise<T> {
    ctx.log.debug({ target: `host:${host.name}`, op: `power.${op}` }, 'sim bmc call');
    if (!host.bmc) throw new RrcError('RRC_ERR_DRIVER', `host ${host.name} has no BMC configured`);
    const where = `BMC of ${host.name} (${host.bmc.address}:${host.bmc.port})`;
    const signal = opts?.signal;
    throwIfAborted(signal, `${where}: ${op}`);
    const bmc = world.bmcSeen(host.name);
    if (bmc === 'dead') {
      await ctx.wait(latency.bmcTimeoutSeconds, signal);
      throw new RrcError('RRC_ERR_UNREACHABLE', `${where}: no answer to ${op} within ${latency.bmcTimeoutSeconds} s`);
    }
    if (bmc === 'hung') {
      await ctx.wait(latency.bmcTimeoutSeconds, signal);
      throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${where}: ${op} got no reply within ${latency.bmcTimeoutSeconds} s`);
    }
    await ctx.wait(latency.bmcLatencySeconds, signal);
    throwIfAborted(signal, `${where}: ${op}`);
    return act();
  }

  /** A chassis command: done by an honest BMC, accepted and dropped by a lying one. */
  const chassis = (host: HostSpec, op: string, act: () => void, opts?: CallOptions): Promise<void> =>
    call(
      host,
      op,
      () => {
        if (!world.host(host.name).bmcLiesOff) act();
      },
      opts,
    );

  return {
    status: (host, opts) => call(host, 'status', () => world.bmcPower(host.name), opts),
    on: (host, opts) => chassis(host, 'on', () => world.powerOn(host.name), opts),
    off: (host, opts) => chassis(host, 'off', () => world.powerOff(host.name, 'bmc power off'), opts),
    cycle: (host, opts) => chassis(host, 'cycle', () => world.powerCycle(host.name, 'bmc power cycle'), opts),
    reset: (host, opts) => chassis(host, 'reset', () => world.powerCycle(host.name, 'bmc reset'), opts),
    setBootDevice: (host, device, opts) => chassis(host, `bootdev ${device}`, () => world.setBootDevice(host.name, device), opts),
  };
}

/**
 * Sim PXE provisioning: bootdev pxe + power cycle over the BMC, then the milestones the host's
 * firmware and installer report (dhcp, tftp, http, kickstart, callback) as the world emits them.
 * Resolves on the firstboot callback; past the deadline throws naming the last milestone.
 */
export function createSimProvisioner(ctx: SimContext, power: PowerDriver): Provisioner {
  const { world, clock } = ctx;

  /** `fromStart` false: a resumed reinstall (controller restart) only waits for what is still to come. */
  function install(host: HostSpec, { deadlineMs, onMilestone, signal, profile }: ReinstallOptions, fromStart: boolean): Promise<void> {
    let last = 'none';
    let finished = false;
    const report = (name: ReinstallMilestone['name']): void => {
      if (finished) return;
      last = name;
      onMilestone({ name, at: clock.now() });
    };
    let unsubscribe = (): void => {};
    const callback = new Promise<void>((resolve) => {
      unsubscribe = world.onChange((e: WorldEvent) => {
        if (e.target !== `host:${host.name}` || e.pxe === undefined) return;
        report(e.pxe);
        if (e.pxe === 'callback') resolve();
      });
    });

    return new Promise<void>((resolve, reject) => {
      const settle = (done: () => void): void => {
        if (finished) return;
        finished = true;
        unsubscribe();
        clock.clearTimeout(deadline);
        done();
      };
      const deadline = clock.setTimeout(() => {
        const seconds = Math.round(deadlineMs / 1000);
        const error = new RrcError('RRC_ERR_DRIVER_TIMEOUT', `reinstall of ${host.name} exceeded ${seconds} s; last milestone: ${last}`);
        settle(() => reject(error));
      }, deadlineMs);
      // Aborted: stop waiting for the callback and take netboot off again (a reinstall that nobody
      // waits for must not wipe the host at its next boot).
      const work = async (): Promise<void> => {
        try {
          if (fromStart) {
            // Recorded on the simulated host: its next install puts this template on the disk.
            world.setNextInstall(host.name, profile?.template ?? 'default');
            await power.setBootDevice(host, 'pxe', { signal });
            report('bootdev-set');
            await power.cycle(host, { signal });
            report('power-cycled');
          }
          await unlessAborted(callback, signal, `reinstall of ${host.name}`);
        } catch (e) {
          if (signal?.aborted) world.setBootDevice(host.name, 'disk');
          throw e;
        }
      };
      work().then(
        () => settle(resolve),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  return {
    reinstall: (host, opts) => install(host, opts, true),
    resume: (host, opts) => install(host, opts, false),
  };
}
