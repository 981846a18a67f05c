/**
 * The crash classes of the bench, in report order, each with its fault script and the timing
 * model of the fault itself (how long a partition lasts, when a flapping host fails again...).
 * How long the hardware takes to react (boots, installs, guest boots) is the simulator's timing
 * model (src/env/sim/timing.ts); both are documented with their sources in bench/README.md.
 *
 * A script is a list of steps at offsets from the injection: `fault` steps break something (their
 * outage is measured), `fix` steps are the world healing or a technician's repair (a network
 * partition heals, a dead BMC is replaced). Commands use the fault language of src/env/sim/world.ts.
 *
 * Most classes are judged on recovery time. The `no-harm` classes break nothing the users see
 * (only the controller's view is cut): their criterion is that the controller takes no
 * destructive action on what still serves and every incident closes by itself after the heal.
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
  'controller-partition',
  'peer-reachable-partition',
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

/**
 * How a class is judged: its recovery time, doing no harm (see the header), or, where the rack
 * gives the controller no evidence it may act on, handing the incident to a person quickly with
 * nothing harmful done (`person`).
 */
export type Criterion = 'recovery' | 'no-harm' | 'person';

export interface CrashClass {
  name: ClassName;
  /** What it hits: one VM, `hosts(random)` hosts (each carrying VMs), or the controller's own network. */
  target: 'vm' | 'host' | 'controller';
  criterion: Criterion;
  /**
   * Without a host watchdog nothing can prove the host off (no BMC, no peer sees it): the VMs may
   * not start elsewhere, so the class is judged on the hand-over to a person (do no harm).
   */
  personWithoutWatchdog?: true;
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
  /** A cut that leaves every user's path alone (controller's own network, one host's path to it): uniform. */
  controllerCut: { min: 120, max: 1800 },
} as const;

const one = (line: string): Plan => ({ variant: 'single', steps: [{ offset: 0, kind: 'fault', lines: [line] }] });

/** A cut and its heal `FAULT_TIMINGS.controllerCut` later; the variant says how long, by 5 minutes. */
function cutThenHeal(random: Random, cut: string, heal: string): Plan {
  const seconds = Math.round(random.uniform(FAULT_TIMINGS.controllerCut.min, FAULT_TIMINGS.controllerCut.max));
  const bucket = Math.floor(seconds / 300) * 5;
  return {
    variant: `${bucket}-${bucket + 5} min`,
    steps: [
      { offset: 0, kind: 'fault', lines: [cut] },
      { offset: seconds, kind: 'fix', lines: [heal] },
    ],
  };
}

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
  { name: 'vm-panic', target: 'vm', criterion: 'recovery', summary: 'guest kernel panic (domain crashed)', plan: (_r, [vm]) => one(`vm ${vm} panic`) },
  { name: 'vm-hang', target: 'vm', criterion: 'recovery', summary: 'guest hung: domain running, no heartbeat', plan: (_r, [vm]) => one(`vm ${vm} hang`) },
  { name: 'vm-service', target: 'vm', criterion: 'recovery', summary: 'service dead, guest fine', plan: (_r, [vm]) => one(`vm ${vm} service-dead`) },
  { name: 'hypervisor-crash', target: 'host', criterion: 'recovery', summary: 'libvirtd dies, guests keep running', plan: (_r, [h]) => one(`hypervisor ${h} crash`) },
  { name: 'host-overload', target: 'host', criterion: 'recovery', summary: 'load / swap storm: host stops answering until power cycled', plan: (_r, [h]) => one(`host ${h} overload`) },
  { name: 'host-shutdown', target: 'host', criterion: 'recovery', summary: 'clean OS shutdown, then power off', plan: (_r, [h]) => one(`host ${h} shutdown`) },
  { name: 'host-power-loss', target: 'host', criterion: 'recovery', summary: 'chassis power lost, BMC answers (standby power)', plan: (_r, [h]) => one(`host ${h} power-loss`) },
  { name: 'host-hang', target: 'host', criterion: 'recovery', summary: 'kernel hang: nothing answers, guests frozen', plan: (_r, [h]) => one(`host ${h} hang`) },
  { name: 'host-destructive', target: 'host', criterion: 'recovery', summary: '/boot destroyed: only a PXE reinstall repairs it', plan: (_r, [h]) => one(`host ${h} destroy-boot`) },
  {
    name: 'host-partition',
    target: 'host',
    criterion: 'recovery',
    // The host's own network is down (NIC, switch port): nobody reaches it or its guests, so they
    // serve nobody, yet it runs and could start writing again: fencing through the BMC is needed.
    // A cut that only the controller sees (users and peers still reach the host) is the no-harm
    // class peer-reachable-partition.
    summary: "host's network cut (NIC, switch port): nobody reaches it or its guests; it keeps running, its BMC answers (fencing required)",
    plan: (random, [h]) => ({
      variant: 'single',
      steps: [
        { offset: 0, kind: 'fault', lines: [`host ${h} isolate`] },
        { offset: lognormal(random, FAULT_TIMINGS.partition), kind: 'fix', lines: [`host ${h} heal-isolate`] },
      ],
    }),
  },
  {
    name: 'host-and-bmc-dead',
    target: 'host',
    criterion: 'recovery',
    personWithoutWatchdog: true,
    summary: 'BMC dead together with the host (power fails with the BMC, or hang / partition with a dead BMC)',
    plan: (random, [h]) => {
      const variant = weighted(random, [['power', 0.6], ['hang', 0.2], ['isolated', 0.2]] as const);
      const fault = variant === 'power' ? 'power-loss' : variant === 'isolated' ? 'isolate' : variant;
      const fix = lognormal(random, FAULT_TIMINGS.hardwareFix);
      return {
        variant,
        steps: [
          { offset: 0, kind: 'fault', lines: [`host ${h} bmc-dead`, `host ${h} ${fault}`] },
          { offset: fix, kind: 'fix', lines: [`host ${h} bmc-ok`, ...(variant === 'isolated' ? [`host ${h} heal-isolate`] : [])] },
        ],
      };
    },
  },
  {
    name: 'host-flapping',
    target: 'host',
    criterion: 'recovery',
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
    criterion: 'recovery',
    hosts: (random) => random.int(FAULT_TIMINGS.correlatedHosts.min, FAULT_TIMINGS.correlatedHosts.max),
    summary: 'several hosts at once (PDU trip, shared kernel bug, top-of-rack switch): spare pool contention',
    plan: (random, hosts) => {
      // 'isolate': a top-of-rack switch takes the hosts' own network down (nobody reaches them).
      const variant = weighted(random, [['power-loss', 0.5], ['hang', 0.25], ['isolate', 0.25]] as const);
      const steps: Step[] = [{ offset: 0, kind: 'fault', lines: hosts.map((h) => `host ${h} ${variant}`) }];
      if (variant === 'isolate') {
        steps.push({ offset: lognormal(random, FAULT_TIMINGS.partition), kind: 'fix', lines: hosts.map((h) => `host ${h} heal-isolate`) });
      }
      return { variant: `${variant} x${hosts.length}`, steps };
    },
  },
  {
    name: 'controller-partition',
    target: 'controller',
    criterion: 'no-harm',
    summary: "the controller's own network is cut from every host and BMC for 2-30 min; hosts, guests and BMCs are fine and keep serving",
    plan: (random) => cutThenHeal(random, 'controller partition', 'controller heal'),
  },
  {
    name: 'peer-reachable-partition',
    target: 'host',
    criterion: 'no-harm',
    summary: 'one host cut off from the controller for 2-30 min; it, its guests and its peers still reach each other and keep serving',
    plan: (random, [h]) => cutThenHeal(random, `host ${h} partition`, `host ${h} heal-partition`),
  },
];

/** A class's criterion in a rack with or without host watchdogs (profiles.ts). */
export function criterionOf(name: ClassName, hasWatchdog: boolean): Criterion {
  const c = crashClass(name);
  return c.personWithoutWatchdog && !hasWatchdog ? 'person' : c.criterion;
}

export function crashClass(name: string): CrashClass {
  const c = CLASSES.find((k) => k.name === name);
  if (!c) throw new RangeError(`unknown crash class "${name}" (one of ${CLASS_NAMES.join(', ')})`);
  return c;
}
