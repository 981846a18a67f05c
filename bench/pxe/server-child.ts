/**
 * Runs the project's boot services inside the benchmark's server namespace:
 *   ip netns exec <ns> node --import tsx bench/pxe/server-child.ts <ChildSpec json file>
 * Modes: `dhcp` (DhcpServer alone, for perfdhcp), `tftp` (TftpServer alone, for the 50-client
 * fetch), `boot` (startBootServices: DHCP + TFTP + HTTP, for the storm).
 * stdout: one JSON object per line: {event: 'ready', ports} | {event: 'stats', ...} |
 * {event: 'error', error}. stdin: {cmd: 'stats'} | {cmd: 'stop'}; stdin closing stops too, and a
 * hard lifetime bound (`maxSeconds`) ends the process whatever happens to the parent.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { DhcpServer } from '../../src/drivers/pxe/dhcp-server.js';
import { startBootServices, type BootMilestone, type BootServices } from '../../src/drivers/pxe/index.js';
import { TftpServer } from '../../src/drivers/pxe/tftp-server.js';
import { realClock } from '../../src/env/real/clock.js';
import { createLogger } from '../../src/service/logger.js';
import type { Logger } from '../../src/env/env.js';

export interface ChildSpec {
  mode: 'dhcp' | 'tftp' | 'boot';
  address: string;
  netmask: string;
  /** pino level and file (the service's logger); 'silent' for none. */
  logLevel: string;
  logFile: string;
  maxSeconds: number;
  /** dhcp: leave the listen socket's receive queue at the kernel's default instead of 4 MiB. */
  kernelRecvQueue?: boolean;
  /** dhcp / boot: the static host table. */
  hosts?: Array<{ name: string; mac: string; ip: string }>;
  /** tftp: served folder and bounds. */
  tftpRoot?: string;
  tftpMaxTransfers?: number;
  /** tftp: transfers one client address may hold (undefined: the server's default). */
  tftpMaxPerSource?: number;
  /** tftp: transfer worker threads (undefined: the server's default, one per core; 0: none). */
  tftpWorkers?: number;
  /** boot: files folder (kernel, initrd), TFTP bound (undefined: the service default). */
  filesRoot?: string;
}

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildSpec;
const dest = pino.destination({ dest: spec.logFile, sync: false, mkdir: true });
const log: Logger = createLogger({ level: spec.logLevel, clock: realClock, destination: dest, name: 'pxe-bench' });

let stopFn: () => Promise<void> = async () => undefined;
let statsFn: () => object = () => ({});
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  say({ event: 'stats', final: true, ...statsFn() });
  await stopFn().catch(() => undefined);
  try {
    dest.flushSync();
  } catch {
    /* not open yet: nothing written */
  }
  process.exit(code);
};
process.stdin.on('end', () => void stop());
setTimeout(() => void stop(2), spec.maxSeconds * 1000).unref();
process.on('SIGTERM', () => void stop());

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const c = JSON.parse(line) as { cmd: string };
    if (c.cmd === 'stats') say({ event: 'stats', ...statsFn() });
    if (c.cmd === 'stop') void stop();
  } catch (e) {
    say({ event: 'error', error: String(e) });
  }
});

async function main(): Promise<Record<string, number>> {
  if (spec.mode === 'dhcp') {
    const server = new DhcpServer({
      address: spec.address,
      bindAddress: '0.0.0.0',
      port: 67,
      netmask: spec.netmask,
      leaseSeconds: 3600,
      httpBase: `http://${spec.address}:8080`,
      hosts: (spec.hosts ?? []).map((h) => ({ mac: h.mac, ip: h.ip, hostname: h.name })),
      recvBufferBytes: spec.kernelRecvQueue === true ? null : undefined,
      // perfdhcp reuses each of its MACs dozens of times a second; dnsmasq has no per-MAC bound
      // either. The storm (startBootServices) keeps the shipped bound.
      perMacLimit: null,
      log,
      clock: realClock,
    });
    const port = await server.start();
    stopFn = () => server.stop();
    statsFn = () => ({ dhcp: server.stats() });
    return { dhcp: port };
  }
  if (spec.mode === 'tftp') {
    const server = new TftpServer({
      address: spec.address, port: 69, root: spec.tftpRoot, maxTransfers: spec.tftpMaxTransfers, maxPerSource: spec.tftpMaxPerSource, workers: spec.tftpWorkers, log, clock: realClock,
    });
    const port = await server.start();
    stopFn = () => server.stop();
    statsFn = () => ({ tftp: server.stats() });
    return { tftp: port };
  }
  const milestones = new Map<string, string[]>();
  const svc: BootServices = await startBootServices({
    address: spec.address,
    dhcpPort: 67,
    tftpPort: 69,
    httpPort: 8080,
    filesRoot: spec.filesRoot!,
    hosts: (spec.hosts ?? []).map((h) => ({ name: h.name, macs: [h.mac], ip: h.ip })),
    netmask: spec.netmask,
    tftp: spec.tftpMaxTransfers !== undefined ? { maxTransfers: spec.tftpMaxTransfers } : undefined,
    log,
    clock: realClock,
  });
  svc.events.on('milestone', (m: BootMilestone) => {
    const l = milestones.get(m.host) ?? [];
    l.push(m.name);
    milestones.set(m.host, l);
  });
  stopFn = async () => svc.stop();
  statsFn = () => ({ ...svc.stats(), milestones: Object.fromEntries(milestones) });
  return svc.ports;
}

main().then(
  (ports) => say({ event: 'ready', ports }),
  (e: unknown) => {
    say({ event: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    void stop(1);
  },
);
