/**
 * Where the CLI's bearer token comes from, first found wins: --token-file, RRC_TOKEN,
 * RRC_TOKEN_FILE, then the demo's first-start file ./.3rc/admin-token. Never an argv value:
 * arguments are visible to every user of the machine (ps, /proc/<pid>/cmdline).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_TOKEN_FILE } from '../service/first-token.js';
import { CliError } from './errors.js';

export interface TokenChoice {
  token: string | null;
  source: string;
}

function readTokenFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('RRC_ERR_VALIDATION', `${what} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new CliError('RRC_ERR_VALIDATION', `${what} ${path}: must hold one token on one line`);
  return token;
}

export function findToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): TokenChoice {
  if (tokenFile) return { token: readTokenFile(tokenFile, '--token-file'), source: `--token-file ${tokenFile}` };
  const fromEnv = env.RRC_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'RRC_TOKEN' };
  if (env.RRC_TOKEN_FILE) return { token: readTokenFile(env.RRC_TOKEN_FILE, 'RRC_TOKEN_FILE'), source: `RRC_TOKEN_FILE ${env.RRC_TOKEN_FILE}` };
  const demo = resolve(cwd, DEFAULT_TOKEN_FILE);
  if (existsSync(demo)) return { token: readTokenFile(demo, 'token file'), source: demo };
  return { token: null, source: `none: set RRC_TOKEN, or --token-file <file> (the first start writes ${DEFAULT_TOKEN_FILE} beside the database)` };
}
