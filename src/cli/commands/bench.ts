/**
 * `3rc bench [options]`: the crash-injection benchmark (bench/crash-bench.ts), the same code as
 * `npm run bench -- [options]`. Runs locally on the simulator; it does not talk to a controller.
 */
import { Command, CommanderError } from 'commander';

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('crash-injection benchmark: the simulated rack, or --real N in the real lab (see bench/README.md; 3rc bench --help)')
    .argument('[options...]', 'bench options, e.g. --injections 10000 --seed 1 --out bench/results')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const { benchMain } = await import('../../../bench/crash-bench.js');
      const outcome = await benchMain(args);
      // Usage errors were printed by the bench itself; exit 2 without a second line.
      if (outcome.code !== 0) throw new CommanderError(outcome.code, 'rrc.bench', '');
    });
}
