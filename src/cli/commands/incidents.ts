/** `3rc incidents [--open]` and `3rc incident show <id>`. */
import type { Command } from 'commander';
import type { IncidentDetailOut, IncidentOut } from '../../api/schemas/incident.js';
import { seg } from '../client.js';
import { clientOf, group, intArg, wantsJson } from '../context.js';
import { keyValues, print, printJson, shortTime, table } from '../output.js';

export function registerIncidentCommands(program: Command): void {
  program
    .command('incidents')
    .description('list incidents, newest first')
    .option('--open', 'only incidents not yet resolved')
    .option('--target <target>', 'only this target (host:<name>, vm:<name> or a unique name)')
    .option('--limit <n>', 'at most n incidents (default 100)', intArg)
    .option('--json', 'print JSON')
    .action(async (opts: { open?: boolean; target?: string; limit?: number }, cmd: Command) => {
      const list = await clientOf(cmd).get<IncidentOut[]>('/incidents', {
        open: opts.open ? true : undefined,
        target: opts.target,
        limit: opts.limit,
      });
      if (wantsJson(cmd)) return printJson(list);
      if (list.length === 0) return print(opts.open ? '(no open incidents)' : '(no incidents)');
      print(
        table(list, [
          { header: 'ID', value: (i) => i.id },
          { header: 'STATE', value: (i) => i.state },
          { header: 'SIGNATURE', value: (i) => i.signature },
          { header: 'RUNG', value: (i) => (i.entryRung === i.currentRung ? `${i.currentRung}` : `${i.entryRung}->${i.currentRung}`) },
          { header: 'DETECTED', value: (i) => shortTime(i.detectedAt) },
          { header: 'RECOVERY', value: (i) => (i.recoverySeconds === null ? null : `${Math.round(i.recoverySeconds)}s`), align: 'right' },
        ]),
      );
    });

  group(program, 'incident', 'inspect one incident')
    .command('show <id>')
    .description('an incident with its timeline and actions (id as listed, e.g. host:hv1#2)')
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const d = await clientOf(cmd).get<IncidentDetailOut>(`/incidents/${seg(id)}`);
      if (wantsJson(cmd)) return printJson(d);
      print(
        keyValues([
          ['incident', d.id],
          ['target', d.targetId],
          ['state', d.state],
          ['signature', `${d.signature}: ${d.signatureSummary}`],
          ['rungs', `entered at ${d.entryRung}, now ${d.currentRung}`],
          ['detected', shortTime(d.detectedAt)],
          ['resolved', d.resolvedAt ? `${shortTime(d.resolvedAt)} (${d.recoverySeconds ?? '?'}s)` : null],
          ['note', d.note],
        ]),
      );
      print(d.events.length === 0 ? '\n(no timeline events)' : `\nTimeline:\n${table(d.events, [
        { header: 'AT', value: (e) => shortTime(e.at) },
        { header: 'KIND', value: (e) => e.kind },
        { header: 'MESSAGE', value: (e) => e.message },
      ])}`);
      if (d.actions.length > 0) {
        print(`\nActions:\n${table(d.actions, [
          { header: 'ID', value: (a) => a.id },
          { header: 'KIND', value: (a) => a.kind },
          { header: 'STARTED', value: (a) => shortTime(a.startedAt) },
          { header: 'FINISHED', value: (a) => shortTime(a.finishedAt) },
          { header: 'OUTCOME', value: (a) => a.outcome ?? 'running' },
          { header: 'ERROR', value: (a) => a.error },
        ])}`);
      }
    });
}
