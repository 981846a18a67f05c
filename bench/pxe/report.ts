/**
 * The PXE benchmark's result: per-run measurements, the summary across runs (medians of the
 * numbers, medians of the per-run ratios: each ratio pairs two servers measured in the same run)
 * and the Markdown report. Pure functions, pinned by test/unit/bench-pxe/report.test.ts.
 */
import type { DhcpServerKind, DhcpServerResult } from './dhcp-bench.js';
import type { StormResult } from './storm.js';
import type { TftpResult } from './tftp-bench.js';
import { median, ratio, round, spread, type Spread } from './stats.js';
import { DEFAULT_MAX_TRANSFERS } from '../../src/drivers/pxe/tftp-server.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  kernel: string;
  node: string;
  tools: Record<string, string>;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

export interface RunResult {
  run: number;
  /** Server order used in this run (alternated between runs). */
  order: string;
  dhcp: DhcpServerResult[];
  tftp: TftpResult[];
  storm?: StormResult;
}

export interface DhcpSummary {
  clients: number;
  leasesPerSec: Record<DhcpServerKind, Spread>;
  /** ours / reference per run, then the median. */
  ratioVsRange: Spread;
  ratioVsStatic: Spread;
  latencyAvgMs: Record<DhcpServerKind, { do: number; ra: number }>;
  latencyMaxMs: Record<DhcpServerKind, { do: number; ra: number }>;
  latencyRate: number;
  /** Ours at least the faster dnsmasq configuration (median ratio >= 1 against both). */
  goalMet: boolean;
  /** The same ratios for 3RC on the kernel's default receive queue (dnsmasq's setting). */
  kernelQueue: { ratioVsRange: Spread; ratioVsStatic: Spread; goalMet: boolean };
  /** Each server's listen-socket receive queue as the kernel reported it (median over runs, bytes). */
  recvQueueBytes: Record<DhcpServerKind, number>;
  unknownMacs: number;
}

export interface TftpSummary {
  client: string;
  clients: number;
  fileMiB: number;
  seconds: Record<'ours' | 'tftpd-hpa', Spread>;
  mibPerSec: Record<'ours' | 'tftpd-hpa', Spread>;
  ratio: Spread;
  failed: number;
  goalMet: boolean;
}

export interface StormSummary {
  hosts: number;
  seconds: Spread;
  hostP95Seconds: Spread;
  droppedLeases: number;
  failedTransfers: number;
  dhcpRetransmits: number;
  goalMet: boolean;
}

export interface BenchReport {
  schema: 'rrc-pxe-bench/1';
  date: string;
  command: string;
  machine: Machine;
  config: Record<string, unknown>;
  runs: RunResult[];
  summary: { dhcp: DhcpSummary[]; tftp?: TftpSummary; storm?: StormSummary };
  /** One extra storm with startBootServices' default TFTP bound (not part of the goal). */
  stormServiceDefault?: StormResult;
  commands: string[];
  notes: string[];
}

const KINDS: DhcpServerKind[] = ['ours', 'ours-kernel-queue', 'dnsmasq-range', 'dnsmasq-static'];

/** How each DHCP server is set up, for the report (the settings the comparison rests on). */
export const DHCP_SETTINGS: Record<DhcpServerKind, string> = {
  ours: "3RC DhcpServer as shipped: listen socket asks for a 4 MiB receive queue (recvBufferBytes; Linux caps the request at net.core.rmem_max and doubles it); static table of the perfdhcp MACs; per-MAC rate bound off (perfdhcp reuses each MAC dozens of times a second)",
  'ours-kernel-queue': "the same server with recvBufferBytes: null: the kernel's default receive queue (net.core.rmem_default), the queue dnsmasq gets",
  'dnsmasq-range': 'dnsmasq defaults (kernel receive queue, no per-MAC bound), --dhcp-range of twice the client count, --dhcp-lease-max above it, --no-ping, --quiet-dhcp, --leasefile-ro',
  'dnsmasq-static': 'dnsmasq defaults, the same static table as 3RC (--dhcp-hostsfile, --dhcp-range=...,static), --no-ping, --quiet-dhcp, --leasefile-ro',
};

export function summarize(runs: readonly RunResult[]): BenchReport['summary'] {
  const clientsSet = [...new Set(runs.flatMap((r) => r.dhcp.map((d) => d.clients)))].sort((a, b) => a - b);
  const dhcp: DhcpSummary[] = clientsSet.map((clients) => {
    const of = (k: DhcpServerKind) => runs.map((r) => r.dhcp.find((d) => d.clients === clients && d.server === k));
    const leases = Object.fromEntries(KINDS.map((k) => [k, spread(of(k).map((d) => d?.leasesPerSec ?? Number.NaN), 1)])) as Record<DhcpServerKind, Spread>;
    const perRun = (ref: DhcpServerKind, ours: DhcpServerKind = 'ours') =>
      spread(runs.map((r) => {
        const o = r.dhcp.find((d) => d.clients === clients && d.server === ours);
        const x = r.dhcp.find((d) => d.clients === clients && d.server === ref);
        return o && x ? ratio(o.leasesPerSec, x.leasesPerSec) : Number.NaN;
      }));
    const lat = (k: DhcpServerKind, f: 'doAvgMs' | 'raAvgMs' | 'doMaxMs' | 'raMaxMs') => round(median(of(k).map((d) => d?.latency[f] ?? Number.NaN)), 3);
    const ratioVsRange = perRun('dnsmasq-range');
    const ratioVsStatic = perRun('dnsmasq-static');
    const kqRange = perRun('dnsmasq-range', 'ours-kernel-queue');
    const kqStatic = perRun('dnsmasq-static', 'ours-kernel-queue');
    return {
      clients,
      leasesPerSec: leases,
      ratioVsRange,
      ratioVsStatic,
      latencyAvgMs: Object.fromEntries(KINDS.map((k) => [k, { do: lat(k, 'doAvgMs'), ra: lat(k, 'raAvgMs') }])) as DhcpSummary['latencyAvgMs'],
      latencyMaxMs: Object.fromEntries(KINDS.map((k) => [k, { do: lat(k, 'doMaxMs'), ra: lat(k, 'raMaxMs') }])) as DhcpSummary['latencyMaxMs'],
      latencyRate: of('ours').find(Boolean)?.latency.rate ?? 0,
      goalMet: ratioVsRange.median >= 1 && ratioVsStatic.median >= 1,
      kernelQueue: { ratioVsRange: kqRange, ratioVsStatic: kqStatic, goalMet: kqRange.median >= 1 && kqStatic.median >= 1 },
      recvQueueBytes: Object.fromEntries(KINDS.map((k) => [k, median(of(k).map((d) => d?.recvQueueBytes ?? Number.NaN))])) as DhcpSummary['recvQueueBytes'],
      unknownMacs: [...of('ours'), ...of('ours-kernel-queue')].reduce((n, d) => n + Number(d?.serverStats?.['unknownMac'] ?? 0), 0),
    };
  });

  let tftp: TftpSummary | undefined;
  const tOurs = runs.map((r) => r.tftp.find((t) => t.server === 'ours'));
  const tRef = runs.map((r) => r.tftp.find((t) => t.server === 'tftpd-hpa'));
  const anyT = tOurs.find(Boolean) ?? tRef.find(Boolean);
  if (anyT) {
    const r = spread(runs.map((_, i) => (tOurs[i] && tRef[i] ? ratio(tOurs[i]!.mibPerSec, tRef[i]!.mibPerSec) : Number.NaN)));
    const failed = [...tOurs, ...tRef].reduce((n, t) => n + (t?.failed ?? 0), 0);
    tftp = {
      client: anyT.client,
      clients: anyT.clients,
      fileMiB: round(anyT.fileBytes / (1 << 20), 1),
      seconds: { ours: spread(tOurs.map((t) => t?.seconds ?? Number.NaN)), 'tftpd-hpa': spread(tRef.map((t) => t?.seconds ?? Number.NaN)) },
      mibPerSec: { ours: spread(tOurs.map((t) => t?.mibPerSec ?? Number.NaN), 1), 'tftpd-hpa': spread(tRef.map((t) => t?.mibPerSec ?? Number.NaN), 1) },
      ratio: r,
      failed,
      goalMet: r.median >= 1 && tOurs.every((t) => !t || t.failed === 0),
    };
  }

  let storm: StormSummary | undefined;
  const storms = runs.map((r) => r.storm).filter((s): s is StormResult => s !== undefined);
  if (storms.length) {
    const dropped = storms.reduce((n, s) => n + s.droppedLeases, 0);
    const failed = storms.reduce((n, s) => n + s.failedTransfers, 0);
    storm = {
      hosts: storms[0]!.hosts,
      seconds: spread(storms.map((s) => s.seconds)),
      hostP95Seconds: spread(storms.map((s) => s.hostSeconds.p95)),
      droppedLeases: dropped,
      failedTransfers: failed,
      dhcpRetransmits: storms.reduce((n, s) => n + s.dhcpRetransmits, 0),
      goalMet: dropped === 0 && failed === 0 && storms.every((s) => s.completed === s.hosts),
    };
  }
  return { dhcp, tftp, storm };
}

const yes = (b: boolean) => (b ? 'yes' : '**no**');
const fmt = (s: Spread, unit = '') => `${s.median}${unit} (${s.min}-${s.max})`;

/** `rate->ACK/s (loss %)`, with every attempt's loss when a failing step was run again. */
function stepText(x: DhcpServerResult['steps'][number]): string {
  const tries = (x.tries ?? []).length > 1 ? `; tries ${x.tries.join(' / ')} %` : '';
  return `${x.rate}->${x.acksPerSec} (${x.lossPct} %${tries})`;
}

export function renderMarkdown(r: BenchReport): string {
  const L: string[] = [];
  const s = r.summary;
  L.push('# PXE boot services benchmark (issues 4 and 10)', '');
  L.push(`Written by \`${r.command}\` on ${r.date}. Medians of ${r.runs.length} run(s); (min-max) across runs.`);
  L.push('Ratios are 3RC / reference, computed per run (both servers measured in the same run, same namespaces) and then the median taken.', '');
  L.push('## Summary', '');
  L.push('| Measure | 3RC | Reference | Ratio | Goal | Met |', '|---|---|---|---|---|---|');
  for (const d of s.dhcp) {
    const rows: Array<[string, DhcpServerKind, Spread, Spread]> = [
      ['4 MiB queue (shipped)', 'ours', d.ratioVsRange, d.ratioVsStatic],
      ["kernel's default queue", 'ours-kernel-queue', d.kernelQueue.ratioVsRange, d.kernelQueue.ratioVsStatic],
    ];
    for (const [label, k, vsRange, vsStatic] of rows) {
      if (!Number.isFinite(d.leasesPerSec[k].median)) continue;
      L.push(`| DHCP leases/s, ${d.clients} clients, 3RC ${label} | ${fmt(d.leasesPerSec[k])} | dnsmasq --dhcp-range (pool 2x clients): ${fmt(d.leasesPerSec['dnsmasq-range'])} | ${fmt(vsRange)} | >= 1 | ${yes(vsRange.median >= 1)} |`);
      L.push(`| DHCP leases/s, ${d.clients} clients, 3RC ${label} | ${fmt(d.leasesPerSec[k])} | dnsmasq static hosts: ${fmt(d.leasesPerSec['dnsmasq-static'])} | ${fmt(vsStatic)} | >= 1 | ${yes(vsStatic.median >= 1)} |`);
    }
  }
  if (s.tftp) {
    const t = s.tftp;
    L.push(`| TFTP ${t.clients} clients x ${t.fileMiB} MiB, MiB/s | ${fmt(t.mibPerSec.ours)} | tftpd-hpa: ${fmt(t.mibPerSec['tftpd-hpa'])} | ${fmt(t.ratio)} | >= 1 | ${yes(t.goalMet)} |`);
    L.push(`| TFTP ${t.clients} clients x ${t.fileMiB} MiB, seconds | ${fmt(t.seconds.ours)} | tftpd-hpa: ${fmt(t.seconds['tftpd-hpa'])} | | | |`);
  }
  if (s.storm) {
    const st = s.storm;
    L.push(`| PXE storm, ${st.hosts} hosts at once: completion s | ${fmt(st.seconds)} | | | 0 dropped leases, 0 failed transfers | ${yes(st.goalMet)} |`);
    L.push(`| PXE storm: dropped leases / failed transfers (all runs) | ${st.droppedLeases} / ${st.failedTransfers} | | | 0 / 0 | ${yes(st.droppedLeases === 0 && st.failedTransfers === 0)} |`);
  }
  L.push('');

  if (s.dhcp.length) {
    L.push('## DHCP', '');
    L.push('perfdhcp full DORA exchanges (a BIOS PXE vendor class and arch in every message) from the client namespace; one server at a time in the server namespace.');
    const retries = (r.config['dhcp'] as { retries?: number } | undefined)?.retries ?? 0;
    const retried = retries > 0 ? `; a step that loses more than 1 % is run ${retries === 1 ? 'once more' : `up to ${retries} more times`}, for every server alike, and the better attempt counts` : '';
    L.push(`Leases/s = ACKs per second at the highest offered rate where at most 1 % of the started exchanges did not end in an ACK (rate search: doubling, then bisection${retried}).`);
    L.push('', "Each server's settings (the receive queue is the kernel's own figure for the listen socket, `ss -m` skmem rb, while the server ran):", '');
    L.push('| Server | Settings | Receive queue (bytes) |', '|---|---|---|');
    for (const k of KINDS) {
      const q = s.dhcp.map((d) => d.recvQueueBytes?.[k]).find((x) => x !== undefined && Number.isFinite(x));
      L.push(`| ${k} | ${DHCP_SETTINGS[k]} | ${q ?? 'n/a'} |`);
    }
    L.push('');
    L.push('| Clients | Server | Leases/s | DISCOVER-OFFER avg / max ms | REQUEST-ACK avg / max ms |', '|---|---|---|---|---|');
    for (const d of s.dhcp) {
      for (const k of KINDS) {
        if (!Number.isFinite(d.leasesPerSec[k].median)) continue;
        L.push(`| ${d.clients} | ${k} | ${fmt(d.leasesPerSec[k])} | ${d.latencyAvgMs[k].do} / ${d.latencyMaxMs[k].do} | ${d.latencyAvgMs[k].ra} / ${d.latencyMaxMs[k].ra} |`);
      }
    }
    L.push('', ...dhcpVerdict(r), '');
    L.push(`Latency columns: perfdhcp's delays at a fixed ${s.dhcp[0]?.latencyRate ?? '?'} exchanges/s (medians of the runs' averages and maxima). Requests from MACs missing in 3RC's table: ${s.dhcp.reduce((n, d) => n + d.unknownMacs, 0)}.`, '');
    L.push('Rate search steps per run (offered/s -> ACK/s, loss %):', '');
    for (const run of r.runs) {
      for (const d of run.dhcp) {
        const drops = d.rcvbufErrors ? `; full-queue drops server ${d.rcvbufErrors.server ?? '?'} / client ${d.rcvbufErrors.client ?? '?'}` : '';
        L.push(`- run ${run.run}, ${d.clients} clients, ${d.server}: ${d.steps.map(stepText).join(', ')}; server CPU ${d.serverCpuSeconds} s${drops}`);
      }
    }
    L.push('');
  }

  if (s.tftp) {
    L.push('## TFTP', '');
    L.push(`${s.tftp.clients} concurrent clients (${s.tftp.client}) fetch the same ${s.tftp.fileMiB} MiB file; time from the first client's start to the last client's exit; every copy checked by size and SHA-256.`);
    L.push("3RC's server thread takes the requests and runs each transfer in one of its worker threads (\"worker threads\" below); tftpd-hpa forks a process per transfer.", '');
    L.push('| Run | Server | Seconds | MiB/s | Failed | Client p50 / p95 / max s | Server CPU s | Server counters |', '|---|---|---|---|---|---|---|---|');
    for (const run of r.runs) {
      for (const t of run.tftp) {
        L.push(`| ${run.run} | ${t.server} | ${t.seconds} | ${t.mibPerSec} | ${t.failed} | ${t.clientSeconds.p50} / ${t.clientSeconds.p95} / ${t.clientSeconds.max} | ${t.serverCpuSeconds ?? 'n/a'} | ${t.serverStats ? `completed ${t.serverStats['completed']}, retransmits ${t.serverStats['retransmits']}, duplicate RRQs ${t.serverStats['duplicates']}${t.serverStats['workers'] !== undefined ? `, worker threads ${t.serverStats['workers']}` : ''}` : ''} |`);
      }
    }
    L.push('');
  }

  if (s.storm) {
    L.push('## PXE storm', '');
    L.push(`${s.storm.hosts} hosts, each its own network namespace and MAC on a bridge, released at once through a FIFO; each does DHCP as a BIOS PXE ROM (busybox udhcpc), TFTP of undionly.kpxe (busybox tftp, blksize 1432), DHCP as iPXE (user class "iPXE"), HTTP GET of its iPXE script (busybox wget), against startBootServices (DHCP + TFTP + HTTP in one process, info-level logging to a file).`, '');
    L.push('| Run | Completed | Seconds | Host p50 / p95 / max s | Dropped leases | Failed transfers | DHCP retransmits | ACKs | TFTP done / refused | Scripts | Hosts with dhcp+tftp+http milestones | TFTP bound |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const run of r.runs) {
      const st = run.storm;
      if (!st) continue;
      L.push(`| ${run.run} | ${st.completed}/${st.hosts} | ${st.seconds} | ${st.hostSeconds.p50} / ${st.hostSeconds.p95} / ${st.hostSeconds.max} | ${st.droppedLeases} | ${st.failedTransfers} | ${st.dhcpRetransmits} | ${st.server.dhcp['acks']} | ${st.server.tftp['completed']} / ${JSON.stringify(st.server.tftp['refused'] ?? {})} | ${st.server.http['scripts']} | ${st.server.hostsWithAllMilestones} | ${st.tftpMaxTransfers} |`);
      if (st.failures.length) L.push('', `Run ${run.run} failures: ${st.failures.slice(0, 5).join('; ')}`, '');
    }
    L.push('');
  }
  const sd = r.stormServiceDefault;
  if (sd) {
    L.push('### The same storm with the service default TFTP bound', '');
    L.push(`One extra run with \`tftp.maxTransfers\` left at startBootServices' default (${DEFAULT_MAX_TRANSFERS}) instead of ${s.storm ? r.runs.find((x) => x.storm)?.storm?.tftpMaxTransfers : '?'}: ${sd.completed}/${sd.hosts} hosts completed in ${sd.seconds} s, ${sd.droppedLeases} dropped leases, ${sd.failedTransfers} failed transfers; TFTP refusals ${JSON.stringify(sd.server.tftp['refused'] ?? {})}.${sd.failedTransfers > 0 ? ' Hosts refused with "server busy" fail their boot: a deployment that expects a storm of this size has to raise the bound.' : ''}`, '');
  }

  const m = r.machine;
  L.push('## Machine', '');
  L.push(`- ${m.nproc} CPUs (${m.cpuModel}), kernel ${m.kernel}, Node ${m.node}`);
  L.push(`- ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push(`- load average at start ${m.loadAvgStart.join(' ')}${m.loadAvgEnd ? `, at end ${m.loadAvgEnd.join(' ')}` : ''} (shared machine: other work ran at the same time)`, '');
  L.push('## Commands', '', '```', r.command, ...r.commands, '```', '');
  if (r.notes.length) L.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return `${L.join('\n')}\n`;
}

/**
 * One sentence per client count comparing 3RC on the kernel's default queue with the faster
 * dnsmasq setup, with the full-queue drops counted at the server: the honest headline row.
 */
export function dhcpVerdict(r: BenchReport): string[] {
  const out: string[] = [];
  for (const d of r.summary.dhcp) {
    const kq = d.kernelQueue;
    if (!Number.isFinite(kq.ratioVsRange.median) && !Number.isFinite(kq.ratioVsStatic.median)) continue;
    const worst = Math.min(kq.ratioVsRange.median, kq.ratioVsStatic.median);
    const drops = (k: DhcpServerKind) => r.runs.flatMap((run) => run.dhcp).filter((x) => x.clients === d.clients && x.server === k).reduce((n, x) => n + (x.rcvbufErrors?.server ?? 0), 0);
    const why = `full-queue drops at the server over all runs: 3RC 4 MiB ${drops('ours')}, 3RC kernel queue ${drops('ours-kernel-queue')}, dnsmasq range ${drops('dnsmasq-range')}, dnsmasq static ${drops('dnsmasq-static')}`;
    out.push(worst >= 1
      ? `- ${d.clients} clients: on the kernel's default queue too, 3RC is at least as fast as both dnsmasq setups (ratios ${kq.ratioVsRange.median} / ${kq.ratioVsStatic.median}); ${why}.`
      : `- ${d.clients} clients: **on the kernel's default queue 3RC is slower than dnsmasq** (ratios ${kq.ratioVsRange.median} vs range, ${kq.ratioVsStatic.median} vs static); ${why}.`);
  }
  return out;
}
