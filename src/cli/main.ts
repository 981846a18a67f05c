/**
 * The `3rc` command line. Each command family lives in src/cli/commands/<name>.ts and exports a
 * register function; adding a command (host power, vm move, pxe serve, bench) is one import and
 * one line in COMMANDS. Commands talk to the controller's HTTP API, except `controller` itself.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { DEFAULT_API } from './client.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerConfigCommands } from './commands/config.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerControllerCommand } from './commands/controller.js';
import { registerHostCommands } from './commands/host.js';
import { registerHostOpsCommands } from './commands/host-ops.js';
import { registerIncidentCommands } from './commands/incidents.js';
import { registerPxeCommands } from './commands/pxe.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTargetCommands } from './commands/target.js';
import { registerTokenCommands } from './commands/token.js';
import { registerVmCommands } from './commands/vm.js';
import { registerVmOpsCommands } from './commands/vm-ops.js';
import { registerCatalogueCommands } from './commands/catalogue.js';
import { registerRequestCommands } from './commands/request.js';
import { globalDefaults, numberArg } from './context.js';
import { reportError } from './errors.js';
import { LOG_FORMAT_ENV, LOG_FORMATS } from '../service/logger.js';

export type RegisterCommands = (program: Command) => void;

/** In help order. */
export const COMMANDS: readonly RegisterCommands[] = [
  registerControllerCommand,
  registerStatusCommand,
  registerHostCommands,
  registerHostOpsCommands,
  registerVmCommands,
  registerVmOpsCommands,
  registerIncidentCommands,
  registerTargetCommands,
  registerTokenCommands,
  registerAuditCommand,
  registerBenchCommand,
  registerPxeCommands,
  registerRequestCommands,
  registerCatalogueCommands,
  registerConfigCommands,
];

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const defaults = globalDefaults(env);
  const program = new Command('3rc')
    .description('3RC (Reboot, Restart, Reinstall): recovery controller for virtualized data centers')
    .version('0.1.0', '-V, --version')
    .addOption(new Option('--api <urls>', 'controller API URL, or several comma-separated: the first that answers (env RRC_API)').default(defaults.api, env.RRC_API ? '$RRC_API' : DEFAULT_API))
    .addOption(new Option('--url <urls>', 'same as --api').hideHelp())
    .addOption(new Option('--token-file <file>', 'file holding the API token (else RRC_TOKEN, RRC_TOKEN_FILE, ./.3rc/admin-token)'))
    .addOption(new Option('--timeout <seconds>', 'give up on the API after this long').default(defaults.timeout).argParser(numberArg))
    .addOption(new Option('--log-format <format>', `log lines of controller and pxe serve (default: pretty on a terminal, else JSON; env ${LOG_FORMAT_ENV})`).choices(LOG_FORMATS))
    // The flag sets the variable the logger reads, so a child process (bench) follows it too.
    .hook('preAction', (cmd) => {
      const format = cmd.opts<{ logFormat?: string }>().logFormat;
      if (format) env[LOG_FORMAT_ENV] = format;
    })
    .showSuggestionAfterError(true)
    // Set before the subcommands exist: commander copies both settings into each of them.
    .exitOverride()
    .configureOutput({
      // Usage errors keep the CLI's single-line format; help text is untouched.
      outputError: (str, write) => write(`3rc: usage: ${str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()} (see 3rc --help)\n`),
    });
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 1 error, 2 usage). */
export async function main(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    await buildProgram(env).parseAsync([...argv]);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// `tsx src/cli/main.ts ...` (npm start); bin/3rc.js imports main() instead.
if (isEntryPoint()) {
  process.exitCode = await main();
}
