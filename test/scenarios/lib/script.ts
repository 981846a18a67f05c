/**
 * A scenario's `faults` file: the simulator's fault language (src/env/sim/world.ts header, parsed
 * by fault-plan.ts), plus what a person does, which the runner carries out through the
 * controller's operator API (the same calls the CLI and HTTP API make):
 *
 *   operator maintenance on|off <target>   e.g. `operator maintenance on host:hv1`
 *   operator release <target>              take a quarantined / awaiting target back
 *   operator confirm-off <host>            a person confirms the host is powered off
 *
 * and `controller restart`: the controller process dies and a new one starts on the same store at
 * that instant (lib/controller-restart.ts). `controller partition|heal` stay fault commands.
 * `store fail-writes <n>`: the next n writes to the controller's store fail (lib/failing-store.ts).
 *
 * Every line is parsed before anything plays, so a typo fails at once.
 */
import { parseFaultCommand } from '../../../src/env/sim/index.js';
import type { FaultCommand } from '../../../src/env/sim/index.js';
import { STORE_FAIL_RE } from './failing-store.js';

export type OperatorCommand =
  | { verb: 'maintenance'; on: boolean; target: string }
  | { verb: 'release'; target: string }
  | { verb: 'confirm-off'; host: string };

export type ScriptStep =
  | { kind: 'delay'; seconds: number }
  | { kind: 'fault'; line: string; command: FaultCommand }
  | { kind: 'operator'; line: string; command: OperatorCommand }
  | { kind: 'restart'; line: string }
  | { kind: 'store'; line: string; failWrites: number };

const RESTART_LINE = 'controller restart';

function targetWord(line: string, word: string | undefined): string {
  if (word === undefined || !/^(host|vm):\S+$/.test(word)) throw new Error(`"${line}": expected a target host:<name> or vm:<name>`);
  return word;
}

export function parseOperatorLine(line: string): OperatorCommand {
  const [, verb, a, b, ...rest] = line.split(/\s+/);
  if (rest.length > 0) throw new Error(`"${line}": too many words`);
  switch (verb) {
    case 'maintenance':
      if (a !== 'on' && a !== 'off') throw new Error(`"${line}": expected maintenance on|off <target>`);
      return { verb, on: a === 'on', target: targetWord(line, b) };
    case 'release':
      if (b !== undefined) throw new Error(`"${line}": expected release <target>`);
      return { verb, target: targetWord(line, a) };
    case 'confirm-off':
      if (a === undefined || b !== undefined) throw new Error(`"${line}": expected confirm-off <host>`);
      return { verb, host: a };
    default:
      throw new Error(`"${line}": unknown operator command (maintenance, release, confirm-off)`);
  }
}

export function parseScript(lines: readonly string[]): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (const raw of lines) {
    const line = raw.replace(/#.*/, '').trim().replace(/\s+/g, ' ');
    if (line === '') continue;
    if (line.startsWith('operator ')) {
      steps.push({ kind: 'operator', line, command: parseOperatorLine(line) });
      continue;
    }
    const storeFault = STORE_FAIL_RE.exec(line);
    if (storeFault) {
      steps.push({ kind: 'store', line, failWrites: Number(storeFault[1]) });
      continue;
    }
    if (line === RESTART_LINE) {
      steps.push({ kind: 'restart', line });
      continue;
    }
    const command = parseFaultCommand(line);
    steps.push(command.kind === 'delay' ? { kind: 'delay', seconds: command.seconds } : { kind: 'fault', line, command });
  }
  return steps;
}

/** Total of the script's delays: the time of its last step. */
export function scriptLength(steps: readonly ScriptStep[]): number {
  return steps.reduce((s, step) => s + (step.kind === 'delay' ? step.seconds : 0), 0);
}
