/** Runs the real `3rc` launcher (bin/3rc.js) as a child process against `api`, asynchronously. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/3rc.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(args: string[], api: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--api', api, ...args],
      { env: { ...process.env, RRC_ACTOR: 'cli-test', NO_COLOR: '1' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
