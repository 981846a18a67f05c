/**
 * `3rc bench [options]`: the crash-injection benchmark (bench/crash-bench.ts), the same code as
 * `npm run bench -- [options]`, run as a child process so that src never imports bench/. Runs
 * locally on the simulator; it does not talk to a controller. Arguments go through unchanged,
 * and the bench's exit code comes back.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { RrcError } from '../../errors.js';
import { ChildExit } from '../errors.js';

/** bench/crash-bench.ts of the package this file belongs to. */
export const BENCH_SCRIPT = fileURLToPath(new URL('../../../bench/crash-bench.ts', import.meta.url));

/** Runs the bench script under node with tsx's loader; resolves with its exit code. */
export async function runBenchChild(args: readonly string[], script: string = BENCH_SCRIPT): Promise<number> {
  if (!existsSync(script)) {
    throw new RrcError(
      'RRC_ERR_MISSING_DEPENDENCY',
      `the benchmark is not installed: ${script} is absent (3rc bench runs from a checkout of the repository, bench/ included)`,
    );
  }
  const tsxLoader = import.meta.resolve('tsx');
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, script, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    // Killed by a signal: the shell's convention, 128 + its number (1 when unknown).
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1)));
  });
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('crash-injection benchmark: the simulated rack, or --real N in the real lab (see bench/README.md; 3rc bench --help)')
    .argument('[options...]', 'bench options, e.g. --injections 10000 --seed 1 --out bench/results')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const code = await runBenchChild(args);
      // The bench printed its own errors and usage: only its exit code is passed on.
      if (code !== 0) throw new ChildExit(code);
    });
}
