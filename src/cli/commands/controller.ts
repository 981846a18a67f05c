/**
 * `3rc controller`: runs the recovery controller and its HTTP API until SIGTERM / SIGINT.
 * With no --config it runs the built-in demo lab (simulated rack, injected crashes).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { startService } from '../../service/index.js';

interface ControllerFlags {
  config?: string;
  db?: string;
  listen?: string;
  demo?: boolean;
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run the recovery controller and its HTTP API (no --config: the simulated demo lab)')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--db <url>', 'store URL (file:..., postgresql://...; overrides config and DATABASE_URL)')
    .option('--listen <host:port>', 'API listen address (overrides api.listen)')
    .option('--no-demo', 'with the demo lab: do not inject crashes')
    .action(async (flags: ControllerFlags) => {
      const config = loadConfig(flags.config);
      if (flags.db) config.store.url = flags.db;
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
