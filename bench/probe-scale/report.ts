/** The probe-scale result and its Markdown (pure; pinned by test/unit/bench-pxe/probe-scale.test.ts). */
import type { CostSample } from './cost.js';
import { blendedCpuMs, fleetCost, type FleetCost } from './extrapolate.js';

/** Row names the before / after comparison is computed from. */
export const ROWS = {
  bmc: 'ipmitool chassis power status',
  ssh: 'ssh command (true)',
  before: 'host probe, BMC read every probe (before)',
  after: 'host probe, healthy host, BMC "on" reused (after, measured between reads)',
  failing: 'host probe, hypervisor down (BMC read at every probe)',
  vm: 'vm probe (libvirt + guest tcp + tcp service)',
} as const;

export interface ProbeScaleInput {
  date: string;
  command: string;
  machine: { nproc: number; cpuModel: string; kernel: string; node: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  config: { n: number; concurrency: number; hosts: number; intervalSeconds: number; vmsPerHost?: number };
  samples: CostSample[];
  /** The BMC-read design the run compares: refresh period and the row names. */
  design?: { refreshMs: number; rows: typeof ROWS };
}

export interface DesignComparison {
  refreshMs: number;
  /** BMC status reads per host probe in the steady state (interval / refresh, at most 1). */
  bmcReadsPerProbe: number;
  beforeCpuMs: number;
  /** Measured probe between reads + the share of probes that read the BMC. */
  afterCpuMs: number;
  before: FleetCost;
  after: FleetCost;
  /** Share of the before probe's CPU that was the BMC read (ipmitool and its spawn). */
  bmcShareBefore: number;
  /** Share of the after probe's CPU that is the SSH check (the next lever). */
  sshShareAfter: number;
  /** The fleet's VMs (hosts x vmsPerHost) probed at the same interval, when a VM row was measured. */
  vms?: { count: number; cpuMs: number; cost: FleetCost };
}

export interface ProbeScaleReport extends ProbeScaleInput {
  schema: 'rrc-probe-scale/1';
  /** Per sample: the fleet cost if every host cost one such call per interval. */
  fleet: Array<{ name: string } & FleetCost>;
  comparison?: DesignComparison;
}

export function compareDesigns(input: ProbeScaleInput): DesignComparison | undefined {
  const d = input.design;
  if (!d) return undefined;
  const row = (name: string) => input.samples.find((s) => s.name === name);
  const [bmc, ssh, before, after] = [row(d.rows.bmc), row(d.rows.ssh), row(d.rows.before), row(d.rows.after)];
  if (!bmc || !ssh || !before || !after) return undefined;
  const { hosts, intervalSeconds } = input.config;
  const reads = Math.min(1, (intervalSeconds * 1000) / d.refreshMs);
  const afterCpu = blendedCpuMs(after.totalCpuMsPerCall, bmc.totalCpuMsPerCall, reads);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    refreshMs: d.refreshMs,
    bmcReadsPerProbe: r3(reads),
    beforeCpuMs: before.totalCpuMsPerCall,
    afterCpuMs: r3(afterCpu),
    before: fleetCost(before.totalCpuMsPerCall, before.latencyMs.p50, hosts, intervalSeconds),
    after: fleetCost(afterCpu, after.latencyMs.p50, hosts, intervalSeconds),
    bmcShareBefore: r3(Math.min(1, bmc.totalCpuMsPerCall / before.totalCpuMsPerCall)),
    sshShareAfter: r3(Math.min(1, ssh.totalCpuMsPerCall / afterCpu)),
    ...vmsOf(input, row(d.rows.vm)),
  };
}

function vmsOf(input: ProbeScaleInput, vm: CostSample | undefined): Pick<DesignComparison, 'vms'> {
  const per = input.config.vmsPerHost ?? 0;
  if (!vm || per <= 0) return {};
  const count = input.config.hosts * per;
  return { vms: { count, cpuMs: vm.totalCpuMsPerCall, cost: fleetCost(vm.totalCpuMsPerCall, vm.latencyMs.p50, count, input.config.intervalSeconds) } };
}

export function buildReport(input: ProbeScaleInput): ProbeScaleReport {
  const { hosts, intervalSeconds } = input.config;
  return {
    schema: 'rrc-probe-scale/1',
    ...input,
    fleet: input.samples.map((s) => ({ name: s.name, ...fleetCost(s.totalCpuMsPerCall, s.latencyMs.p50, hosts, intervalSeconds) })),
    comparison: compareDesigns(input),
  };
}

export function renderMarkdown(r: ProbeScaleReport): string {
  const { hosts, intervalSeconds, n, concurrency } = r.config;
  const L: string[] = [];
  L.push('# Probe cost at scale, real peers (issue 10)', '');
  L.push(`Written by \`${r.command}\` on ${r.date}. ${n} measured calls per row (after 5 warm-up calls), ${concurrency} in flight at once, against peers on 127.0.0.1 started by the run.`);
  L.push("CPU is the controller's: this process (process.cpuUsage, user + system) plus the ipmitool children it spawned and reaped (/proc/self/stat cutime + cstime). The peers' own CPU (ipmi_sim, sshd) is the BMC's and the host's, not counted.");
  L.push(`CPU per call is what extrapolates; the latencies include waiting for a core on this shared machine (load average ${r.machine.loadAvgStart[0]} at the start on ${r.machine.nproc} CPUs) and for the peers, which run on the same cores.`, '');
  L.push(`| Check | CPU ms/call (self + children) | Spawns/call | Latency p50 / p95 / max ms | Failed | Cores for ${hosts} hosts every ${intervalSeconds} s | Hosts per core |`);
  L.push('|---|---|---|---|---|---|---|');
  r.samples.forEach((s, i) => {
    const f = r.fleet[i]!;
    L.push(`| ${s.name} | ${s.totalCpuMsPerCall} (${s.selfCpuMsPerCall} + ${s.childCpuMsPerCall}) | ${s.spawnsPerCall} | ${s.latencyMs.p50} / ${s.latencyMs.p95} / ${s.latencyMs.max} | ${s.failures}/${s.n} | ${f.cores} | ${f.hostsPerCore} |`);
  });
  L.push('');
  const c = r.comparison;
  if (c) {
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    L.push(`## ${hosts} hosts, one probe every ${intervalSeconds} s: before and after`, '');
    L.push(`Before: every host probe reads the BMC (one ipmitool run: fork + exec + an RMCP+ session, ${pct(c.bmcShareBefore)} of the probe's CPU). After (shipped, \`PROBE_BMC_REFRESH_MS\` = ${c.refreshMs / 1000} s): a host that answers every in-band check (TCP, SSH, libvirt) has its BMC read once per ${c.refreshMs / 1000} s, i.e. ${c.bmcReadsPerProbe} reads per probe; any in-band failure reads it at once and at every probe after, so every observation the safety gate takes evidence from carries a fresh read.`, '');
    L.push('| Design | CPU ms per host probe | Cores for the fleet | Hosts per core at this interval | Probes in flight (p50 latency) |', '|---|---|---|---|---|');
    L.push(`| BMC read every probe (before) | ${c.beforeCpuMs} | ${c.before.cores} | ${c.before.hostsPerCore} | ${c.before.concurrencyNeeded} |`);
    L.push(`| BMC "on" reused for ${c.refreshMs / 1000} s while the host answers (after) | ${c.afterCpuMs} (measured ${r.samples.find((s) => s.name === ROWS.after)?.totalCpuMsPerCall} between reads + ${c.bmcReadsPerProbe} x ipmitool) | ${c.after.cores} | ${c.after.hostsPerCore} | ${c.after.concurrencyNeeded} |`);
    if (c.vms) L.push(`| and their ${c.vms.count} VMs (${r.config.vmsPerHost} per host), ${c.vms.cpuMs} ms per VM probe | | ${c.vms.cost.cores} | | |`);
    L.push('', `After the change the SSH check is ${pct(c.sshShareAfter)} of a host probe's CPU: ssh2 makes one connection (key exchange, authentication) per command. See bench/probe-scale/README.md for the next steps.`, '');
  }
  const failed = r.samples.filter((s) => s.failures > 0);
  if (failed.length) L.push('Failures:', '', ...failed.map((s) => `- ${s.name}: ${s.firstError ?? ''}`), '');
  const m = r.machine;
  L.push('## Machine', '', `- ${m.nproc} CPUs (${m.cpuModel}), kernel ${m.kernel}, Node ${m.node}`, `- load average at start ${m.loadAvgStart.join(' ')}, at end ${m.loadAvgEnd.join(' ')} (shared machine)`, '');
  return `${L.join('\n')}\n`;
}
