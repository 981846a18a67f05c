/**
 * DHCP: perfdhcp full DORA exchanges from the client namespace against one server at a time in
 * the server namespace: the project's DhcpServer (a static table holding every MAC perfdhcp will
 * use, see perfdhcp.ts) twice, with its shipped 4 MiB receive queue (`ours`) and with the
 * kernel's default queue (`ours-kernel-queue`, the setting dnsmasq runs with), dnsmasq with a
 * dynamic `--dhcp-range` twice as large as the client count (a pool exactly as large made dnsmasq
 * NAK under load: an artefact of the setup, not of dnsmasq), and dnsmasq with the same static
 * table (`--dhcp-hostsfile`), the like-for-like configuration. dnsmasq keeps its defaults.
 * Each server's effective receive queue is read from the kernel (`ss -m`) and reported.
 *
 * perfdhcp's messages carry a BIOS PXE vendor class and arch (options 60, 93), so every server
 * answers as to a PXE ROM: next-server and undionly.kpxe (dnsmasq: --dhcp-boot).
 *
 * Per server: a warm-up, a latency run at a fixed low rate, then a rate search (nextRate in
 * stats.ts): a step passes when at least (100 - maxLossPct) % of the exchanges perfdhcp started
 * end with an ACK. Leases/s = ACKs received / period at the highest passing step.
 *
 * A failing step is run again up to `retries` times (every server alike) and the best attempt
 * counts: on this shared 2-core machine another process taking a core for a moment loses
 * packets at the client or the server whatever the server under test is, while a rate a server
 * cannot sustain fails every attempt. Every attempt's loss is kept in the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NET, type BenchNet } from '../../test/lab/netns/netns.js';
import { ipAdd, parsePerfdhcp, perfdhcpArgs, perfdhcpMacs, PXE_BIOS_OPTIONS, type PerfdhcpReport } from './perfdhcp.js';
import { startOurs, startPeer, udpListening, udpRcvbufErrors, udpRecvQueue, type Running } from './servers.js';
import { nextRate, round } from './stats.js';

export type DhcpServerKind = 'ours' | 'ours-kernel-queue' | 'dnsmasq-range' | 'dnsmasq-static';
export const DHCP_SERVERS: readonly DhcpServerKind[] = ['ours', 'ours-kernel-queue', 'dnsmasq-range', 'dnsmasq-static'];
/** 3RC's DHCP server in either receive-queue setting. */
export const isOurs = (k: DhcpServerKind): k is 'ours' | 'ours-kernel-queue' => k === 'ours' || k === 'ours-kernel-queue';
/** dnsmasq-range's pool is this many times the client count (>= 2: no pool-exhaustion NAKs). */
export const RANGE_POOL_FACTOR = 2;

export interface DhcpConfig {
  clients: number;
  baseMac: string;
  poolStart: string;
  stepSeconds: number;
  latencyRate: number;
  latencySeconds: number;
  search: { start: number; max: number; min: number; refine: number };
  maxLossPct: number;
  /** Extra attempts of a failing step (the best attempt counts). */
  retries: number;
}

export interface DhcpStep {
  rate: number;
  pass: boolean;
  discoversSent: number;
  offers: number;
  acks: number;
  acksPerSec: number;
  lossPct: number;
  perfdhcpRate?: number;
  doAvgMs?: number;
  raAvgMs?: number;
  /** Loss % of every attempt at this rate, in order (one entry when the first attempt passed). */
  tries: number[];
}

export interface DhcpServerResult {
  server: DhcpServerKind;
  clients: number;
  /** ACKs/s at the highest passing step (0 if none passed). */
  leasesPerSec: number;
  maxPassingRate: number;
  peakAcksPerSec: number;
  latency: { rate: number; doMinMs?: number; doAvgMs?: number; doMaxMs?: number; raMinMs?: number; raAvgMs?: number; raMaxMs?: number; lossPct: number };
  steps: DhcpStep[];
  serverCpuSeconds: number;
  /** The listen socket's receive queue as the kernel reports it (`ss -m`, skmem rb), bytes. */
  recvQueueBytes?: number;
  /**
   * Datagrams the kernel dropped at a full socket queue during this server's run (UDP
   * RcvbufErrors of the namespace): at the server (its listen socket) and at the client (perfdhcp).
   */
  rcvbufErrors?: { server?: number; client?: number };
  /** Ours only: the server's own counters after the run (unknownMac must be 0). */
  serverStats?: Record<string, unknown>;
  commands: string[];
}

export function dnsmasqArgs(kind: 'dnsmasq-range' | 'dnsmasq-static', c: { clients: number; poolStart: string; dir: string; iface: string }): string[] {
  const common = [
    '--no-daemon', '--conf-file=/dev/null', '--port=0', '--dhcp-authoritative', '--leasefile-ro', '--no-ping', '--quiet-dhcp',
    `--interface=${c.iface}`, `--dhcp-lease-max=${c.clients * RANGE_POOL_FACTOR + 100}`, `--pid-file=${join(c.dir, 'dnsmasq.pid')}`,
    `--log-facility=${join(c.dir, 'dnsmasq.log')}`, '--user=root', `--dhcp-boot=undionly.kpxe,,${NET.server}`,
  ];
  const last = ipAdd(c.poolStart, c.clients * RANGE_POOL_FACTOR - 1);
  if (kind === 'dnsmasq-range') return [...common, `--dhcp-range=${c.poolStart},${last},${NET.netmask},1h`];
  return [...common, `--dhcp-range=${c.poolStart},static,${NET.netmask},1h`, `--dhcp-hostsfile=${join(c.dir, 'dnsmasq-hosts.txt')}`];
}

function lossPct(r: PerfdhcpReport): number {
  const started = r.do?.sent ?? 0;
  const acked = r.ra?.received ?? 0;
  return started > 0 ? (100 * (started - acked)) / started : 100;
}

async function perfdhcp(net: BenchNet, cfg: DhcpConfig, rate: number, seconds: number, log: (s: string) => void): Promise<{ report: PerfdhcpReport; cmd: string }> {
  const args = perfdhcpArgs({ rate, seconds, clients: cfg.clients, baseMac: cfg.baseMac, iface: net.bridge, server: net.serverIp, options: PXE_BIOS_OPTIONS });
  const r = await net.exec(net.clientNs, 'perfdhcp', args, (seconds + 20) * 1000);
  const report = parsePerfdhcp(r.stdout);
  if (!report.do) log(`    perfdhcp printed no statistics (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(-400)}`);
  return { report, cmd: `ip netns exec <client-ns> perfdhcp ${args.join(' ')}` };
}

async function startDhcp(net: BenchNet, kind: DhcpServerKind, cfg: DhcpConfig, dir: string): Promise<{ srv: Running; cmd: string }> {
  const macs = perfdhcpMacs(cfg.baseMac, cfg.clients);
  if (isOurs(kind)) {
    const hosts = macs.map((mac, i) => ({ name: `pd${i}`, mac, ip: ipAdd(cfg.poolStart, i) }));
    const kernelQueue = kind === 'ours-kernel-queue';
    const spec = { mode: 'dhcp' as const, address: net.serverIp, netmask: NET.netmask, logLevel: 'warn', logFile: join(dir, 'ours-dhcp.log'), maxSeconds: 3600, hosts, kernelRecvQueue: kernelQueue };
    const srv = await startOurs(net, spec, dir);
    return { srv, cmd: `ip netns exec <server-ns> node --import tsx bench/pxe/server-child.ts <spec: mode dhcp, ${cfg.clients} static hosts, receive queue ${kernelQueue ? "kernel default" : '4 MiB (shipped)'}>` };
  }
  writeFileSync(join(dir, 'dnsmasq-hosts.txt'), macs.map((m, i) => `${m},${ipAdd(cfg.poolStart, i)}\n`).join(''));
  const args = dnsmasqArgs(kind, { clients: cfg.clients, poolStart: cfg.poolStart, dir, iface: net.serverIf });
  const srv = await startPeer(net, 'dnsmasq', args, () => udpListening(net, net.serverNs, 67));
  return { srv, cmd: `ip netns exec <server-ns> dnsmasq ${args.join(' ')}` };
}

export async function runDhcpServer(net: BenchNet, kind: DhcpServerKind, cfg: DhcpConfig, dir: string, log: (s: string) => void): Promise<DhcpServerResult> {
  const { srv, cmd } = await startDhcp(net, kind, cfg, dir);
  const commands = [cmd];
  const cpu0 = srv.cpuSeconds();
  const recvQueueBytes = await udpRecvQueue(net, net.serverNs, 67);
  log(`    ${kind}: receive queue ${recvQueueBytes ?? '?'} bytes (ss -m)`);
  const errs0 = { server: await udpRcvbufErrors(net, net.serverNs), client: await udpRcvbufErrors(net, net.clientNs) };
  let serverStats: Record<string, unknown> | undefined;
  try {
    await perfdhcp(net, cfg, 100, 2, log); // warm-up: ARP, JIT, lease tables
    const lat = await perfdhcp(net, cfg, cfg.latencyRate, cfg.latencySeconds, log);
    commands.push(lat.cmd);
    const l = lat.report;
    const latency = {
      rate: cfg.latencyRate,
      doMinMs: l.do?.minDelayMs, doAvgMs: l.do?.avgDelayMs, doMaxMs: l.do?.maxDelayMs,
      raMinMs: l.ra?.minDelayMs, raAvgMs: l.ra?.avgDelayMs, raMaxMs: l.ra?.maxDelayMs,
      lossPct: round(lossPct(l), 3),
    };
    log(`    ${kind}: latency at ${cfg.latencyRate}/s: DO avg ${l.do?.avgDelayMs} ms, RA avg ${l.ra?.avgDelayMs} ms, loss ${latency.lossPct} %`);
    const steps: DhcpStep[] = [];
    for (let guard = 0; guard < 16; guard++) {
      const rate = nextRate(steps, cfg.search);
      if (rate === undefined) break;
      let step: DhcpStep | undefined;
      const tries: number[] = [];
      for (let attempt = 0; attempt <= cfg.retries && !step?.pass; attempt++) {
        await new Promise((r) => setTimeout(r, 1000)); // let queues drain between steps
        const { report, cmd: stepCmd } = await perfdhcp(net, cfg, rate, cfg.stepSeconds, log);
        if (steps.length === 0 && attempt === 0) commands.push(stepCmd.replace(/-r \d+/, '-r <rate>'));
        const loss = lossPct(report);
        tries.push(round(loss, 3));
        const t: DhcpStep = {
          rate,
          pass: loss <= cfg.maxLossPct,
          discoversSent: report.do?.sent ?? 0,
          offers: report.do?.received ?? 0,
          acks: report.ra?.received ?? 0,
          acksPerSec: round((report.ra?.received ?? 0) / cfg.stepSeconds, 1),
          lossPct: round(loss, 3),
          perfdhcpRate: report.rate,
          doAvgMs: report.do?.avgDelayMs,
          raAvgMs: report.ra?.avgDelayMs,
          tries,
        };
        if (!step || t.lossPct < step.lossPct) step = t;
        log(`    ${kind}: ${rate}/s offered -> ${t.acksPerSec} ACK/s, loss ${t.lossPct} % ${t.pass ? 'pass' : 'FAIL'}${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}`);
      }
      steps.push(step!);
    }
    const passing = steps.filter((s) => s.pass);
    const best = passing.length ? passing.reduce((a, b) => (b.rate > a.rate ? b : a)) : undefined;
    if (isOurs(kind)) serverStats = await srv.stats();
    const errs1 = { server: await udpRcvbufErrors(net, net.serverNs), client: await udpRcvbufErrors(net, net.clientNs) };
    const delta = (a?: number, b?: number) => (a !== undefined && b !== undefined ? b - a : undefined);
    const rcvbufErrors = { server: delta(errs0.server, errs1.server), client: delta(errs0.client, errs1.client) };
    return {
      server: kind,
      clients: cfg.clients,
      leasesPerSec: best?.acksPerSec ?? 0,
      maxPassingRate: best?.rate ?? 0,
      peakAcksPerSec: Math.max(0, ...steps.map((s) => s.acksPerSec)),
      latency,
      steps,
      serverCpuSeconds: round(srv.cpuSeconds() - cpu0, 2),
      recvQueueBytes,
      rcvbufErrors,
      serverStats: serverStats ? pickDhcpStats(serverStats) : undefined,
      commands,
    };
  } finally {
    await srv.stop();
  }
}

function pickDhcpStats(s: Record<string, unknown>): Record<string, unknown> {
  const d = (s['dhcp'] ?? {}) as Record<string, unknown>;
  const keep = ['received', 'offers', 'acks', 'naks', 'unknownMac', 'ignored', 'sendErrors', 'droppedTotal', 'rateLimited'];
  return Object.fromEntries(keep.map((k) => [k, d[k]]));
}
