/**
 * `3rc token create|list|revoke`: API tokens (admins only). `create` prints the token once, on
 * stdout alone so that `3rc token create ... > file` captures just the token.
 */
import { Command, Option } from 'commander';
import type { TokenOut } from '../../api/schemas/token.js';
import { ROLES } from '../../store/types.js';
import { seg } from '../client.js';
import { clientOf, group, wantsJson } from '../context.js';
import { print, printJson, shortTime, table } from '../output.js';

export function registerTokenCommands(program: Command): void {
  const token = group(program, 'token', 'API tokens: create (shown once), list, revoke');

  token
    .command('create')
    .description('create a token and print it once (store it: only its hash is kept)')
    .addOption(new Option('--role <role>', 'viewer reads, operator acts on targets, admin changes inventory and tokens').choices(ROLES).makeOptionMandatory())
    .requiredOption('--name <who>', 'who holds the token (recorded as the actor of every change made with it)')
    .option('--json', 'print JSON')
    .action(async (opts: { role: string; name: string }, cmd: Command) => {
      const created = await clientOf(cmd).post<TokenOut & { token: string }>('/tokens', { name: opts.name, role: opts.role });
      if (wantsJson(cmd)) return printJson(created);
      process.stderr.write(`token "${created.name}" (${created.role}) created; it is not shown again:\n`);
      print(created.token);
    });

  token
    .command('list')
    .description('token names, roles and creators (never the tokens)')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const list = await clientOf(cmd).get<TokenOut[]>('/tokens');
      if (wantsJson(cmd)) return printJson(list);
      print(
        table(list, [
          { header: 'NAME', value: (t) => t.name },
          { header: 'ROLE', value: (t) => t.role },
          { header: 'CREATED', value: (t) => shortTime(t.createdAt) },
          { header: 'BY', value: (t) => t.createdBy },
        ]),
      );
    });

  token
    .command('revoke <name>')
    .description('revoke a token: refused from the next request on')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await clientOf(cmd).delete(`/tokens/${seg(name)}`);
      print(`revoked token ${name}`);
    });
}
