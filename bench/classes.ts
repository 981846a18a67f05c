/**
 * The crash classes of the bench, in report order, each with its fault script and the timing
 * model of the fault itself (how long a partition lasts, when a flapping host fails again...).
 * How long the hardware takes to react (boots, installs, guest boots) is the simulator's timing
 * model (src/env/sim/timing.ts); both are documented with their sources in bench/README.md.
 *
 * A script is a list of steps at offsets from the injection: `fault` steps break something (their
 * outage is measured), `fix` steps are the world healing or a technician's repair (a network
 * partition heals, a dead BMC is replaced). Commands use the fault language of src/env/sim/world.ts.
 */
import type { Random } from '../src/env/sim/index.js';

export const CLASS_NAMES = [
  'vm-panic',
  'vm-hang',
  'vm-service',
  'hypervisor-crash',
  'host-overload',
  'host-shutdown',
  'host-power-loss',
  'host-hang',
  'host-destructive',
  'host-partition',
  'host-and-bmc-dead',
  'host-flapping',
  'correlated',
] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export interface Step {
  /** Seconds after the injection. */
  offset: number;
  kind: 'fault' | 'fix';
  /** Fault commands (world.ts language), applied at once. */
  lines: string[];
}

export interface Plan {
  /** Sub-case of the class (e.g. which way the BMC died), reported as counts. */
  variant: string;
  steps: Step[];
}

export interface CrashClass {
  name: ClassName;
  /** What it hits: one VM, or `hosts(random)` hosts (each carrying VMs). */
  target: 'vm' | 'host';
  hosts?: (random: Random) => number;
  /** One line for the report. */
  summary: string;
  plan(random: Random, targets: readonly string[]): Plan;
}

/** Fault-side durations, in seconds (see bench/README.md for the reasoning and sources). */
export const FAULT_TIMINGS = {
  /** Network partition until the link / switch is back: log-normal, mean 7 min, sd 4 min. */
  partition: { mean: 420, sd: 240 },
  /** Dead BMC + host until a technician has swapped the part: log-normal, mean 30 min, sd 15 min. */
  hardwareFix: { mean: 1800, sd: 900 },
  /** Flapping host: failures in total, and the gap between two failures (uniform). */
  flapCount: { min: 3, max: 4 },
  flapGap: { min: 240, max: 720 },
  /** Correlated failure: hosts hit at once (uniform integer). */
  correlatedHosts: { min: 2, max: 4 },
} as const;

const one = (line: string): Plan => ({ variant: 'single', steps: [{ offset: 0, kind: 'fault', lines: [line] }] });

function lognormal(random: Random, d: { mean: number; sd: number }): number {
  return Math.round(random.lognormalMeanSd(d.mean, d.sd));
}

function weighted<T extends string>(random: Random, options: ReadonlyArray<readonly [T, number]>): T {
  const total = options.reduce((s, [, w]) => s + w, 0);
  let roll = random.next() * total;
  for (const [v, w] of options) if ((roll -= w) < 0) return v;
  return options[options.length - 1]![0];
}

export const CLASSES: readonly CrashClass[] = [
  { name: 'vm-panic', target: 'vm', summary: 'guest kernel panic (domain crashed)', plan: (_r, [vm]) => one(`vm ${vm} panic`) },
  { name: 'vm-hang', target: 'vm', summary: 'guest hung: domain running, no heartbeat', plan: (_r, [vm]) => one(`vm ${vm} hang`) },
  { name: 'vm-service', target: 'vm', summary: 'service dead, guest fine', plan: (_r, [vm]) => one(`vm ${vm} service-dead`) },
  { name: 'hypervisor-crash', target: 'host', summary: 'libvirtd dies, guests keep running', plan: (_r, [h]) => one(`hypervisor ${h} crash`) },
  { name: 'host-overload', target: 'host', summary: 'load / swap storm: host stops answering until power cycled', plan: (_r, [h]) => one(`host ${h} overload`) },
  { name: 'host-shutdown', target: 'host', summary: 'clean OS shutdown, then power off', plan: (_r, [h]) => one(`host ${h} shutdown`) },
  { name: 'host-power-loss', target: 'host', summary: 'chassis power lost, BMC answers (standby power)', plan: (_r, [h]) => one(`host ${h} power-loss`) },
  { name: 'host-hang', target: 'host', summary: 'kernel hang: nothing answers, guests frozen', plan: (_r, [h]) => one(`host ${h} hang`) },
  { name: 'host-destructive', target: 'host', summary: '/boot destroyed: only a PXE reinstall repairs it', plan: (_r, [h]) => one(`host ${h} destroy-boot`) },
  {
    name: 'host-partition',
    target: 'host',
    summary: 'network cut between controller and host; host and guests keep running (fencing required)',
    plan: (random, [h]) => ({
      variant: 'single',
      steps: [
        { offset: 0, kind: 'fault', lines: [`host ${h} partition`] },
        { offset: lognormal(random, FAULT_TIMINGS.partition), kind: 'fix', lines: [`host ${h} heal-partition`] },
      ],
    }),
  },
  {
    name: 'host-and-bmc-dead',
    target: 'host',
    summary: 'BMC dead together with the host (power fails with the BMC, or hang / partition with a dead BMC)',
    plan: (random, [h]) => {
      const variant = weighted(random, [['power', 0.6], ['hang', 0.2], ['partition', 0.2]] as const);
      const fault = variant === 'power' ? 'power-loss' : variant;
      const fix = lognormal(random, FAULT_TIMINGS.hardwareFix);
      return {
        variant,
        steps: [
          { offset: 0, kind: 'fault', lines: [`host ${h} bmc-dead`, `host ${h} ${fault}`] },
          { offset: fix, kind: 'fix', lines: [`host ${h} bmc-ok`, ...(variant === 'partition' ? [`host ${h} heal-partition`] : [])] },
        ],
      };
    },
  },
  {
    name: 'host-flapping',
    target: 'host',
    summary: 'host hangs again every few minutes after each repair (flap damping)',
    plan: (random, [h]) => {
      const count = random.int(FAULT_TIMINGS.flapCount.min, FAULT_TIMINGS.flapCount.max);
      const steps: Step[] = [];
      let offset = 0;
      for (let i = 0; i < count; i++) {
        if (i > 0) offset += Math.round(random.uniform(FAULT_TIMINGS.flapGap.min, FAULT_TIMINGS.flapGap.max));
        steps.push({ offset, kind: 'fault', lines: [`host ${h} hang`] });
      }
      return { variant: `${count} failures`, steps };
    },
  },
  {
    name: 'correlated',
    target: 'host',
    hosts: (random) => random.int(FAULT_TIMINGS.correlatedHosts.min, FAULT_TIMINGS.correlatedHosts.max),
    summary: 'several hosts at once (PDU trip, shared kernel bug, top-of-rack switch): spare pool contention',
    plan: (random, hosts) => {
      const variant = weighted(random, [['power-loss', 0.5], ['hang', 0.25], ['partition', 0.25]] as const);
      const steps: Step[] = [{ offset: 0, kind: 'fault', lines: hosts.map((h) => `host ${h} ${variant}`) }];
      if (variant === 'partition') {
        steps.push({ offset: lognormal(random, FAULT_TIMINGS.partition), kind: 'fix', lines: hosts.map((h) => `host ${h} heal-partition`) });
      }
      return { variant: `${variant} x${hosts.length}`, steps };
    },
  },
];

export function crashClass(name: string): CrashClass {
  const c = CLASSES.find((k) => k.name === name);
  if (!c) throw new RangeError(`unknown crash class "${name}" (one of ${CLASS_NAMES.join(', ')})`);
  return c;
}
