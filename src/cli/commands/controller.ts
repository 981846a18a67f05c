/**
 * `3rc controller`: runs the recovery controller and its HTTP API until SIGTERM / SIGINT.
 * With no --config it runs the built-in demo lab (simulated rack, injected crashes).
 * `3rc controller step-down`: the leader of a controller pair hands over (POST /controller/step-down).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { maskUrl } from '../../store/url.js';
import type { HealthOut } from '../../api/schemas/target.js';
import { clientOf, wantsJson } from '../context.js';
import { usageError } from '../errors.js';
import { print, printJson } from '../output.js';
import { loadConfig } from '../../config/index.js';
import { startService } from '../../service/index.js';

interface ControllerFlags {
  config?: string;
  db?: string;
  dbFile?: string;
  listen?: string;
  demo?: boolean;
}

/**
 * The store URL from --db-file, --db or RRC_DB_URL, in that order; null: the config's. A password
 * in --db is refused rather than stripped: argv is readable by every local user (ps), so it has
 * leaked already, and a silently different URL would fail later with a less clear message.
 */
export function storeUrlFromFlags(flags: { db?: string; dbFile?: string }, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flags.dbFile) {
    try {
      return readFileSync(flags.dbFile, 'utf8').trim();
    } catch (e) {
      throw usageError(`--db-file ${flags.dbFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (flags.db) {
    if (hasPassword(flags.db)) {
      throw usageError(`--db ${maskUrl(flags.db)}: a password on the command line is visible to every local user; put the URL in RRC_DB_URL or a file given with --db-file`);
    }
    return flags.db;
  }
  return env.RRC_DB_URL?.trim() || null;
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return /\/\/[^/@]*:[^@/]*@/.test(url);
  }
}

export function registerControllerCommand(program: Command): void {
  const controller = program.command('controller');
  controller
    .command('step-down')
    .description('the leading controller releases its lease so that a standby takes over (admin)')
    .action(async (_flags: unknown, cmd: Command) => {
      const h = await clientOf(cmd).post<HealthOut>('/controller/step-down');
      if (wantsJson(cmd)) printJson(h);
      else print(`stepped down at epoch ${h.epoch ?? '-'}; a standby takes the lease`);
    });
  controller
    .description('run the recovery controller and its HTTP API (no --config: the simulated demo lab)')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--db <url>', 'store URL without a password (file:..., postgresql://user@host/db; overrides config and DATABASE_URL)')
    .option('--db-file <file>', 'file holding the store URL, for one with a password (else env RRC_DB_URL)')
    .option('--listen <host:port>', 'API listen address (overrides api.listen)')
    .option('--no-demo', 'with the demo lab: do not inject crashes')
    .action(async (flags: ControllerFlags) => {
      const config = loadConfig(flags.config);
      const url = storeUrlFromFlags(flags);
      if (url !== null) config.store.url = url;
      if (flags.listen) config.api.listen = flags.listen;
      if (flags.demo === false) config.demo = null;
      const service = await startService(config);
      service.log.info(
        { source: config.source, env: config.environment.kind, demo: config.demo !== null },
        `3RC running (${config.source}); try: 3rc status   (API ${service.url})`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          service.log.info({ signal }, 'shutting down');
          void service.stop().then(resolve);
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
    });
}
