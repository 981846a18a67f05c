/**
 * Fault plans: text lines of the command language documented at the top of world.ts, parsed into
 * typed `FaultCommand`s and played against a World on its clock (`delay` waits in virtual time).
 */
import { RrcError } from '../../errors.js';
import { sleep } from './virtual-clock.js';
import type { World } from './world.js';
import type { ControllerFault, FaultCommand, HostFault, VmFault } from './world-types.js';

const HOST_FAULTS: readonly HostFault[] = [
  'power-loss', 'power-on', 'shutdown', 'hang', 'overload', 'destroy-boot', 'break-install',
  'partition', 'heal-partition', 'isolate', 'heal-isolate', 'bmc-dead', 'bmc-hung', 'bmc-ok', 'bmc-lies-off', 'bmc-honest',
];
const CONTROLLER_FAULTS: readonly ControllerFault[] = ['partition', 'heal'];
const VM_FAULTS: readonly VmFault[] = ['panic', 'hang', 'service-dead', 'destroy', 'undefine'];

/** Older spellings (STYLE.md, pve Hardware.pm): `power h3 off`, `ipmi h3 timeout`. */
const ALIASES: Record<string, Record<string, HostFault>> = {
  power: { off: 'power-loss', on: 'power-on' },
  ipmi: { timeout: 'bmc-hung', dead: 'bmc-dead', ok: 'bmc-ok' },
};

function invalid(line: string, why: string): RrcError {
  return new RrcError('RRC_ERR_VALIDATION', `fault command "${line}": ${why}`);
}

/** Parse one command line. Throws RRC_ERR_VALIDATION naming the line. */
export function parseFaultCommand(line: string): FaultCommand {
  const words = line.trim().split(/\s+/);
  const [verb, subject, action, ...rest] = words;
  if (verb === 'delay') {
    const seconds = Number(subject);
    if (subject === undefined || action !== undefined || !Number.isFinite(seconds) || seconds < 0) {
      throw invalid(line, 'expected `delay <seconds>`');
    }
    return { kind: 'delay', seconds };
  }
  if (verb === 'controller') {
    if (subject !== undefined && action === undefined && (CONTROLLER_FAULTS as readonly string[]).includes(subject)) {
      return { kind: 'controller', fault: subject as ControllerFault };
    }
    throw invalid(line, `expected \`controller <${CONTROLLER_FAULTS.join('|')}>\``);
  }
  if (verb === undefined || subject === undefined || action === undefined || rest.length > 0) {
    throw invalid(line, 'expected `<host|hypervisor|vm> <name> <fault>`, `controller <partition|heal>` or `delay <seconds>`');
  }
  const alias = ALIASES[verb]?.[action];
  if (alias) return { kind: 'host', host: subject, fault: alias };
  switch (verb) {
    case 'host':
      if ((HOST_FAULTS as readonly string[]).includes(action)) return { kind: 'host', host: subject, fault: action as HostFault };
      throw invalid(line, `unknown host fault (one of ${HOST_FAULTS.join(', ')})`);
    case 'hypervisor':
      if (action === 'crash') return { kind: 'hypervisor', host: subject, fault: 'crash' };
      throw invalid(line, 'unknown hypervisor fault (crash)');
    case 'vm':
      if ((VM_FAULTS as readonly string[]).includes(action)) return { kind: 'vm', vm: subject, fault: action as VmFault };
      throw invalid(line, `unknown vm fault (one of ${VM_FAULTS.join(', ')})`);
    default:
      throw invalid(line, `unknown subject "${verb}"`);
  }
}

/** Parse a script (text or lines); blank lines and `#` comments are skipped. */
export function parseFaultScript(script: string | readonly string[]): FaultCommand[] {
  const lines = typeof script === 'string' ? script.split('\n') : script;
  return lines
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0)
    .map(parseFaultCommand);
}

/** Apply one command line now (`delay` is refused: use runFaultScript). */
export function applyFaultLine(world: World, line: string): void {
  world.applyFault(parseFaultCommand(line));
}

/**
 * Play a script against the world: commands apply at once, `delay` waits on the world's clock.
 * The returned promise settles as the clock is advanced (e.g. by `clock.runUntil`). Every command
 * is parsed first, so a typo fails before anything happens.
 */
export async function runFaultScript(world: World, script: string | readonly string[] | readonly FaultCommand[]): Promise<void> {
  const commands =
    typeof script === 'string' || typeof script[0] === 'string'
      ? parseFaultScript(script as string | readonly string[])
      : (script as readonly FaultCommand[]);
  for (const cmd of commands) {
    if (cmd.kind === 'delay') await sleep(world.clock, cmd.seconds * 1000);
    else world.applyFault(cmd);
  }
}
