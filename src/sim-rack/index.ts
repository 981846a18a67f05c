/**
 * The simulated rack, built in one place: virtual clock, world, sim Env, store with the inventory,
 * and the real controller. The service's demo, the bench, its scale mode and real-lab replay, and
 * the tests all build their rack here, so they all run the same wiring.
 */
import { createController, type Controller, type ControllerEvent, type ControllerOptions, type ProbeSettings } from '../controller/index.js';
import { resolvePolicy, type DeepPartial, type HostSpec, type Policy, type VmSpec } from '../core/index.js';
import type { Env } from '../env/env.js';
import type { SimEnv, VirtualClock, World } from '../env/sim/index.js';
import { openStore, type Store } from '../store/index.js';
import { buildSimWorld, type SimWorldOptions } from './sim-world.js';

export { silentLogger } from './silent-logger.js';
export { buildSimWorld, createSimWorld, DEFAULT_RACK_SEED, DEFAULT_RACK_START, type SimWorld, type SimWorldOptions } from './sim-world.js';
export { labHosts, labVms } from './lab-inventory.js';

export const DEFAULT_RACK_PROBES: ProbeSettings = { intervalMs: 5000, timeoutMs: 3000, concurrency: 8 };

export interface SimRackOptions extends SimWorldOptions {
  /** Default: a fresh memory store on the rack's virtual clock. A store given is never closed here. */
  store?: Store;
  /** Resolved with resolvePolicy. */
  policy?: DeepPartial<Policy>;
  /** Default { intervalMs: 5000, timeoutMs: 3000, concurrency: 8 }. */
  probes?: Partial<ProbeSettings>;
  /** Further controller options (fence timings...). */
  controller?: Partial<Omit<ControllerOptions, 'env' | 'store' | 'policy' | 'probes'>>;
  /** Wraps the sim Env the controller gets (measuring or judging probes); default: the sim Env itself. */
  wrapEnv?: (env: SimEnv) => Env;
  /** Keep every controller event in `events` (default true; the bench turns it off to measure its heap). */
  recordEvents?: boolean;
}

export interface SimRack {
  clock: VirtualClock;
  world: World;
  env: SimEnv;
  store: Store;
  policy: Policy;
  controller: Controller;
  /** Every controller event, in order (empty with recordEvents: false). */
  events: ControllerEvent[];
  /** controller.start() (the inventory is already in the store). */
  start(): Promise<void>;
  /** Advances the clock by `ms` (default 1000) and lets the controller's store writes land. */
  step(ms?: number): Promise<void>;
  /** `seconds` steps of one second; `eachSecond` after each. */
  runFor(seconds: number, eachSecond?: () => void): Promise<void>;
  /** One-second steps until `done` or `maxSeconds`; `eachSecond` after each. True when done. */
  runUntil(done: () => boolean, maxSeconds: number, eachSecond?: () => void): Promise<boolean>;
  /** controller.stop(); does not close a store it was given. */
  stop(): Promise<void>;
}

/** Adds the inventory to the store where it is missing (a reopened store keeps its own). */
async function addMissingInventory(store: Store, hosts: HostSpec[], vms: VmSpec[]): Promise<void> {
  const knownHosts = new Set((await store.listHosts()).map((h) => h.name));
  const knownVms = new Set((await store.listVms()).map((v) => v.name));
  for (const h of hosts) if (!knownHosts.has(h.name)) await store.addHost(h);
  for (const v of vms) if (!knownVms.has(v.name)) await store.addVm(v);
}

/** Builds everything and adds the inventory to the store; does not start the controller. */
export async function buildSimRack(opts: SimRackOptions): Promise<SimRack> {
  const { clock, world, env } = buildSimWorld(opts);
  const store = opts.store ?? (await openStore('memory:', { now: () => clock.now() }));
  await addMissingInventory(store, opts.hosts, opts.vms);
  const policy = resolvePolicy(opts.policy);
  const controller = createController({
    unchangedSinceLastProbe: env.unchangedSinceLastProbe,
    onProbeHintChange: env.onProbeHintChange,
    ...opts.controller,
    env: opts.wrapEnv ? opts.wrapEnv(env) : env,
    store,
    policy,
    probes: { ...DEFAULT_RACK_PROBES, ...opts.probes },
  });
  const events: ControllerEvent[] = [];
  if (opts.recordEvents !== false) controller.onEvent((e) => events.push(e));
  const step = async (ms = 1000): Promise<void> => {
    await clock.advanceBy(ms);
    await controller.idle();
  };
  return {
    clock,
    world,
    env,
    store,
    policy,
    controller,
    events,
    start: () => controller.start(),
    step,
    async runFor(seconds, eachSecond) {
      for (let s = 0; s < seconds; s++) {
        await step();
        eachSecond?.();
      }
    },
    async runUntil(done, maxSeconds, eachSecond) {
      for (let s = 0; s < maxSeconds; s++) {
        if (done()) return true;
        await step();
        eachSecond?.();
      }
      return done();
    },
    stop: () => controller.stop(),
  };
}
