/**
 * TFTP: N concurrent clients in the client namespace fetch one large file from one server at a
 * time in the server namespace: the project's TftpServer and tftpd-hpa (`in.tftpd -L -s`), same
 * file, same client program. Time = first client started -> last client exited; throughput =
 * bytes delivered / time. Every copy is checked (size and SHA-256): tftp-hpa exits 0 even on a
 * server error, so the exit code alone proves nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchNet } from '../../test/lab/netns/netns.js';
import { NET } from '../../test/lab/netns/netns.js';
import { startOurs, startPeer, udpListening, type Running } from './servers.js';
import { percentile, round } from './stats.js';

export type TftpServerKind = 'ours' | 'tftpd-hpa';
export type TftpClientKind = 'tftp-hpa' | 'busybox';

export interface TftpConfig {
  clients: number;
  fileMiB: number;
  client: TftpClientKind;
  /** busybox only: the blksize option it asks for. */
  blksize: number;
  /** 3RC's transfer worker threads (undefined: its default, one per core). */
  workers?: number;
  timeoutS: number;
}

export interface TftpResult {
  server: TftpServerKind;
  client: string;
  clients: number;
  fileBytes: number;
  seconds: number;
  mibPerSec: number;
  ok: number;
  failed: number;
  failures: string[];
  clientSeconds: { p50: number; p95: number; max: number };
  /** Ours only: in.tftpd serves each transfer in a forked child whose CPU time /proc does not show. */
  serverCpuSeconds?: number;
  serverStats?: Record<string, unknown>;
  commands: string[];
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

/** The served folder (world-readable: in.tftpd drops privileges) and the file's digest. */
export async function prepareTftpRoot(dir: string, fileMiB: number): Promise<{ root: string; name: string; bytes: number; sha: string }> {
  const root = join(dir, 'tftp-root');
  mkdirSync(root, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  const name = `big-${fileMiB}m.bin`;
  const bytes = fileMiB * 1024 * 1024;
  const path = join(root, name);
  if (!existsSync(path) || statSync(path).size !== bytes) {
    const chunk = 1 << 20;
    const parts: Buffer[] = [];
    for (let i = 0; i < fileMiB; i++) parts.push(randomBytes(chunk));
    writeFileSync(path, Buffer.concat(parts), { mode: 0o644 });
  }
  return { root, name, bytes, sha: await sha256File(path) };
}

export function tftpClientArgs(kind: TftpClientKind, server: string, name: string, dest: string, blksize: number): [string, string[]] {
  if (kind === 'tftp-hpa') return ['tftp', ['-m', 'binary', server, '69', '-c', 'get', name, dest]];
  return ['busybox', ['tftp', '-g', '-b', String(blksize), '-r', name, '-l', dest, server, '69']];
}

async function startTftp(net: BenchNet, kind: TftpServerKind, root: string, cfg: TftpConfig, dir: string): Promise<{ srv: Running; cmd: string }> {
  if (kind === 'ours') {
    const maxTransfers = Math.max(64, cfg.clients + 8);
    // Every client runs in the one client namespace, so they share one source address: the
    // per-source bound (8 by default, against one host hogging the server) would refuse 42 of 50.
    const srv = await startOurs(net, { mode: 'tftp', address: NET.server, netmask: NET.netmask, logLevel: 'warn', logFile: join(dir, 'ours-tftp.log'), maxSeconds: 3600, tftpRoot: root, tftpMaxTransfers: maxTransfers, tftpMaxPerSource: maxTransfers, tftpWorkers: cfg.workers }, dir);
    return { srv, cmd: `ip netns exec <server-ns> node --import tsx bench/pxe/server-child.ts <spec: mode tftp, root, maxTransfers ${maxTransfers}, maxPerSource ${maxTransfers}>` };
  }
  const args = ['-L', '-s', '-u', 'root', '-a', `${NET.server}:69`, root];
  const srv = await startPeer(net, 'in.tftpd', args, () => udpListening(net, net.serverNs, 69));
  return { srv, cmd: `ip netns exec <server-ns> in.tftpd ${args.join(' ')}` };
}

export async function runTftpServer(
  net: BenchNet,
  kind: TftpServerKind,
  cfg: TftpConfig,
  file: { root: string; name: string; bytes: number; sha: string },
  dir: string,
  outBase: string,
  log: (s: string) => void,
): Promise<TftpResult> {
  const { srv, cmd } = await startTftp(net, kind, file.root, cfg, dir);
  const out = join(outBase, `tftp-out-${kind}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const [prog, sample] = tftpClientArgs(cfg.client, net.serverIp, file.name, '<out>/c<i>', cfg.blksize);
  const commands = [cmd, `ip netns exec <client-ns> ${prog} ${sample.join(' ')}   (x${cfg.clients}, all at once)`];
  const cpu0 = srv.cpuSeconds();
  try {
    const t0 = performance.now();
    const ends: number[] = [];
    const codes: Array<number | null> = [];
    await Promise.all(
      Array.from({ length: cfg.clients }, (_, i) => {
        const [p, args] = tftpClientArgs(cfg.client, net.serverIp, file.name, join(out, `c${i}`), cfg.blksize);
        return net.exec(net.clientNs, p, args, cfg.timeoutS * 1000).then((r) => {
          ends[i] = (performance.now() - t0) / 1000;
          codes[i] = r.code;
          if (r.timedOut) codes[i] = -1;
        });
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = srv.cpuSeconds() - cpu0;
    const serverStats = kind === 'ours' ? ((await srv.stats())['tftp'] as Record<string, unknown> | undefined) : undefined;
    const failures: string[] = [];
    for (let i = 0; i < cfg.clients; i++) {
      const dest = join(out, `c${i}`);
      const size = existsSync(dest) ? statSync(dest).size : -1;
      if (codes[i] !== 0) failures.push(`client ${i}: exit ${codes[i] === -1 ? 'timeout' : codes[i]}`);
      else if (size !== file.bytes) failures.push(`client ${i}: ${size} bytes, want ${file.bytes}`);
      else if ((await sha256File(dest)) !== file.sha) failures.push(`client ${i}: content differs`);
      rmSync(dest, { force: true });
    }
    const ok = cfg.clients - failures.length;
    const result: TftpResult = {
      server: kind,
      client: cfg.client === 'busybox' ? `busybox tftp -b ${cfg.blksize}` : 'tftp-hpa (512-byte blocks)',
      clients: cfg.clients,
      fileBytes: file.bytes,
      seconds: round(seconds, 2),
      mibPerSec: round((ok * file.bytes) / (1 << 20) / seconds, 1),
      ok,
      failed: failures.length,
      failures: failures.slice(0, 10),
      clientSeconds: { p50: round(percentile(ends, 50), 2), p95: round(percentile(ends, 95), 2), max: round(Math.max(...ends), 2) },
      serverCpuSeconds: kind === 'ours' ? round(cpu, 2) : undefined,
      serverStats: serverStats
        ? {
            completed: serverStats['completed'], failed: serverStats['failed'], retransmits: serverStats['retransmits'], duplicates: serverStats['duplicates'],
            refused: serverStats['refused'], droppedTotal: serverStats['droppedTotal'], workers: serverStats['workers'], workerDeaths: serverStats['workerDeaths'],
          }
        : undefined,
      commands,
    };
    log(`    ${kind}: ${cfg.clients} x ${cfg.fileMiB} MiB in ${result.seconds} s = ${result.mibPerSec} MiB/s, ${result.failed} failed, server CPU ${result.serverCpuSeconds ?? 'n/a'} s`);
    return result;
  } finally {
    await srv.stop();
    rmSync(out, { recursive: true, force: true });
  }
}
