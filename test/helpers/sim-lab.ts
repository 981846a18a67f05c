/**
 * A small simulated rack driven by the real controller on a virtual clock: the fixture of the
 * controller integration tests (and a model for the bench). Two primaries, one spare, four VMs.
 */
import { pino } from 'pino';
import { createController, type Controller, type ControllerEvent } from '../../src/controller/index.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../../src/core/policy.js';
import type { HostSpec, VmSpec } from '../../src/core/types.js';
import { createSimEnv, createWorld, VirtualClock, type World } from '../../src/env/sim/index.js';
import type { Store } from '../../src/store/types.js';

export function labHosts(): HostSpec[] {
  const host = (name: string, n: number, role: 'primary' | 'spare'): HostSpec => ({
    name,
    role,
    macs: [`52:54:00:00:00:0${n}`],
    ip: `198.18.0.${10 + n}`,
    bmc: { address: `198.18.1.${10 + n}`, port: 623, user: 'admin', secretRef: 'bmc' },
    hypervisorUri: `qemu+ssh://root@198.18.0.${10 + n}/system`,
    ssh: { host: `198.18.0.${10 + n}`, port: 22, user: 'root' },
    capacity: { cores: 32, ramGb: 128, diskTb: 4 },
  });
  return [host('hv1', 1, 'primary'), host('hv2', 2, 'primary'), host('spare1', 3, 'spare')];
}

export function labVms(): VmSpec[] {
  const vm = (name: string, n: number, home: string, withService: boolean): VmSpec => ({
    name,
    uuid: `00000000-0000-4000-8000-00000000000${n}`,
    homeHost: home,
    currentHost: home,
    priority: n,
    diskPath: `/shared/${name}.qcow2`,
    resources: { cores: 4, ramGb: 8, diskGb: 40 },
    guestAddress: `198.18.2.${n}`,
    ...(withService ? { serviceCheck: { kind: 'tcp' as const, port: 80, restartCommand: 'systemctl restart nginx' } } : {}),
  });
  return [vm('web1', 1, 'hv1', true), vm('db1', 2, 'hv1', false), vm('ce1', 3, 'hv2', false), vm('ui1', 4, 'hv2', true)];
}

export interface SimLab {
  clock: VirtualClock;
  world: World;
  controller: Controller;
  store: Store;
  policy: Policy;
  events: ControllerEvent[];
  /** Advances virtual time in 1 s steps (letting store writes land) until `done` or `maxSeconds`. */
  runUntil(done: () => boolean, maxSeconds: number): Promise<boolean>;
  runFor(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimLab(store: Store, opts: { policy?: DeepPartial<Policy>; seed?: number } = {}): Promise<SimLab> {
  const clock = new VirtualClock({ start: Date.UTC(2026, 10, 22) });
  const log = pino({ level: process.env.RRC_TEST_LOG ?? 'silent' });
  for (const h of labHosts()) await store.addHost(h);
  for (const v of labVms()) await store.addVm(v);
  const world = createWorld({ hosts: labHosts(), vms: labVms(), clock, seed: opts.seed ?? 7 });
  const env = createSimEnv({ world, clock, log });
  const policy = resolvePolicy(opts.policy);
  const controller = createController({ env, store, policy, probes: { intervalMs: 5000, timeoutMs: 3000, concurrency: 8 } });
  const events: ControllerEvent[] = [];
  controller.onEvent((e) => events.push(e));
  await controller.start();
  const step = async () => {
    await clock.advanceBy(1000);
    await controller.idle();
  };
  return {
    clock,
    world,
    controller,
    store,
    policy,
    events,
    async runUntil(done, maxSeconds) {
      for (let s = 0; s < maxSeconds; s++) {
        if (done()) return true;
        await step();
      }
      return done();
    },
    async runFor(seconds) {
      for (let s = 0; s < seconds; s++) await step();
    },
    async stop() {
      await controller.stop();
    },
  };
}
