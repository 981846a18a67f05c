/**
 * `3rc config check <file> [--json] [--env-file <file>] [--strict]`: validates a config file the
 * way the controller would load it, plus the semantic checks of src/config/check-config.ts, and
 * prints every problem with its key path. Exit 0 when there is no error (one summary line), 1
 * otherwise (and with --strict, on warnings too). Local: it does not talk to a controller.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseEnv } from 'node:util';
import { checkConfigFile, problemLines, summaryLine } from '../../config/check-config.js';
import { group } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { print, printJson } from '../output.js';

interface CheckFlags {
  json?: boolean;
  envFile?: string;
  strict?: boolean;
}

/** The variables of a systemd EnvironmentFile (KEY=value lines), over this process's environment. */
function environmentWith(envFile: string | undefined): NodeJS.ProcessEnv {
  if (envFile === undefined) return process.env;
  let text: string;
  try {
    text = readFileSync(envFile, 'utf8');
  } catch (e) {
    throw usageError(`--env-file ${envFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { ...process.env, ...parseEnv(text) };
}

export function registerConfigCommands(program: Command): void {
  group(program, 'config', 'configuration files')
    .command('check')
    .description('validate a config file as the controller would, plus semantic checks; print every problem with its key path')
    .argument('<file>', 'YAML configuration file')
    .option('--json', 'print the report as JSON')
    .option('--env-file <file>', "the service's environment file (KEY=value lines): secret variables are looked up there too")
    .option('--strict', 'fail on warnings too')
    .action((file: string, flags: CheckFlags) => {
      const report = checkConfigFile(file, { env: environmentWith(flags.envFile) });
      const failed = !report.ok || (flags.strict === true && report.warnings > 0);
      if (flags.json) printJson({ ...report, ok: !failed });
      else {
        for (const line of problemLines(report)) print(line);
        print(summaryLine(report));
      }
      if (failed) {
        const what = report.ok ? `${report.warnings} warning(s) with --strict` : `${report.errors} error(s)`;
        throw new CliError('RRC_ERR_CONFIG_INVALID', `${file}: ${what}${flags.json ? '' : ', listed above'}`);
      }
    });
}
