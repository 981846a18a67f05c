/** `3rc audit`: who changed what, when, why and how it ended, newest first, with filters. */
import { Command, Option } from 'commander';
import type { AuditOut } from '../../api/schemas/incident.js';
import { AUDIT_OUTCOMES } from '../../store/types.js';
import { clientOf, intArg, wantsJson } from '../context.js';
import { print, printJson, shortTime, table } from '../output.js';
import { usageError } from '../errors.js';

interface AuditFlags {
  actor?: string;
  target?: string;
  since?: string;
  outcome?: string;
  limit?: number;
}

/** `--since 2h`, `30m`, `1d`, or an ISO time. */
export function sinceToIso(since: string, now = Date.now()): string {
  const m = /^(\d+)([smhd])$/.exec(since.trim());
  if (m) return new Date(now - Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'] * 1000).toISOString();
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw usageError(`--since: "${since}" is neither a duration (30m, 2h, 1d) nor a time`);
  return new Date(t).toISOString();
}

function why(a: AuditOut): string {
  const d = a.details ?? {};
  const parts = [typeof d.status === 'number' ? `HTTP ${d.status}` : null, typeof d.message === 'string' ? d.message : null];
  if (d.body !== undefined) parts.push(JSON.stringify(d.body).slice(0, 120));
  return parts.filter(Boolean).join(' ');
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('the audit log: every change and refused change, newest first')
    .option('--actor <name>', 'only this token name (or controller)')
    .option('--target <target>', 'only this target: host:<name>, vm:<name>, token:<name>')
    .option('--since <when>', 'only since this time or duration ago (30m, 2h, 1d, ISO time)')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(AUDIT_OUTCOMES))
    .option('--limit <n>', 'at most n entries (default 100)', intArg)
    .option('--json', 'print JSON')
    .action(async (flags: AuditFlags, cmd: Command) => {
      const list = await clientOf(cmd).get<AuditOut[]>('/audit', {
        actor: flags.actor,
        target: flags.target,
        since: flags.since === undefined ? undefined : sinceToIso(flags.since),
        outcome: flags.outcome,
        limit: flags.limit,
      });
      if (wantsJson(cmd)) return printJson(list);
      print(
        table(list, [
          { header: 'AT', value: (a) => shortTime(a.at) },
          { header: 'ACTOR', value: (a) => a.actor },
          { header: 'ACTION', value: (a) => a.action },
          { header: 'TARGET', value: (a) => a.target },
          { header: 'OUTCOME', value: (a) => a.outcome ?? null },
          { header: 'DETAILS', value: why },
        ]),
      );
    });
}
