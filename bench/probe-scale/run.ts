/**
 * Probe cost at scale, against real peers on 127.0.0.1 (issue 10):
 *   npx tsx bench/probe-scale/run.ts [--n 200] [--concurrency 4] [--json bench/results/probe-scale.json]
 * Measures each check the real prober runs (ipmitool against ipmi_sim, TCP connect, SSH command
 * against the test sshd, libvirt test:/// calls) and whole host probes, as CPU per call (this
 * process + the ipmitool children it reaped) and wall latency, then extrapolates to 10,000 hosts
 * at a 5 s probe interval. Writes JSON and Markdown (--md, default: --json with .md).
 */
import { cpus, loadavg, release } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { observeSpawns } from '../../src/drivers/exec.js';
import { tcpConnect } from '../../src/drivers/net-check.js';
import { RealProber } from '../../src/env/real/prober.js';
import { measure, type CostSample } from './cost.js';
import { startProbeLab } from './lab.js';
import { buildReport, renderMarkdown, ROWS, type ProbeScaleReport } from './report.js';
import { PROBE_BMC_REFRESH_MS } from '../../src/env/real/real-env.js';
import { runAsScript, writeReport } from '../script-io.js';

export const USAGE = `usage: npx tsx bench/probe-scale/run.ts [options]

  --n <n>             measured calls per check (default 200, at most 5000)
  --concurrency <n>   calls in flight at once (default 4)
  --hosts <n>         fleet size of the extrapolation (default 10000)
  --interval <s>      probe interval of the extrapolation (default 5)
  --vms-per-host <n>  VMs per host of the extrapolation (default 10)
  --json <file>       write the JSON result (and the Markdown next to it)
  --md <file>         Markdown path (default: --json with .md; stdout without either)
  -h, --help          this text`;

function int(name: string, v: string | undefined, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer in 1..${max}, not "${v}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string' }, concurrency: { type: 'string' }, hosts: { type: 'string' }, interval: { type: 'string' }, 'vms-per-host': { type: 'string' },
      json: { type: 'string' }, md: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const n = int('n', values.n, 200, 5000);
  const concurrency = int('concurrency', values.concurrency, 4, 256);
  const hosts = int('hosts', values.hosts, 10_000, 10_000_000);
  const interval = int('interval', values.interval, 5, 3600);
  const vmsPerHost = int('vms-per-host', values['vms-per-host'], 10, 1000);
  const log = (s: string) => console.error(s);
  let spawned = 0;
  const unobserve = observeSpawns(() => spawned++);
  const lab = await startProbeLab();
  const samples: CostSample[] = [];
  const loadStart = loadavg().map((x) => Math.round(x * 100) / 100);
  try {
    const base = { n, concurrency, warmup: 5, deadlineMs: 300_000, spawns: () => spawned };
    const run = async (name: string, call: (i: number) => Promise<unknown>, over: Partial<typeof base> = {}) => {
      const s = await measure({ ...base, ...over, name }, call);
      log(`${name}: ${s.totalCpuMsPerCall} ms CPU/call (self ${s.selfCpuMsPerCall}, children ${s.childCpuMsPerCall}), p50 ${s.latencyMs.p50} ms, ${s.failures} failed`);
      samples.push(s);
    };
    const { host, vm, power, libvirt, shell, sshd } = lab;
    await run('ipmitool chassis power status', () => power.status(host));
    await run('ipmitool sel elist', () => power.bootVerdict(host));
    await run('tcp connect', () => tcpConnect('127.0.0.1', sshd.port, 3000));
    await run('ssh command (true)', () => shell.run(host.ssh!, 'true', { timeoutMs: 5000 }));
    await run('libvirt ping (test:///)', () => libvirt.ping(host));
    await run('libvirt domain state (test:///)', () => libvirt.domainState(host, vm));
    const every = new RealProber({ power, hypervisor: libvirt, shell, bmcRefreshMs: null });
    await run(ROWS.before, () => every.probeHost(host));
    // The shipped design (createRealEnv): a healthy host's BMC "on" stands for PROBE_BMC_REFRESH_MS.
    const reuse = new RealProber({ power, hypervisor: libvirt, shell, bmcRefreshMs: PROBE_BMC_REFRESH_MS });
    await run(ROWS.after, () => reuse.probeHost(host));
    // An incident: the hypervisor does not answer, so the BMC is read at every probe.
    const broken = { ...host, hypervisorUri: 'test:///nonexistent/node.xml' };
    await run(ROWS.failing, () => reuse.probeHost(broken), { n: Math.min(n, 50) });
    await run(ROWS.vm, () => every.probeVm(vm, host));
  } finally {
    unobserve();
    await lab.stop();
  }
  const report: ProbeScaleReport = buildReport({
    date: new Date().toISOString(),
    command: `npx tsx bench/probe-scale/run.ts ${argv.join(' ')}`.trim(),
    machine: { nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', kernel: release(), node: process.version, loadAvgStart: loadStart, loadAvgEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    config: { n, concurrency, hosts, intervalSeconds: interval, vmsPerHost },
    samples,
    design: { refreshMs: PROBE_BMC_REFRESH_MS, rows: ROWS },
  });
  const jsonPath = values.json ? resolve(values.json) : undefined;
  const mdPath = values.md ? resolve(values.md) : jsonPath ? jsonPath.replace(/\.json$/, '.md') : undefined;
  writeReport(report, renderMarkdown(report), { ...(jsonPath ? { json: jsonPath } : {}), ...(mdPath ? { md: mdPath } : {}) }, log);
  return 0;
}

runAsScript(import.meta.url, main);
