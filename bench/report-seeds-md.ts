/** Markdown for a multi-seed / both-strategies run (multi-run.ts), from the same numbers as its JSON. */
import type { MultiResult, StrategyColumn } from './multi-run.js';
import type { Timed } from './pooled.js';
import { renderCalibration } from './report-calibration.js';
import { profileSentence } from './report-md.js';
import { LIMIT_SECONDS } from './result.js';

const n1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
const pct = (x: number) => `${(Math.round(x * 10_000) / 100).toFixed(2)} %`;
const cell = (t: StrategyColumn['service']) => (t ? `${n1(t.mean)} / ${n1(t.p99)} / ${n1(t.max)}` : '-');

function timedRow(name: string, t: Timed): string {
  return `| ${name} | ${t.n + t.notRecovered} | ${n1(t.mean)} | ${n1(t.sd)} | ${n1(t.p50)} | ${n1(t.p99)} | ${n1(t.max)} | ${pct(t.under600)} | ${t.notRecovered} |`;
}

export function renderMultiMarkdown(r: MultiResult, opts: { command: string }): string {
  const L: string[] = [];
  L.push(`# 3RC crash-injection bench: profile ${r.profile}, seeds ${r.seedList.join(', ')}, strategy ${r.strategies.join(' + ')}`, '');
  L.push('```sh', opts.command, '```', '');
  L.push(
    `${r.injectionsPerSeed} injections per seed, ${r.shards} shard(s) each, runs one after another; wall time ${r.wallSeconds} s. ` +
      `Cluster: ${String(r.config.hosts)} hosts + ${String(r.config.spares)} spares, ${String(r.config.vms)} VMs; ${profileSentence(r.config)}`,
    '',
  );
  L.push('## Goals', '', '| strategy | goal | measured | met |', '| --- | --- | --- | --- |');
  for (const g of r.goals) L.push(`| ${g.strategy} | ${g.goal} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`);
  L.push('');
  L.push('## Per seed', '', 'Service recovery of the classes judged on recovery time (seconds).', '');
  L.push(`| strategy | seed | injections | mean | p99 | max | under ${LIMIT_SECONDS} s | not recovered | VM on two hosts | actions on healthy | lost | harmful | wall (s) |`);
  L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of r.seeds) {
    const v = l.violations;
    L.push(`| ${l.strategy} | ${l.seed} | ${l.injections} | ${n1(l.mean)} | ${n1(l.p99)} | ${n1(l.max)} | ${l.under600Met ? pct(l.under600) : `**${pct(l.under600)}**`} | ${l.notRecovered} | ${v.vmOnTwoHosts} | ${v.actionsOnHealthy} | ${v.lostIncidents} | ${l.harmfulActions} | ${l.wallSeconds} |`);
  }
  L.push('');
  for (const strategy of r.strategies) {
    const p = r.pooled[strategy];
    if (!p) continue;
    L.push(`## Pooled over ${p.seeds} seeds: ${strategy}`, '');
    L.push('Every injection of every seed in one sample (seconds; n counts the never recovered too).', '');
    L.push(`| class | n | mean | sd | p50 | p99 | max | under ${LIMIT_SECONDS} s | not recovered |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of p.classes) L.push(timedRow(c.name, c.service));
    L.push(timedRow('**all** (recovery classes)', p.overall), '');
    if (p.handover.n + p.handover.notRecovered > 0) {
      L.push(
        'Classes that need a person in this profile (no host watchdog, BMC dead: nothing proves the host off) are judged on the ' +
          'hand-over; seconds until the controller asked a person:',
        '',
      );
      L.push(`| | n | mean | sd | p50 | p99 | max | under ${LIMIT_SECONDS} s | never asked |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      L.push(timedRow('hand-over to a person', p.handover), '');
    }
    const repaired = p.classes.filter((c) => c.repair);
    if (repaired.length > 0) {
      L.push('Host repair (until every host it broke is healthy again):', '');
      L.push(`| class | n | mean | sd | p50 | p99 | max | under ${LIMIT_SECONDS} s | never |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const c of repaired) L.push(timedRow(c.name, c.repair!));
      L.push('');
    }
  }
  if (r.strategies.length > 1) {
    L.push('## Ours beside the reference strategy', '');
    L.push(
      `Pooled mean / p99 / max in seconds, same seeds and same faults. The talk (${r.reference.source}) reported ${r.reference.nonDestructive.mean} s ` +
        `(sigma ${r.reference.nonDestructive.sd}) for overload / shutdown and ${r.reference.destructive.mean} s (sigma ${r.reference.destructive.sd}) for ` +
        '`rm /boot` + reboot; there the VMs waited for the host, so one number was both service recovery and host repair.',
      '',
    );
    const head = r.strategies.flatMap((s) => [`${s}: service`, `${s}: host repair`]);
    L.push(`| class | talk | ${head.join(' | ')} |`, `| --- | ---: | ${head.map(() => '---:').join(' | ')} |`);
    for (const row of r.comparison) {
      const cols = r.strategies.flatMap((s) => [cell(row.byStrategy[s]?.service ?? null), cell(row.byStrategy[s]?.repair ?? null)]);
      L.push(`| ${row.cls} | ${row.talk ?? '-'} | ${cols.join(' | ')} |`);
    }
    L.push('');
  }
  if (r.strategies.includes('reference')) {
    L.push('The reference strategy, and where it differs from the talk:', '');
    for (const note of r.referenceStrategyNotes) L.push(`- ${note}`);
    L.push('');
  }
  renderCalibration(L, r.calibration);
  return L.join('\n');
}

/** One stdout line per strategy. */
export function multiSummary(r: MultiResult): string {
  return r.strategies
    .map((s) => {
      const p = r.pooled[s]!;
      const o = p.overall;
      return (
        `bench: ${s}, profile ${r.profile}, ${p.seeds} seeds x ${r.injectionsPerSeed} injections: pooled mean ${o.mean} s, p99 ${o.p99} s, max ${o.max} s, ` +
        `${Math.round(o.under600 * 10_000) / 100} % under 600 s; 100 % on ${p.seedsUnder600} of ${p.seeds} seeds; ` +
        `violations ${p.violations.vmOnTwoHosts}/${p.violations.actionsOnHealthy}/${p.violations.lostIncidents} (two hosts/healthy/lost); ` +
        `harm ${p.harm.harmfulActions} harmful, ${p.harm.unneededVmRestarts} unneeded VM restarts\n`
      );
    })
    .join('');
}
