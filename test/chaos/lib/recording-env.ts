/**
 * The recording wrapper between every controller generation and the simulated world: each power,
 * hypervisor and provisioner call that reached the world, with the world's state around it, so
 * the test can count destructive actions and VM starts whatever controller made them.
 */
import type { Env } from '../../../src/env/env.js';
import type { SimEnv } from '../../../src/env/sim/index.js';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';

export type Landed =
  /** A power cycle or reset that reached the host's chassis. */
  | { kind: 'cycle'; host: string; at: number }
  /** A power off that turned a running host off. */
  | { kind: 'off'; host: string; at: number }
  /** A reinstall whose PXE boot began. */
  | { kind: 'reinstall'; host: string; at: number }
  /** A defineAndStart that ran, and where the VM was live just before. */
  | { kind: 'start'; vm: string; host: string; at: number; liveBefore: string[] };

export function recordingEnv(sim: SimEnv, out: Landed[]): Env {
  const { world, clock } = sim;
  const power = sim.power;
  const hv = sim.hypervisor;
  const prov = sim.provisioner;
  /** Watches `host` while a provisioner call runs: its PXE boot beginning is the reinstall landing. */
  const watchPxe = (host: HostSpec, run: () => Promise<void>): Promise<void> => {
    let seen = false;
    const off = world.onChange((e) => {
      if (!seen && e.target === `host:${host.name}` && e.change.includes('PXE boot')) {
        seen = true;
        out.push({ kind: 'reinstall', host: host.name, at: e.at });
      }
    });
    return run().finally(off);
  };
  return {
    ...sim,
    power: {
      ...power,
      status: (h, o) => power.status(h, o),
      on: (h, o) => power.on(h, o),
      setBootDevice: (h, d, o) => power.setBootDevice(h, d, o),
      reset: (h, o) => power.reset(h, o).then(() => void out.push({ kind: 'cycle', host: h.name, at: clock.now() })),
      cycle: (h, o) => power.cycle(h, o).then(() => void out.push({ kind: 'cycle', host: h.name, at: clock.now() })),
      off: async (h, o) => {
        const before = world.host(h.name).power;
        await power.off(h, o);
        if (before === 'on' && world.host(h.name).power === 'off') out.push({ kind: 'off', host: h.name, at: clock.now() });
      },
    },
    hypervisor: {
      ...hv,
      defineAndStart: async (h: HostSpec, vm: VmSpec, o) => {
        const liveBefore = world.runningCopies(vm.name);
        await hv.defineAndStart(h, vm, o);
        out.push({ kind: 'start', vm: vm.name, host: h.name, at: clock.now(), liveBefore });
      },
    },
    provisioner: {
      reinstall: (h, o) => watchPxe(h, () => prov.reinstall(h, o)),
      ...(prov.resume ? { resume: (h: HostSpec, o: Parameters<typeof prov.reinstall>[1]) => watchPxe(h, () => prov.resume!(h, o)) } : {}),
    },
  };
}
