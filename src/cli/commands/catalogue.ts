/** `3rc catalogue list`: the OS and middleware a request may name. */
import type { Command } from 'commander';
import type { CatalogueOut } from '../../on-demand/request-output.js';
import { clientOf, group, wantsJson } from '../context.js';
import { print, printJson, table } from '../output.js';

export function registerCatalogueCommands(program: Command): void {
  group(program, 'catalogue', 'what host on demand can provide')
    .command('list')
    .description('OS images and installs, middleware recipes')
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const c = await clientOf(cmd).get<CatalogueOut>('/api/v1/catalogue');
      if (wantsJson(cmd)) return printJson(c);
      print(c.os.length === 0 ? '(no OS in the catalogue)' : table(c.os, [
        { header: 'OS', value: (o) => o.name },
        { header: 'KIND', value: (o) => (o.kind === 'image' ? 'image (VM)' : 'install (PXE, --physical)') },
        { header: 'DESCRIPTION', value: (o) => o.description },
      ]));
      print(c.middleware.length === 0 ? '(no middleware in the catalogue)' : `\n${table(c.middleware, [
        { header: 'MIDDLEWARE', value: (m) => m.name },
        { header: 'PACKAGES', value: (m) => m.packages.join(' ') },
        { header: 'DESCRIPTION', value: (m) => m.description },
      ])}`);
    });
}
