/** The bench's Markdown report, written next to result.json from the same numbers. */
import { HARM_REASONS } from './harm.js';
import { renderCalibration } from './report-calibration.js';
import { LIMIT_SECONDS, REFERENCE, type BenchResult, type ClassResult } from './result.js';

const n1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
const pct = (x: number) => `${(Math.round(x * 10_000) / 100).toFixed(2)} %`;

function rungs(c: ClassResult): string {
  return Object.entries(c.rungsUsed)
    .sort((a, b) => b[1] - a[1])
    .map(([r, k]) => `${r} ${k}`)
    .join(', ');
}

function reasons(byReason: Record<string, number>): string {
  const parts = HARM_REASONS.filter((k) => (byReason[k] ?? 0) > 0).map((k) => `${k} ${byReason[k]}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

/** The class name with its criterion's mark: * no-harm, † needs a person in this profile. */
function marked(c: ClassResult): string {
  return c.criterion === 'no-harm' ? `${c.name} *` : c.criterion === 'person' ? `${c.name} †` : c.name;
}

/** Do no harm: what the controller broke that still served its users (bench/harm.ts). */
function renderHarm(L: string[], r: BenchResult): void {
  const h = r.harm;
  L.push('## Do no harm', '');
  L.push(
    'Judged from the users\' side (the world\'s `serving`, not the controller\'s view): a destructive action (rung table) on a host whose ' +
      'guests still served, on a host that served (only cut off from the controller), a reinstall of an intact installation, an action on a ' +
      'serving VM, a domain started while another copy served. Unneeded VM restarts: serving VMs such actions killed. User downtime: ' +
      'VM-seconds not serving. Goal: 0 harmful actions.',
    '',
  );
  L.push('| class | n | harmful actions | why | unneeded VM restarts | user downtime (VM-s) | per injection (s) | harmless | closed by itself |');
  L.push('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.classes) {
    const k = c.harm;
    const name = marked(c);
    L.push(`| ${name} | ${c.n} | ${k.harmfulActions} | ${reasons(k.byReason)} | ${k.unneededVmRestarts} | ${n1(k.userDownSeconds)} | ${n1(k.userDownPerInjection)} | ${k.harmless} | ${k.closedByItself} |`);
  }
  const u = h.unattributed;
  L.push(`| (no open injection) | | ${u.harmfulActions} | ${reasons(u.byReason)} | ${u.unneededVmRestarts} | ${n1(u.userDownSeconds)} | | | |`);
  L.push(`| **all** | ${r.injections} | ${h.harmfulActions} | ${reasons(h.byReason)} | ${h.unneededVmRestarts} | ${n1(h.userDownSeconds)} | | | |`);
  L.push('');
  if (h.examples.length > 0) {
    L.push('First harmful actions:', '', '| t (s) | why | target | action | injection (class) |', '| ---: | --- | --- | --- | --- |');
    const t0 = Date.UTC(2026, 0, 1);
    for (const e of h.examples) L.push(`| ${n1((e.at - t0) / 1000)} | ${e.reason} | ${e.target} | ${e.detail} | ${e.injection ?? '-'} (${e.cls ?? '-'}) |`);
    L.push('');
  }
}

/** The profile in one sentence: what the rack and the policy assume. */
export function profileSentence(cfg: Record<string, unknown>): string {
  const wd = cfg.watchdog as { kind: string; contact: string; resetAfterSeconds: number; leaseSeconds: number } | null | undefined;
  const fence = `policy.selfFenceAfterSeconds ${String(cfg.selfFenceAfterSeconds)} s`;
  const watchdog = !wd
    ? `no host watchdog (nothing declared; ${fence})`
    : `every host runs a ${wd.kind} watchdog (${wd.contact} contact; reset ${wd.resetAfterSeconds} s after losing it; declared lease ${wd.leaseSeconds} s; ${fence})`;
  return `profile \`${String(cfg.profile)}\`: ${watchdog}; ${String(cfg.bootProgress)}.`;
}

export function renderMarkdown(r: BenchResult, opts: { png: boolean; command: string; prefix: string }): string {
  const L: string[] = [];
  const cfg = r.config as Record<string, unknown>;
  L.push(`# 3RC crash-injection bench: ${r.injections} injections, seed ${r.seed}, profile ${String(cfg.profile)}, strategy ${String(cfg.strategy)}`, '');
  L.push(`Produced by the command below; every number here is in \`${opts.prefix}.json\` next to this file.`, '');
  L.push('```sh', opts.command, '```', '');
  L.push(
    `Cluster: ${cfg.hosts} hosts + ${cfg.spares} spares, ${cfg.vms} VMs; injections arrive every ${cfg.meanIntervalSeconds} s on average ` +
      `(exponential), ${Math.round(r.run.virtualSeconds! / 3600)} h of virtual time, wall time ${r.wallSeconds} s on this machine. ` +
      `Probes every ${cfg.probeIntervalSeconds} s; ${profileSentence(cfg)} ` +
      `simulated operator reaction ${cfg.operatorDelaySeconds} s.`,
    '',
  );
  L.push('## Goals', '', '| goal | measured | met |', '| --- | --- | --- |');
  for (const g of r.goals) L.push(`| ${g.goal} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`);
  L.push('');
  L.push('## Recovery time per class (seconds)', '');
  L.push(
    'From the injection to the moment every affected VM answers its probes again (service restored). The no-harm classes (marked *) ' +
      'are judged by the harm table below, not by this time (for them it is the cut itself); the classes marked † need a person in ' +
      'this profile (no evidence the controller may act on: see the hand-over table) and their time includes the simulated ' +
      "person's reaction; **all** leaves both out. Controller overhead: from the injection to the start of the domain that " +
      'restored the service (or to the request of the fixing action when no domain had to start): detection, hysteresis, holds, ' +
      'wasted rungs and waits inside actions (self-fence wait, power-off confirmation) included; the guest\'s own boot left out.',
    '',
  );
  L.push(`| class | n | mean | sd | p50 | p95 | p99 | max | under ${LIMIT_SECONDS} s | overhead p50 | overhead p99 | not recovered |`);
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.classes) {
    const name = marked(c);
    L.push(`| ${name} | ${c.n} | ${n1(c.mean)} | ${n1(c.sd)} | ${n1(c.p50)} | ${n1(c.p95)} | ${n1(c.p99)} | ${n1(c.max)} | ${pct(c.under600)} | ${n1(c.overhead.p50)} | ${n1(c.overhead.p99)} | ${c.notRecovered} |`);
  }
  const o = r.overall;
  L.push(`| **all** | ${o.n} | ${n1(o.mean)} | ${n1(o.sd)} | ${n1(o.p50)} | ${n1(o.p95)} | ${n1(o.p99)} | ${n1(o.max)} | ${pct(o.under600)} | ${n1(o.overheadStats.p50)} | ${n1(o.overheadStats.p99)} | ${o.notRecovered} |`);
  L.push('');
  const person = r.classes.filter((c) => c.criterion === 'person');
  if (person.length > 0) {
    L.push('## Hand-over to a person (†)', '');
    L.push(
      'Without a host watchdog nothing proves a host off when its BMC is dead too: starting its VMs elsewhere could run them twice, ' +
        'so the controller holds and asks a person (do no harm). Judged on the time until it asked, with nothing harmful done.',
      '',
    );
    L.push(`| class | n | handed over | p50 (s) | max (s) | under ${LIMIT_SECONDS} s | harmful actions |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of person) {
      const h = c.handover;
      L.push(`| ${c.name} | ${c.n} | ${h ? h.handedOver : 0} | ${h ? n1(h.p50) : '-'} | ${h ? n1(h.max) : '-'} | ${h ? pct(h.under600) : pct(0)} | ${c.harm.harmfulActions} |`);
    }
    L.push('');
  }
  L.push(
    `Reference (${REFERENCE.source}): non-destructive crashes (overload, shutdown) recovered in ${REFERENCE.nonDestructive.mean} s ` +
      `sigma ${REFERENCE.nonDestructive.sd} s over ${REFERENCE.nonDestructive.tests} tests; destructive crashes reinstalled in ` +
      `${REFERENCE.destructive.mean} s sigma ${REFERENCE.destructive.sd} s over ${REFERENCE.destructive.tests} tests. The reference restarted ` +
      'the host while its VMs waited; 3RC starts the VMs of a failed host on a spare first and repairs the host afterwards, so ' +
      'its service recovery is compared with 181 s and its host repair (below) with 542 s.',
    '',
  );
  L.push('## Host repair time (seconds)', '');
  L.push('From the injection until every host it hit is healthy again in the controller (repaired in the background after its VMs moved).', '');
  L.push(`| class | n | mean | sd | p50 | p95 | p99 | max | under ${LIMIT_SECONDS} s |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.classes) {
    if (!c.repair) continue;
    const p = c.repair;
    L.push(`| ${c.name} | ${p.n} | ${n1(p.mean)} | ${n1(p.sd)} | ${n1(p.p50)} | ${n1(p.p95)} | ${n1(p.p99)} | ${n1(p.max)} | ${pct(p.under600)} |`);
  }
  L.push('');
  L.push('## Rungs', '');
  L.push('Actions requested on the targets an injection touched while it was open (host and affected VMs); wasted: an action followed by another in the same incident (a host evacuation that worked is not wasted).', '');
  L.push('| class | rungs used | wasted | wasted per injection | operator actions | variants |', '| --- | --- | ---: | ---: | ---: | --- |');
  for (const c of r.classes) {
    const variants = Object.entries(c.variants).map(([k, v]) => `${k} ${v}`).join(', ');
    L.push(`| ${c.name} | ${rungs(c)} | ${c.wastedRungs} | ${c.wastedPerInjection} | ${c.operatorActions} | ${variants} |`);
  }
  L.push('');
  renderHarm(L, r);
  L.push('## Safety', '');
  const v = r.violations;
  const lost = r.violationDetails.lost;
  L.push(`| counter | value |`, '| --- | ---: |');
  L.push(`| VM running on two hosts | ${v.vmOnTwoHosts} |`);
  L.push(`| action requested on a target healthy in the world | ${v.actionsOnHealthy} |`);
  L.push(`| incidents lost or never closed | ${v.lostIncidents} (never recovered ${lost.notRecovered}, open at the end ${lost.openAtEnd.length}, missing in the store ${lost.missingInStore.length}) |`);
  L.push('');
  if (r.violationDetails.examples.length > 0) {
    L.push('First safety events:', '', '| t (s) | kind | target | detail | injection (class) |', '| ---: | --- | --- | --- | --- |');
    const t0 = Date.UTC(2026, 0, 1);
    for (const e of r.violationDetails.examples) {
      L.push(`| ${n1((e.at - t0) / 1000)} | ${e.kind} | ${e.target} | ${e.detail} | ${e.injection ?? '-'} (${e.cls ?? '-'}) |`);
    }
    L.push('');
  }
  renderCalibration(L, r.calibration);
  L.push('## Run', '', '| counter | value |', '| --- | ---: |');
  for (const [k, val] of Object.entries(r.run)) L.push(`| ${k} | ${val} |`);
  L.push('');
  L.push('## Figure', '');
  L.push(`![recovery time histograms](${opts.prefix}.${opts.png ? 'png' : 'svg'})`, '');
  L.push(`\`${opts.prefix}.svg\` (vector) and \`${opts.prefix}.png\`: bars are this bench, dashed curves the reference Gaussians scaled to each panel's n.`, '');
  return L.join('\n');
}
