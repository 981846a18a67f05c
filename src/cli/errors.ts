/**
 * What the CLI prints when it fails: exactly one line, `3rc: <code>: <message>`, on stderr.
 * Exit 1 for errors, 2 for usage errors (bad flags or input caught before anything was sent).
 */
import { CommanderError } from 'commander';
import { RrcError } from '../errors.js';

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A child process (`3rc bench`) already said why it failed: exit with its code, print nothing more. */
export class ChildExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exited with code ${exitCode}`);
    this.name = 'ChildExit';
  }
}

export function usageError(message: string): CliError {
  return new CliError('RRC_ERR_VALIDATION', message, EXIT_USAGE);
}

/** Prints the line for `e` and returns the exit code. */
export function reportError(e: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (e instanceof ChildExit) return e.exitCode;
  if (e instanceof CommanderError) {
    // Commander already printed its message (see main.ts outputError) or the help text.
    return e.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (e instanceof CliError) {
    write(`3rc: ${e.code}: ${oneLine(e.message)}\n`);
    return e.exitCode;
  }
  if (e instanceof RrcError) {
    write(`3rc: ${e.code}: ${oneLine(e.message)}\n`);
    return EXIT_ERROR;
  }
  write(`3rc: RRC_ERR_INTERNAL: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
  return EXIT_ERROR;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
