/** Operator actions on a target: `maintenance on|off`, `release`, `rung`. */
import { Argument, type Command } from 'commander';
import type { TargetStatusOut } from '../../api/schemas/target.js';
import { RungSchema } from '../../api/schemas/target.js';
import { RUNG_RANGE, RUNGS } from '../../core/rungs.js';
import { seg } from '../client.js';
import { clientOf, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { print, printJson } from '../output.js';
import { statusLine } from './status.js';

const TARGET_HELP = 'host:<name>, vm:<name>, or a name unique among hosts and VMs';

function show(cmd: Command, s: TargetStatusOut): void {
  if (wantsJson(cmd)) printJson(s);
  else print(statusLine(s));
}

export function registerTargetCommands(program: Command): void {
  program
    .command('maintenance')
    .description('maintenance on/off: the target is still probed but nothing is done automatically')
    .addArgument(new Argument('<state>', 'on or off').choices(['on', 'off']))
    .argument('<target>', TARGET_HELP)
    .option('--json', 'print the target status as JSON')
    .action(async (state: 'on' | 'off', target: string, _opts: unknown, cmd: Command) => {
      show(cmd, await clientOf(cmd).post<TargetStatusOut>(`/targets/${seg(target)}/maintenance`, { on: state === 'on' }));
    });

  program
    .command('release')
    .description('release a quarantined (or operator-awaiting) target back to probing')
    .argument('<target>', TARGET_HELP)
    .option('--json', 'print the target status as JSON')
    .action(async (target: string, _opts: unknown, cmd: Command) => {
      show(cmd, await clientOf(cmd).post<TargetStatusOut>(`/targets/${seg(target)}/release`));
    });

  program
    .command('rung')
    .description('run one rung of the ladder now (opens an incident if none is open)')
    .argument('<target>', TARGET_HELP)
    .argument('<rung>', `${RUNG_RANGE} or ${RUNGS.join('|')}`)
    .option('--json', 'print the target status as JSON')
    .action(async (target: string, rungText: string, _opts: unknown, cmd: Command) => {
      const parsed = RungSchema.safeParse(/^\d+$/.test(rungText) ? Number(rungText) : rungText);
      if (!parsed.success) throw usageError(`<rung>: expected ${RUNG_RANGE} or one of ${RUNGS.join(', ')}, got "${rungText}"`);
      show(cmd, await clientOf(cmd).post<TargetStatusOut>(`/targets/${seg(target)}/rung`, { rung: parsed.data }));
    });
}
