/** `3rc status`: the controller's health line and the state of every target. */
import type { Command } from 'commander';
import type { HealthOut, TargetStatusOut } from '../../api/schemas/target.js';
import { clientOf, wantsJson } from '../context.js';
import { age, print, printJson, table } from '../output.js';

/** One line for an operator action's result: `host:hv1  maintenance  (since 3s)`. */
export function statusLine(s: TargetStatusOut): string {
  const rung = s.rung === null ? '' : `  rung ${s.rung} ${s.rungName ?? ''}`.trimEnd();
  const inc = s.incidentId ? `  incident ${s.incidentId}` : '';
  const reason = s.reason ? `  (${s.reason})` : '';
  return `${s.targetId}  ${s.phase}${s.maintenance && s.phase !== 'maintenance' ? ' [maintenance]' : ''}${rung}${inc}${reason}`;
}

export function statusTable(rows: readonly TargetStatusOut[]): string {
  return table(rows, [
    { header: 'TARGET', value: (s) => s.targetId },
    { header: 'PHASE', value: (s) => (s.maintenance && s.phase !== 'maintenance' ? `${s.phase} [maint]` : s.phase) },
    { header: 'FOR', value: (s) => age(s.since), align: 'right' },
    { header: 'RUNG', value: (s) => (s.rung === null ? null : `${s.rung} ${s.rungName ?? ''}`.trim()) },
    { header: 'INCIDENT', value: (s) => s.incidentId },
    { header: 'SIGNATURE', value: (s) => s.signature },
    { header: 'PENALTY', value: (s) => (s.penalty > 0 ? Math.round(s.penalty) : null), align: 'right' },
    { header: 'REASON', value: (s) => s.reason },
  ]);
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('controller health and the state of every host and VM')
    .option('--json', 'print JSON: { health, targets }')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = clientOf(cmd);
      const [health, targets] = await Promise.all([client.get<HealthOut>('/health'), client.get<TargetStatusOut[]>('/status')]);
      if (wantsJson(cmd)) return printJson({ health, targets });
      const bad = targets.filter((t) => t.phase !== 'healthy').length;
      print(
        `controller up ${age(health.startedAt, Date.parse(health.now))}, env ${health.env}, store ${health.store}, ` +
          `${health.targets} targets (${bad} not healthy), ${health.openIncidents} open incidents`,
      );
      print(targets.length === 0 ? '(no targets)' : `\n${statusTable(targets)}`);
    });
}
