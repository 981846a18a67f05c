/**
 * One chaos run: the small simulated lab, one or two faults, the controller killed at a seeded
 * moment of the recovery, a new controller started on the same store (a new connection), run
 * until every incident has ended; then the three checks (lib/checks.ts). Everything is drawn
 * from the run's seed, so a failing run replays alone.
 */
import { createController } from '../../../src/controller/index.js';
import { applyFaultLine, createRandom, type Random } from '../../../src/env/sim/index.js';
import { buildSimRack, DEFAULT_RACK_PROBES, labHosts, labVms } from '../../../src/sim-rack/index.js';
import type { Store } from '../../../src/store/types.js';
import { checkRun, type RunFacts } from './checks.js';
import { cutEnv, type InFlight } from './cut-env.js';
import { cutStore } from './cut-store.js';
import { KillSwitch } from './kill-switch.js';
import { recordingEnv, type Landed } from './recording-env.js';

export interface ChaosRunOptions {
  seed: number;
  /** Opens a new connection to the run's database (the same database each time). */
  openStore: () => Promise<Store>;
}

export interface ChaosRunResult {
  seed: number;
  plan: string;
  violations: string[];
  /** Host actions interrupted by the kill and what the restart decided (`r<rung> <verdict>`). */
  restartVerdicts: string[];
}

const VMS = ['web1', 'db1', 'ce1', 'ui1'];
const PRIMARIES = ['hv1', 'hv2'];
/** Driver calls that act on the world (reads are not kill points of interest). */
const ACTING = /^(power\.(on|off|cycle|reset|setBootDevice)|hypervisor\.(defineAndStart|destroy|undefine|restart|reboot)|provisioner\.)/;
const WARMUP_S = 20;
const MAX_KILL_AFTER_S = 240;
const MAX_SETTLE_S = 1800;

function faultPlan(rnd: Random): string[] {
  // A hung spare (no VMs) is power-cycled; a destroyed /boot is reinstalled; the rest evacuate or restart.
  const one = (host: string): string =>
    rnd.pick([
      `vm ${rnd.pick(VMS)} panic`,
      `host ${host} hang`,
      `host ${host} power-loss`,
      `hypervisor ${host} crash`,
      'host spare1 hang',
      `host ${rnd.pick([host, 'spare1'])} destroy-boot`,
    ]);
  const first = rnd.pick(PRIMARIES);
  const faults = [one(first)];
  if (rnd.chance(0.3)) faults.push(`delay ${rnd.int(0, 60)}`, one(PRIMARIES.find((h) => h !== first)!));
  return faults;
}

type Trigger = { kind: 'time'; afterMs: number } | { kind: 'store-write'; nth: number } | { kind: 'driver-call'; nth: number; phase: 'before' | 'after' };

function killTrigger(rnd: Random): Trigger {
  const kind = rnd.pick(['time', 'store-write', 'driver-call'] as const);
  if (kind === 'time') return { kind, afterMs: rnd.int(2_000, 180_000) };
  if (kind === 'store-write') return { kind, nth: rnd.int(1, 40) };
  return { kind, nth: rnd.int(1, 6), phase: rnd.pick(['before', 'after'] as const) };
}

export async function chaosRun(opts: ChaosRunOptions): Promise<ChaosRunResult> {
  const rnd = createRandom(`chaos-${opts.seed}`);
  const faults = faultPlan(rnd);
  const trigger = killTrigger(rnd);
  const inFlight: InFlight = rnd.chance(0.5) ? 'land' : 'drop';
  const gapMs = rnd.int(0, 20_000);
  const plan = `${faults.join('; ')} | kill ${JSON.stringify(trigger)} in-flight ${inFlight} | restart after ${gapMs} ms`;

  const landed: Landed[] = [];
  const first = new KillSwitch();
  let armed = false;
  let writes = 0;
  let calls = 0;
  const innerStore = await opts.openStore();
  const rack = await buildSimRack({
    hosts: labHosts(),
    vms: labVms(),
    seed: opts.seed,
    store: cutStore(innerStore, first, () => {
      if (armed && trigger.kind === 'store-write' && ++writes === trigger.nth) first.kill(rack.clock.now());
    }),
    simEnv: { bootProgress: true },
    wrapEnv: (sim) =>
      cutEnv(recordingEnv(sim, landed), first, inFlight, (op, phase) => {
        if (!armed || trigger.kind !== 'driver-call' || !ACTING.test(op)) return;
        if (phase === 'before') calls++;
        if (calls === trigger.nth && phase === trigger.phase) first.kill(rack.clock.now());
      }),
  });
  const { clock, world, policy } = rack;
  const twoHosts: string[] = [];
  const watchCopies = () => {
    for (const vm of VMS) {
      const copies = world.runningCopies(vm);
      if (copies.length > 1) twoHosts.push(`${vm} on ${copies.join(' and ')} at ${Math.round((clock.now() - t0) / 1000)} s`);
    }
  };
  const t0 = clock.now();
  await rack.start();
  await rack.runFor(WARMUP_S, watchCopies);

  // The faults, then the recovery until the trigger fires (a time trigger, or the latest kill time).
  const faultAt = clock.now();
  armed = true;
  if (trigger.kind === 'time') clock.setTimeout(() => first.kill(clock.now()), trigger.afterMs);
  const script = [...faults];
  let delayUntil = clock.now();
  /** Applies the fault lines that are due (a `delay` holds the rest back); faults go on across the kill. */
  const applyDue = (): void => {
    while (script.length > 0 && clock.now() >= delayUntil) {
      const line = script.shift()!;
      if (line.startsWith('delay ')) delayUntil = clock.now() + Number(line.slice(6)) * 1000;
      else applyFaultLine(world, line);
    }
  };
  for (let s = 0; s < MAX_KILL_AFTER_S && !first.killed; s++) {
    applyDue();
    await clock.advanceBy(1000);
    if (!first.killed) await Promise.race([rack.controller.idle(), first.died]);
    watchCopies();
  }
  first.kill(clock.now());
  // Store writes already sent land; then the dead process's connection goes away.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const incidentsAtKill = (await innerStore.listIncidents()).map((i) => i.id);
  const killedAfterS = Math.round((first.killedAt! - faultAt) / 1000);
  await innerStore.close();

  // The gap: nobody watches the rack; faults still due happen.
  for (let waited = 0; waited < gapMs; waited += 1000) {
    applyDue();
    await clock.advanceBy(Math.min(1000, gapMs - waited));
    watchCopies();
  }

  const store = await opts.openStore();
  const second = new KillSwitch();
  const controller = createController({
    env: cutEnv(recordingEnv(rack.env, landed), second, 'land'),
    store,
    policy,
    probes: DEFAULT_RACK_PROBES,
    unchangedSinceLastProbe: rack.env.unchangedSinceLastProbe,
  });
  try {
    await controller.start();
    let settledFor = 0;
    for (let s = 0; s < MAX_SETTLE_S && settledFor < 15; s++) {
      applyDue();
      await clock.advanceBy(1000);
      await controller.idle();
      watchCopies();
      const calm = script.length === 0 && controller.status().every((t) => ['healthy', 'awaiting-operator', 'quarantined'].includes(t.phase));
      settledFor = calm ? settledFor + 1 : 0;
    }
    const facts: RunFacts = { store, incidentsAtKill, landed, twoHosts, status: controller.status(), start: t0 };
    const { violations, restartVerdicts } = await checkRun(facts);
    return { seed: opts.seed, plan: `${plan} (killed ${killedAfterS} s after the fault)`, violations, restartVerdicts };
  } finally {
    await controller.stop();
    await store.close();
  }
}
