/**
 * Starting and stopping the servers under test inside the server namespace: the project's own
 * (server-child.ts in a Node child) and the reference peers (dnsmasq, in.tftpd). Each start waits
 * for readiness with a deadline; each stop is bounded and kills the process group if needed.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildSpec } from './server-child.js';
import type { BenchNet } from '../../test/lab/netns/netns.js';

const CHILD = fileURLToPath(new URL('./server-child.js', import.meta.url)).replace(/\.js$/, '.ts');

export interface Running {
  pid: number | undefined;
  /** Stats the server reports (ours only). */
  stats(): Promise<Record<string, unknown>>;
  /** Stops; for ours returns the final stats. */
  stop(): Promise<Record<string, unknown>>;
  /** Seconds of CPU (user + system, with reaped children) the server used so far, from /proc. */
  cpuSeconds(): number;
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds (0 when gone). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return parseProcStatCpu(stat);
  } catch {
    return 0;
  }
}

/**
 * Fields 14-17 (utime, stime, cutime, cstime: the process and its reaped children, e.g. in.tftpd's
 * per-transfer forks) in clock ticks (100 Hz on Linux) -> seconds.
 */
export function parseProcStatCpu(stat: string): number {
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14 -> index 11, then stime, cutime, cstime.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks / 100 : 0;
}

function waitLine(c: ChildProcess, lines: Array<Record<string, unknown>>, pred: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const found = lines.find(pred);
    if (found) return resolve(found);
    const t = setTimeout(() => done(undefined), ms);
    let finished = false;
    const onLine = () => {
      const f = lines.find(pred);
      if (f) done(f);
    };
    // readline has parsed the chunk by the next turn of the loop
    const onData = () => setImmediate(onLine);
    const onExit = () => done(lines.find(pred));
    const done = (v: Record<string, unknown> | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(t);
      c.stdout?.off('data', onData);
      c.off('exit', onExit);
      resolve(v);
    };
    c.stdout?.on('data', onData);
    c.once('exit', onExit);
  });
}

/** The project's server (mode per spec) in the server namespace. */
export async function startOurs(net: BenchNet, spec: ChildSpec, dir: string): Promise<Running & { ports: Record<string, number> }> {
  const specFile = join(dir, `child-${spec.mode}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  // PXE_BENCH_NODE_ARGS: extra node flags for our server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const extra = (process.env['PXE_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const c = net.spawn(net.serverNs, process.execPath, [...extra, '--import', 'tsx', CHILD, specFile]);
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  createInterface({ input: c.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* not ours */
    }
  });
  const ready = await waitLine(c, lines, (l) => l['event'] === 'ready' || l['event'] === 'error', 30_000);
  if (!ready || ready['event'] !== 'ready') {
    await net.kill(c, 'SIGKILL');
    throw new Error(`our ${spec.mode} server did not start: ${JSON.stringify(ready)} ${stderr.trim()}`);
  }
  const pid = c.pid;
  let n = 0;
  return {
    pid,
    ports: ready['ports'] as Record<string, number>,
    cpuSeconds: () => cpuSecondsOf(pid),
    stats: async () => {
      const k = ++n;
      const from = lines.length;
      c.stdin?.write(`${JSON.stringify({ cmd: 'stats', k })}\n`);
      const s = await waitLine(c, lines, (l) => lines.indexOf(l) >= from && l['event'] === 'stats', 10_000);
      return s ?? {};
    },
    stop: async () => {
      const from = lines.length;
      c.stdin?.write(`${JSON.stringify({ cmd: 'stop' })}\n`);
      const s = await waitLine(c, lines, (l) => lines.indexOf(l) >= from && l['event'] === 'stats' && l['final'] === true, 15_000);
      await net.kill(c, 'SIGTERM', 5000);
      return s ?? {};
    },
  };
}

/** A reference peer program (dnsmasq, in.tftpd) in the server namespace. */
export async function startPeer(net: BenchNet, file: string, args: string[], readyCheck: () => Promise<boolean>): Promise<Running> {
  const c = net.spawn(net.serverNs, file, args);
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  c.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const deadline = Date.now() + 15_000;
  while (!(await readyCheck())) {
    if (c.exitCode !== null || Date.now() > deadline) {
      await net.kill(c, 'SIGKILL');
      throw new Error(`${file} did not start: ${out.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = c.pid;
  return {
    pid,
    cpuSeconds: () => cpuSecondsOf(pid),
    stats: async () => ({}),
    stop: async () => {
      await net.kill(c, 'SIGTERM', 3000);
      return {};
    },
  };
}

/** True when something in `ns` listens on UDP `port` (ss from iproute2). */
export async function udpListening(net: BenchNet, ns: string, port: number): Promise<boolean> {
  const r = await net.exec(ns, 'ss', ['-H', '-u', '-l', '-n', `sport = :${port}`], 5000);
  return r.code === 0 && r.stdout.trim().length > 0;
}

/**
 * The receive queue (bytes) of the UDP socket listening on `port` in `ns`, as the kernel reports
 * it (`ss -m`: skmem rb); the largest when several sockets listen there; undefined when none.
 */
export async function udpRecvQueue(net: BenchNet, ns: string, port: number): Promise<number | undefined> {
  const r = await net.exec(ns, 'ss', ['-H', '-u', '-l', '-n', '-m', `sport = :${port}`], 5000);
  return r.code === 0 ? parseSkmemRb(r.stdout) : undefined;
}

/** Largest `rb<n>` in `ss -m` output (skmem:(r0,rb212992,t0,...)); undefined when none. */
export function parseSkmemRb(ssOutput: string): number | undefined {
  const all = [...ssOutput.matchAll(/\brb(\d+)\b/g)].map((m) => Number(m[1]));
  return all.length ? Math.max(...all) : undefined;
}

/** UDP RcvbufErrors (datagrams the kernel dropped because a socket's receive queue was full) of `ns`. */
export async function udpRcvbufErrors(net: BenchNet, ns: string): Promise<number | undefined> {
  const r = await net.exec(ns, 'cat', ['/proc/net/snmp'], 5000);
  return r.code === 0 ? parseUdpRcvbufErrors(r.stdout) : undefined;
}

/** RcvbufErrors from /proc/net/snmp's two `Udp:` lines (header, values); undefined when absent. */
export function parseUdpRcvbufErrors(snmp: string): number | undefined {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  const i = head.indexOf('RcvbufErrors');
  const v = i >= 0 ? Number(vals[i]) : Number.NaN;
  return Number.isFinite(v) ? v : undefined;
}
