/**
 * What every command needs from the program: the API client built from the global options,
 * whether to print JSON, and shared command groups (`host`, `vm`, ...) that several files extend.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ApiClient, DEFAULT_API, DEFAULT_TIMEOUT_MS } from './client.js';
import { findToken } from './token-source.js';

export interface GlobalOptions {
  /** One controller URL or several, comma-separated (--url is the same option). */
  api: string;
  url?: string;
  timeout: number;
  tokenFile?: string;
}

export function globalDefaults(env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  return { api: env.RRC_API || DEFAULT_API, timeout: DEFAULT_TIMEOUT_MS / 1000 };
}

/** The client for the command being run (reads --api / --timeout from the root program). */
export function clientOf(cmd: Command): ApiClient {
  const g = cmd.optsWithGlobals<GlobalOptions & { json?: boolean }>();
  return clientWithTimeout(cmd, g.timeout * 1000);
}

/** The client with the global URLs and token, waiting `timeoutMs` for an answer. */
export function clientWithTimeout(cmd: Command, timeoutMs: number): ApiClient {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { token, source } = findToken(g.tokenFile);
  return new ApiClient(g.url ?? g.api, { timeoutMs, token, tokenSource: source });
}

export function wantsJson(cmd: Command): boolean {
  return cmd.opts<{ json?: boolean }>().json === true;
}

/**
 * The `host` / `vm` / ... group, created on first use. Files added later (host power, vm move)
 * call `group(program, 'host')` and add their subcommand, whatever the registration order.
 */
export function group(program: Command, name: string, description?: string): Command {
  const found = program.commands.find((c) => c.name() === name);
  if (found) {
    if (description && !found.description()) found.description(description);
    return found;
  }
  const cmd = program.command(name);
  if (description) cmd.description(description);
  return cmd;
}

/** Option parsers: a bad value is a usage error reported by commander with the flag's name. */
export function intArg(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

export function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
