/**
 * The crash-injection benchmark (issue 5): `npm run bench -- --injections 10000 --seed 1`, also
 * `3rc bench ...`. Runs the real controller against the simulated rack on a virtual clock and
 * writes a JSON result, a Markdown report and an SVG (+ PNG) histogram. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calibrationSection } from './calibration.js';
import { CLASS_NAMES } from './classes.js';
import { runMulti, type MultiResult } from './multi-run.js';
import { renderSvg } from './plot-svg.js';
import { DEFAULT_WATCHDOG_SECONDS, parseStrategies, profileSettings } from './profiles.js';
import { Progress } from './progress.js';
import { renderMarkdown } from './report-md.js';
import { multiSummary, renderMultiMarkdown } from './report-seeds-md.js';
import { buildResult, type BenchResult } from './result.js';
import { DEFAULT_CONFIG, type BenchConfig, type Mix } from './runner.js';
import { runSharded } from './shards.js';
import { DEFAULT_SCALE, runScale, type ScaleResult } from './scale.js';
import { parseSeedList } from './seeds.js';
import { UsageError } from './usage-error.js';

export { UsageError };

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MIX_FILE = join(BENCH_DIR, 'mix.default.json');
/** File names under --out: crash-bench.{json,md,svg,png} and crash-bench-scale.json. */
export const OUT_PREFIX = 'crash-bench';

/** Two replicas: both cores of the reference machine busy; results are the same on any machine. */
export const DEFAULT_SHARDS = 2;

export const USAGE = `usage: npm run bench -- [options]      (or: 3rc bench [options])

  --injections <n>       crash injections (default ${DEFAULT_CONFIG.injections})
  --seed <n|text>        seed; same seed, same numbers (default ${DEFAULT_CONFIG.seed})
  --seeds <list>         several seeds, one after another: 1-20, 1,3,5 or 1-3,7; per-seed lines and pooled
                         statistics ("100 % under 600 s" must hold on every seed); not with --seed
  --profile <name>       defaults (a rack 3RC installed: every host runs the shipped watchdog agent and declared
                         it; shipped policy), bare (hosts with no watchdog; shipped policy) or watchdog (a
                         storage-lease watchdog declared on every host, policy.selfFenceAfterSeconds = --watchdog)
                         (default defaults)
  --strategy <name>      ours (evacuate first), reference (the talk: repair the host while its VMs wait,
                         policy.evacuateFirst false) or both, side by side (default ours)
  --hosts <n>            primary hosts (default ${DEFAULT_CONFIG.hosts}; scale mode ${DEFAULT_SCALE.hosts})
  --spares <n>           spare hosts (default ${DEFAULT_CONFIG.spares})
  --vms <n>              VMs (default ${DEFAULT_CONFIG.vms}; scale mode ${DEFAULT_SCALE.vms})
  --interval <s>         mean seconds between injections (default ${DEFAULT_CONFIG.meanIntervalSeconds})
  --mix <file>           crash mix, JSON weights per class (default bench/mix.default.json)
  --watchdog <s>         --profile watchdog only: watchdog = policy.selfFenceAfterSeconds (default ${DEFAULT_WATCHDOG_SECONDS})
  --operator-delay <s>   simulated operator's reaction time (default ${DEFAULT_CONFIG.operatorDelaySeconds})
  --no-hints             probe every target every cycle (no sim 'unchanged' hint)
  --shards <n>           split the injections over n replicas of the cluster, merged (default ${DEFAULT_SHARDS});
                         the numbers depend on the seed and n, not on the threads
  --workers <n>          threads running the shards (default: min(shards, cores))
  --out <dir>            write crash-bench.json / .md / .svg / .png there (scale: crash-bench-scale.json)
  --json <file>          write the JSON result to this file
  --scale                scale mode: one controller's probe and decision loop at --hosts / --vms
  --cycles <n>           scale mode: probe cycles to measure (default ${DEFAULT_SCALE.cycles})
  --real <n>             replay n injections of the plan in the real lab (ipmi_sim, sshd, libvirt test:///),
                         each also in the sim, and compare the controller's paths (exit 1 on a disagreement;
                         --out writes crash-bench-real.{json,md}; --seed, --mix, --injections pick the plan)
  -h, --help             this text`;

export interface CliOutcome {
  code: number;
  result?: BenchResult;
  scale?: ScaleResult;
  multi?: MultiResult;
}

function int(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, not "${v}"`);
  return n;
}

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, not "${v}"`);
  return n;
}


export function loadMix(file: string): Mix {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const mix: Mix = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('_')) continue;
    if (!(CLASS_NAMES as readonly string[]).includes(k)) throw new UsageError(`${file}: unknown crash class "${k}" (one of ${CLASS_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0)) throw new UsageError(`${file}: weight of ${k} must be a number >= 0`);
    mix[k as keyof Mix] = v;
  }
  if (Object.values(mix).every((w) => !w)) throw new UsageError(`${file}: every weight is 0`);
  return mix;
}

/** Runs the bench from command-line arguments; returns the exit code (2 for usage errors). */
export async function benchMain(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void; tty: boolean } = defaultIo()): Promise<CliOutcome> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        injections: { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, profile: { type: 'string' }, strategy: { type: 'string' }, hosts: { type: 'string' }, spares: { type: 'string' },
        vms: { type: 'string' }, interval: { type: 'string' }, mix: { type: 'string' }, watchdog: { type: 'string' },
        'operator-delay': { type: 'string' }, 'no-hints': { type: 'boolean' }, shards: { type: 'string' }, workers: { type: 'string' }, out: { type: 'string' }, json: { type: 'string' },
        scale: { type: 'boolean' }, cycles: { type: 'string' }, real: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.err(`bench: usage: ${(e as Error).message}\n${USAGE}\n`);
    return { code: 2 };
  }
  if (values.help) {
    io.out(`${USAGE}\n`);
    return { code: 0 };
  }
  try {
    const seedText = (values.seed as string | undefined) ?? String(DEFAULT_CONFIG.seed);
    const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
    if (values.real !== undefined) {
      const n = int('real', values.real as string, 0);
      if (n < 1 || values.scale) throw new UsageError('--real needs a count of at least 1, and no --scale');
      const { realMain } = await import('./real/real-bench.js');
      const mix = loadMix((values.mix as string | undefined) ?? DEFAULT_MIX_FILE);
      const deckSize = int('injections', values.injections as string | undefined, DEFAULT_CONFIG.injections);
      const command = `npm run bench -- ${argv.join(' ')}`;
      return await realMain({ n, seed, mix, deckSize, out: values.out as string | undefined, json: values.json as string | undefined, command }, io);
    }
    if (values.scale) {
      const scale = await runScale({
        hosts: int('hosts', values.hosts as string | undefined, DEFAULT_SCALE.hosts),
        vms: int('vms', values.vms as string | undefined, DEFAULT_SCALE.vms),
        cycles: int('cycles', values.cycles as string | undefined, DEFAULT_SCALE.cycles),
        seed,
        log: (line) => (io.tty ? io.err(`${line}\n`) : undefined),
      });
      const text = `${JSON.stringify(scale, null, 2)}\n`;
      if (values.json) writeOut(values.json as string, text);
      if (values.out) writeOut(join(values.out as string, `${OUT_PREFIX}-scale.json`), text);
      io.out(text);
      return { code: 0, scale };
    }
    const settings = profileSettings(values.profile as string | undefined, values.watchdog as string | undefined);
    const strategies = parseStrategies(values.strategy as string | undefined);
    if (values.seeds !== undefined && values.seed !== undefined) throw new UsageError('--seed and --seeds exclude each other');
    const seedList = values.seeds === undefined ? null : parseSeedList(values.seeds as string);
    const config: BenchConfig = {
      ...DEFAULT_CONFIG,
      injections: int('injections', values.injections as string | undefined, DEFAULT_CONFIG.injections),
      seed,
      hosts: int('hosts', values.hosts as string | undefined, DEFAULT_CONFIG.hosts),
      spares: int('spares', values.spares as string | undefined, DEFAULT_CONFIG.spares),
      vms: int('vms', values.vms as string | undefined, DEFAULT_CONFIG.vms),
      meanIntervalSeconds: num('interval', values.interval as string | undefined, DEFAULT_CONFIG.meanIntervalSeconds),
      mix: loadMix((values.mix as string | undefined) ?? DEFAULT_MIX_FILE),
      profile: settings.profile,
      strategy: strategies[0]!,
      watchdog: settings.watchdog,
      ...(settings.selfFenceAfterSeconds !== undefined ? { selfFenceAfterSeconds: settings.selfFenceAfterSeconds } : {}),
      operatorDelaySeconds: num('operator-delay', values['operator-delay'] as string | undefined, DEFAULT_CONFIG.operatorDelaySeconds),
      probeHints: !values['no-hints'],
    };
    if (config.hosts < 1) throw new UsageError('--hosts must be at least 1');
    const progress = io.tty ? new Progress(config.injections) : null;
    config.onProgress = progress ? (n, total) => progress.update(n, total) : undefined;
    const shards = int('shards', values.shards as string | undefined, DEFAULT_SHARDS);
    if (shards < 1) throw new UsageError('--shards must be at least 1');
    const workers = values.workers === undefined ? undefined : int('workers', values.workers as string, 1);
    if (workers === 0) throw new UsageError('--workers must be at least 1');
    const command = `npm run bench -- ${argv.join(' ')}`.trim();
    if (seedList !== null || strategies.length > 1) {
      const multi = await runMulti(config, {
        shards,
        ...(workers ? { workers } : {}),
        seeds: seedList ?? [seed],
        strategies,
        onRun: (strategy, s, i, total) => (io.tty ? io.err(`bench: run ${i + 1} of ${total}: strategy ${strategy}, seed ${s}\n`) : undefined),
      });
      progress?.finish();
      multi.calibration = calibrationSection(LAB_STEPS_FILE, readIfExists);
      const json = `${JSON.stringify(multi, null, 2)}\n`;
      if (values.json) writeOut(values.json as string, json);
      if (values.out) {
        writeOut(join(values.out as string, `${OUT_PREFIX}-seeds.json`), json);
        writeOut(join(values.out as string, `${OUT_PREFIX}-seeds.md`), renderMultiMarkdown(multi, { command }));
      }
      io.out(multiSummary(multi));
      return { code: 0, multi };
    }
    const run = await runSharded(config, { shards, ...(workers ? { workers } : {}) });
    progress?.finish();
    const result = buildResult(run);
    result.calibration = calibrationSection(LAB_STEPS_FILE, readIfExists);
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (values.json) writeOut(values.json as string, json);
    if (values.out) {
      const dir = values.out as string;
      writeOut(join(dir, `${OUT_PREFIX}.json`), json);
      const svg = renderSvg(result, run.injections);
      writeOut(join(dir, `${OUT_PREFIX}.svg`), svg);
      const png = toPng(join(dir, `${OUT_PREFIX}.svg`), join(dir, `${OUT_PREFIX}.png`));
      writeOut(join(dir, `${OUT_PREFIX}.md`), renderMarkdown(result, { png, prefix: OUT_PREFIX, command }));
    }
    io.out(summaryLine(result));
    return { code: 0, result };
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bench: usage: ${e.message}\n`);
      return { code: 2 };
    }
    throw e;
  }
}

function summaryLine(r: BenchResult): string {
  const o = r.overall;
  const v = r.violations;
  return (
    `bench: ${r.injections} injections (seed ${r.seed}, profile ${String(r.config.profile)}, strategy ${String(r.config.strategy)}) in ${r.wallSeconds} s: recovery mean ${o.mean} s, p99 ${o.p99} s, max ${o.max} s, ` +
    `${round2(o.under600 * 100)} % under 600 s; overhead p50 ${o.overheadStats.p50} s, p99 ${o.overheadStats.p99} s; ` +
    `violations: ${v.vmOnTwoHosts} VM on two hosts, ${v.actionsOnHealthy} actions on healthy, ${v.lostIncidents} lost; ` +
    `harm: ${r.harm.harmfulActions} harmful actions, ${r.harm.unneededVmRestarts} unneeded VM restarts\n`
  );
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The real lab's step measurements (bench/lab-steps), compared with the simulator's constants. */
const LAB_STEPS_FILE = fileURLToPath(new URL('./results/lab-steps.json', import.meta.url));

function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function writeOut(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** PNG through rsvg-convert (Debian librsvg2-bin); false when it is not installed. */
function toPng(svg: string, png: string): boolean {
  try {
    execFileSync('rsvg-convert', ['--format', 'png', '--output', png, svg], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('bench: rsvg-convert (Debian librsvg2-bin) not found: PNG not written\n');
    return false;
  }
}

function defaultIo() {
  return {
    out: (s: string) => void process.stdout.write(s),
    err: (s: string) => void process.stderr.write(s),
    tty: Boolean(process.stderr.isTTY),
  };
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) {
  const outcome = await benchMain(process.argv.slice(2));
  process.exitCode = outcome.code;
}
