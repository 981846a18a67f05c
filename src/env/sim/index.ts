/** The simulated environment: virtual clock, seeded randomness, the simulated rack and its Env. */
export { VirtualClock, sleep, type RunLimit, type VirtualClockOptions, type VirtualTimerHandle } from './virtual-clock.js';
export { Random, createRandom, type Seed } from './random.js';
export {
  DEFAULT_TIMINGS, constant, lognormal, normal, sampleMs, uniform,
  type Distribution, type SimTimings, type TimingName,
} from './timing.js';
export { World, createWorld } from './world.js';
export { WorldState } from './world-state.js';
export type * from './world-types.js';
export { applyFaultLine, parseFaultCommand, parseFaultScript, runFaultScript } from './fault-plan.js';
export { DEFAULT_LATENCY, createSimContext, type SimContext, type SimLatency } from './sim-context.js';
export { createSimEnv, createSimPower, createSimProvisioner, type SimEnv, type SimEnvOptions } from './sim-env.js';
export { createSimHypervisor } from './sim-hypervisor.js';
export { createSimProbes, type SimProbeOptions } from './sim-probes.js';
export { createSimShell, type SimShellOptions } from './sim-shell.js';
export { DEFAULT_SIM_WITNESS_ADDRESSES, createSimWitnesses, type SimWitnessOptions } from './sim-witness.js';
