/** Runs the real `3rc` launcher (bin/3rc.js) as a child process against `api`, asynchronously. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/3rc.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let cliToken: string | undefined;

/** The token every later `run` passes in RRC_TOKEN (the CLI's usual way; never argv). */
export function setCliToken(token: string | undefined): void {
  cliToken = token;
}

export function run(args: string[], api: string, env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.RRC_TOKEN;
  delete base.RRC_TOKEN_FILE;
  if (cliToken !== undefined) base.RRC_TOKEN = cliToken;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--api', api, ...args],
      { env: { ...base, ...env }, timeout: 60_000, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
