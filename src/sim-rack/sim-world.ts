/**
 * The synchronous half of a simulated rack: clock, world and sim Env, no store and no controller.
 * `buildSimWorld` runs on a new virtual clock (the env unit tests use it; buildSimRack builds on
 * it); `createSimWorld` runs on a clock it is given (the service's demo: the wall clock).
 */
import type { HostSpec, VmSpec } from '../core/index.js';
import type { Clock, Logger } from '../env/env.js';
import {
  createSimEnv,
  createWorld,
  VirtualClock,
  type SimEnv,
  type SimEnvOptions,
  type VirtualClockOptions,
  type World,
  type WorldOptions,
} from '../env/sim/index.js';
import { silentLogger } from './silent-logger.js';

/** Virtual epoch of a rack unless told otherwise. */
export const DEFAULT_RACK_START = Date.UTC(2026, 10, 22);
export const DEFAULT_RACK_SEED = 7;

export interface SimWorldOptions {
  hosts: HostSpec[];
  vms: VmSpec[];
  /** World seed (default 7). */
  seed?: number | string;
  /** Virtual epoch ms (default Date.UTC(2026, 10, 22)). */
  start?: number;
  /** How the virtual clock settles after each timer (VirtualClockOptions.settle; default `node`). */
  clockSettle?: VirtualClockOptions['settle'];
  world?: Partial<Omit<WorldOptions, 'hosts' | 'vms' | 'clock'>>;
  simEnv?: Partial<Omit<SimEnvOptions, 'world' | 'clock' | 'log'>>;
  /** Default: the shared silent logger. */
  log?: Logger;
}

export interface SimWorld {
  clock: VirtualClock;
  world: World;
  env: SimEnv;
}

export function buildSimWorld(opts: SimWorldOptions): SimWorld {
  const clock = new VirtualClock({
    start: opts.start ?? DEFAULT_RACK_START,
    ...(opts.clockSettle ? { settle: opts.clockSettle } : {}),
  });
  return { clock, ...createSimWorld(clock, opts) };
}

/** The world and its sim Env on `clock` (start and clockSettle do not apply). */
export function createSimWorld(clock: Clock, opts: SimWorldOptions): { world: World; env: SimEnv } {
  const world = createWorld({
    ...opts.world,
    seed: opts.seed ?? opts.world?.seed ?? DEFAULT_RACK_SEED,
    hosts: opts.hosts,
    vms: opts.vms,
    clock,
  });
  const env = createSimEnv({ ...opts.simEnv, world, clock, log: opts.log ?? silentLogger });
  return { world, env };
}
