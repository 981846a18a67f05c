/**
 * Debugging aid for the crash-injection bench: replays a run (same seed, same numbers) and prints
 * what happened to chosen injections, from the referee's, the world's and the controller's side.
 *
 *   npx tsx bench/trace.ts --injections 10000 --seed 1 --list [--above 600]   slow injections, safety events
 *   npx tsx bench/trace.ts --injections 10000 --seed 1 --trace 435,1196        timelines of those injections
 *   ... --shard 2/2            one replica of a sharded run (`--shards 2`, the default), its own indexes
 *   ... --also host:hv09       trace that target too;  --around 435: the injections next to it
 *   ... --profile watchdog [--watchdog 60] --strategy reference   as the bench's options (profiles.ts)
 *
 * A timeline line: seconds since the injection, the source (world / phase / action / done / log /
 * ref), the target, and what happened. Not part of the results; nothing here changes a run.
 */
import { parseArgs } from 'node:util';
import { actionResultProblem } from '../src/core/action-result.js';
import type { Logger } from '../src/env/env.js';
import { DEFAULT_MIX_FILE, loadMix } from './crash-bench.js';
import { parseStrategies, profileSettings } from './profiles.js';
import { DEFAULT_CONFIG, runBench, type BenchConfig } from './runner.js';
import { shardConfig } from './shards.js';
import type { Injection, Tracker } from './tracker.js';

const { values } = parseArgs({
  options: {
    injections: { type: 'string' },
    seed: { type: 'string' },
    list: { type: 'boolean' },
    above: { type: 'string' },
    trace: { type: 'string' },
    tail: { type: 'string' },
    around: { type: 'string' },
    also: { type: 'string' },
    shard: { type: 'string' },
    profile: { type: 'string' },
    watchdog: { type: 'string' },
    strategy: { type: 'string' },
  },
});

const seedText = values.seed ?? '1';
const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
const wanted = new Set((values.trace ?? '').split(',').filter(Boolean).map(Number));
/** Seconds traced after an injection is finalized (what happens next to its targets). */
const tailMs = Number(values.tail ?? 120) * 1000;

interface Traced {
  inj: Injection;
  hosts: Set<string>;
  vms: Set<string>;
  until: number;
  lines: string[];
}
const traced: Traced[] = [];
let tracker: Tracker | null = null;
let now = () => 0;

function active(target: string, at: number): Traced[] {
  const [kind, name] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
  return traced.filter((t) => at >= t.inj.at && at <= t.until && (kind === 'host' ? t.hosts.has(name) : t.vms.has(name)));
}

function line(target: string, source: string, text: string): void {
  const at = now();
  for (const t of active(target, at)) t.lines.push(`${((at - t.inj.at) / 1000).toFixed(1).padStart(8)}  ${source.padEnd(6)} ${target.padEnd(12)} ${text}`);
}

const traceLog: Logger = {
  debug() {},
  info: (obj, msg) => log(obj, msg),
  warn: (obj, msg) => log(obj, `WARN ${msg ?? ''}`),
  error: (obj, msg) => log(obj, `ERROR ${msg ?? ''}`),
  child: () => traceLog,
};
function log(obj: object, msg?: string): void {
  const target = (obj as { target?: string }).target;
  if (typeof target === 'string') line(target, 'log', msg ?? '');
  // The storm guard's on/off lines name no target but explain every hold of the time: shown in all timelines open then.
  else if ('guard' in obj) for (const t of traced.filter((x) => now() >= x.inj.at && now() <= x.until)) t.lines.push(`${((now() - t.inj.at) / 1000).toFixed(1).padStart(8)}  guard  ${''.padEnd(12)} ${msg ?? ''}`);
}

const settings = profileSettings(values.profile, values.watchdog);
const [strategy] = parseStrategies(values.strategy);
const base: BenchConfig = {
  ...DEFAULT_CONFIG,
  injections: Number(values.injections ?? DEFAULT_CONFIG.injections),
  seed,
  mix: loadMix(DEFAULT_MIX_FILE),
  profile: settings.profile,
  watchdog: settings.watchdog,
  ...(settings.selfFenceAfterSeconds !== undefined ? { selfFenceAfterSeconds: settings.selfFenceAfterSeconds } : {}),
  strategy: strategy!,
};
// `--shard 1/2`: the first of the two replicas `npm run bench -- --shards 2` runs (its own injection indexes).
const [shardIndex, shardCount] = (values.shard ?? '1/1').split('/').map(Number) as [number, number];
const run = await runBench({
  ...shardConfig(base, shardIndex - 1, shardCount),
  ...(wanted.size > 0 ? { log: traceLog } : {}),
  observe: ({ world, controller, tracker: t, clock }) => {
    tracker = t;
    now = () => clock.now();
    if (wanted.size === 0) return;
    const begin = t.begin.bind(t);
    t.begin = (inj) => {
      if (wanted.has(inj.index)) {
        const vms = new Set<string>(inj.hosts.length === 0 ? inj.targets : []);
        for (const h of inj.hosts) for (const vm of t.liveVmsOn(h)) vms.add(vm);
        const hosts = new Set(inj.hosts);
        for (const extra of (values.also ?? '').split(',').filter(Boolean)) (extra.startsWith('vm:') ? vms : hosts).add(extra.replace(/^(vm|host):/, ''));
        traced.push({ inj, hosts, vms, until: Number.MAX_SAFE_INTEGER, lines: [] });
      }
      begin(inj);
    };
    const finalize = t.finalize.bind(t);
    t.finalize = (inj, at) => {
      finalize(inj, at);
      for (const tr of traced) if (tr.inj === inj) tr.until = at + tailMs;
    };
    world.onChange((e) => line(e.target, 'world', e.change));
    controller.onEvent((e) => {
      if (e.type === 'phase') line(e.targetId, 'phase', `${e.from} -> ${e.to}`);
      else if (e.type === 'action-done') line(e.targetId, 'done', `${e.action.kind} ${e.action.id}: ${e.result.outcome === 'ok' ? 'ok' : `FAILED${e.result.outcome === 'blocked' ? ' (blocked)' : ''}: ${actionResultProblem(e.result)}`}`);
      else if (e.type === 'emitted') {
        const ev = e.event;
        if (ev.type === 'action.requested') line(e.targetId, 'action', `${ev.action.kind} ${ev.action.id} (${ev.reason})`);
        else if (ev.type === 'incident.opened') line(e.targetId, 'incid', `opened ${ev.incidentId} ${ev.signature} penalty ${ev.penalty}`);
        else line(e.targetId, 'incid', `${ev.type} ${'reason' in ev ? ev.reason : ''}`);
      }
    });
  },
});

const t = tracker as Tracker | null;
if (!t) throw new Error('no tracker');
if (values.list || wanted.size === 0) {
  const above = Number(values.above ?? 600);
  const slow = run.injections.filter((i) => (i.result?.recovery ?? Infinity) >= above);
  console.log(`${slow.length} injections with recovery >= ${above} s:`);
  for (const i of slow.sort((a, b) => a.cls.localeCompare(b.cls) || (b.result?.recovery ?? 0) - (a.result?.recovery ?? 0))) {
    console.log(`  #${i.index} ${i.cls} (${i.variant}) on ${i.targets.join(',')}: recovery ${i.result?.recovery} s, repair ${i.result?.repair} s, rungs ${i.result?.rungs.join(' ')}`);
  }
  console.log(`safety events: ${t.safety.length}`);
  for (const s of t.safety) console.log(`  ${s.kind} ${s.target} at ${(s.at / 1000).toFixed(1)}: ${s.detail} (injection ${s.injection} ${s.cls})`);
}
for (const index of (values.around ?? '').split(',').filter(Boolean).map(Number)) {
  console.log(`\ninjections around #${index}:`);
  for (const i of run.injections.filter((x) => Math.abs(x.index - index) <= 6)) {
    console.log(`  #${i.index} ${i.cls} (${i.variant}) on ${i.targets.join(',')} at +${((i.at - run.injections[index]!.at) / 1000).toFixed(1)}: recovery ${i.result?.recovery} s, repair ${i.result?.repair} s, rungs ${i.result?.rungs.join(' ')}`);
  }
}
for (const tr of traced) {
  const i = tr.inj;
  console.log(`\n#${i.index} ${i.cls} (${i.variant}) on ${i.targets.join(',')} at ${(i.at / 1000).toFixed(1)}: recovery ${i.result?.recovery} s, repair ${i.result?.repair} s`);
  console.log(`  plan: ${i.plan.steps.map((s) => `+${s.offset} ${s.kind}: ${s.lines.join('; ')}`).join(' | ')}`);
  for (const s of i.steps) {
    for (const [vm, a] of s.affected) console.log(`  step +${((s.at - i.at) / 1000).toFixed(1)}: ${vm} (on ${a.host}) restored ${a.restoredAt === null ? 'never' : `+${((a.restoredAt - i.at) / 1000).toFixed(1)}`}`);
  }
  for (const l of tr.lines) console.log(l);
}
