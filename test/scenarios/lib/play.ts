/**
 * Plays one scenario: builds the rack from world.json, schedules the fault script on the virtual
 * clock, steps the clock 1 s at a time for `runSeconds`, checks the invariants every simulated
 * second, and returns the golden log and the violations.
 */
import type { Controller } from '../../../src/controller/index.js';
import { RUNGS, type TargetId } from '../../../src/core/types.js';
import { errorText } from '../../../src/errors.js';
import { formatControllerEvent, logLine } from './golden-log.js';
import { InvariantChecker, type Violation } from './invariants.js';
import { buildSimRack, type SimRack } from '../../../src/sim-rack/index.js';
import { KillSwitch } from '../../chaos/lib/kill-switch.js';
import { mortalEnv, restartController, type ControllerProcess } from './controller-restart.js';
import { failingStore, type FailingStore } from './failing-store.js';
import type { Scenario } from './scenario-spec.js';
import { startLending } from './lending.js';
import { parseScript, scriptLength, type OperatorCommand, type ScriptStep } from './script.js';

export interface PlayResult {
  lines: string[];
  violations: Violation[];
}

async function operate(controller: Controller, cmd: OperatorCommand): Promise<void> {
  const actor = 'scenario';
  switch (cmd.verb) {
    case 'maintenance':
      await controller.setMaintenance(cmd.target as TargetId, cmd.on, actor);
      return;
    case 'release':
      await controller.release(cmd.target as TargetId, actor);
      return;
    case 'confirm-off':
      await controller.confirmHostOff(cmd.host, actor);
      return;
  }
}

/** The controller process of the moment: `controller restart` replaces it. */
interface Live {
  proc: ControllerProcess;
  /** Subscribes the log and the invariants to a controller. */
  watch(controller: Controller): void;
}

/** One timer per instant of the script, so steps at the same second keep their order. */
function scheduleScript(rack: SimRack, live: Live, steps: readonly ScriptStep[], start: number, lines: string[], pending: Array<Promise<void>>, store: FailingStore | null): void {
  const byOffset = new Map<number, ScriptStep[]>();
  let offset = 0;
  for (const step of steps) {
    if (step.kind === 'delay') offset += step.seconds * 1000;
    else byOffset.set(offset, [...(byOffset.get(offset) ?? []), step]);
  }
  for (const [ms, group] of byOffset) {
    rack.clock.setTimeout(() => {
      const t = (rack.clock.now() - start) / 1000;
      for (const step of group) {
        if (step.kind === 'fault') {
          lines.push(logLine(t, 'fault', step.line));
          rack.world.applyFault(step.command);
        } else if (step.kind === 'operator') {
          lines.push(logLine(t, 'operator', step.line.replace(/^operator /, '')));
          pending.push(operate(live.proc.controller, step.command).catch((e) => void lines.push(logLine(t, 'operator', `refused: ${errorText(e)}`))));
        } else if (step.kind === 'store') {
          lines.push(logLine(t, 'fault', step.line));
          store?.failNextWrites(step.failWrites);
        } else if (step.kind === 'restart') {
          lines.push(logLine(t, 'controller', 'killed; a new controller starts on the same store'));
          live.proc = restartController(rack, live.proc);
          live.watch(live.proc.controller);
          pending.push(live.proc.controller.start());
        }
      }
    }, ms);
  }
}

/** Closing lines: each target's phase and what the world says of it (where each VM runs). */
function endState(rack: SimRack, controller: Controller, s: Scenario, t: number): string[] {
  const phase = (id: TargetId) => controller.targetStatus(id)?.phase ?? 'unknown';
  const hosts = s.hosts.map((h) => {
    const w = rack.world.host(h.name);
    return logLine(t, `host:${h.name}`, `end: ${phase(`host:${h.name}`)}; power ${w.power}, os ${w.os}`);
  });
  const vms = s.vms.map((v) => {
    const copies = rack.world.runningCopies(v.name);
    return logLine(t, `vm:${v.name}`, `end: ${phase(`vm:${v.name}`)}; ${copies.length > 0 ? `runs on ${copies.join(', ')}` : 'runs nowhere'}`);
  });
  return [...hosts, ...vms];
}

export async function playScenario(s: Scenario): Promise<PlayResult> {
  const steps = parseScript(s.faultLines);
  if (scriptLength(steps) >= s.world.runSeconds) {
    throw new Error(`${s.name}: the fault script (${scriptLength(steps)} s) does not end before runSeconds (${s.world.runSeconds})`);
  }
  // Only a scenario that restarts the controller gets a killable Env: the others keep the plain wiring.
  const firstLife = steps.some((step) => step.kind === 'restart') ? new KillSwitch() : null;
  const failing = steps.some((step) => step.kind === 'store') ? await failingStore() : null;
  const rack = await buildSimRack({
    ...(failing ? { store: failing.store } : {}),
    ...(firstLife ? { wrapEnv: (sim) => mortalEnv(sim, firstLife) } : {}),
    hosts: s.hosts,
    vms: s.vms,
    ...(s.world.seed !== undefined ? { seed: s.world.seed } : {}),
    ...(s.world.policy ? { policy: s.world.policy } : {}),
    ...(s.world.world ? { world: s.world.world } : {}),
    ...(s.world.simEnv ? { simEnv: s.world.simEnv } : {}),
  });
  const start = rack.clock.now();
  const lines: string[] = [];
  const checker = new InvariantChecker(rack.world, s.vms.map((v) => v.name), start);
  const rungNames: readonly string[] = RUNGS;
  const live: Live = {
    proc: { controller: rack.controller, life: firstLife ?? new KillSwitch() },
    watch: (controller) =>
      controller.onEvent((e) => {
        checker.onControllerEvent(e, rack.clock.now());
        const line = formatControllerEvent(e, start, rungNames);
        if (line !== null) lines.push(line);
      }),
  };
  live.watch(rack.controller);
  const pending: Array<Promise<void>> = [];
  let lending: Awaited<ReturnType<typeof startLending>> = null;
  try {
    await rack.start();
    lending = await startLending(rack, () => live.proc.controller, s, start, lines);
    scheduleScript(rack, live, steps, start, lines, pending, failing);
    // rack.step, on whichever controller is live at each second.
    for (let sec = 0; sec < s.world.runSeconds; sec++) {
      await rack.clock.advanceBy(1000);
      await live.proc.controller.idle();
      checker.checkSecond(rack.clock.now());
    }
    await Promise.all(pending);
    await live.proc.controller.idle();
    lines.push(...endState(rack, live.proc.controller, s, (rack.clock.now() - start) / 1000));
    if (lending) lines.push(...(await lending.endLines((rack.clock.now() - start) / 1000)));
    checker.checkIncidents(await rack.store.listIncidents(), rack.clock.now());
  } finally {
    await lending?.stop();
    await live.proc.controller.stop();
  }
  return { lines, violations: checker.violations() };
}
