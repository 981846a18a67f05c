/**
 * The PXE storm: N simulated hosts reinstall at once against the project's boot services
 * (startBootServices: DHCP + TFTP + HTTP in one process, as the controller runs them).
 *
 * Each host is its own network namespace with its own MAC on a veth plugged into a bridge that
 * also holds the link to the server, so it broadcasts and receives like a machine on a switch.
 * Its steps are the ones a BIOS machine booting iPXE takes, with real client programs:
 *   1. DHCP as the PXE ROM (busybox udhcpc: raw socket from 0.0.0.0, vendor class PXEClient,
 *      arch 0) -> address, next-server, undionly.kpxe
 *   2. TFTP of undionly.kpxe (busybox tftp, blksize 1432 like PXE ROMs negotiate)
 *   3. DHCP again as iPXE (user class "iPXE") -> the URL of its script
 *   4. HTTP GET of that script (busybox wget)
 * All hosts wait on one FIFO and start when the bench closes it. Checked per host afterwards:
 * the address is its static one, the binary is byte-identical, the script is its own; and on
 * the server: ACK and transfer counts, refusals, and each host's milestones dhcp/tftp/http.
 */
import { readFileSync, writeFileSync, chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { open, constants } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NET, type BenchNet, type StormHost } from '../../test/lab/netns/netns.js';
import { ipAdd, perfdhcpMacs } from './perfdhcp.js';
import { startOurs } from './servers.js';
import { percentile, round } from './stats.js';

export const UNDIONLY = '/usr/lib/ipxe/undionly.kpxe';

export interface StormConfig {
  hosts: number;
  baseMac: string;
  firstIp: string;
  /** TFTP concurrent-transfer bound given to the boot services; undefined = the service default. */
  tftpMaxTransfers?: number;
  deadlineS: number;
}

export interface StormResult {
  hosts: number;
  completed: number;
  /** Hosts that did not get their lease (either DHCP step) or got a wrong address. */
  droppedLeases: number;
  /** TFTP or HTTP fetches that failed or delivered wrong content. */
  failedTransfers: number;
  failures: string[];
  seconds: number;
  hostSeconds: { p50: number; p95: number; max: number };
  /** DHCP client messages beyond the 4 per host two DORAs need: retransmissions (0 = none). */
  dhcpRetransmits: number;
  server: { dhcp: Record<string, unknown>; tftp: Record<string, unknown>; http: Record<string, unknown>; hostsWithAllMilestones: number };
  tftpMaxTransfers: number | 'default';
  serverCpuSeconds: number;
}

export function stormHostName(i: number): string {
  return `storm-${String(i).padStart(3, '0')}`;
}

export function stormMacs(cfg: Pick<StormConfig, 'baseMac' | 'hosts'>): string[] {
  return perfdhcpMacs(cfg.baseMac, cfg.hosts);
}

const HOST_SCRIPT = `#!/bin/sh
# One simulated host of the PXE storm: storm-host.sh <out-prefix> <go-fifo> <udhcpc-script>
out=$1; go=$2; hook=$3
ip addr flush dev eth0 2>/dev/null
echo ready
read _ < "$go"
LEASE_FILE="$out.lease1" timeout 30 busybox udhcpc -i eth0 -n -q -f -t 5 -T 3 -s "$hook" \\
  -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 > "$out.log" 2>&1 || { echo "fail dhcp-pxe"; exit 10; }
. "$out.lease1"
timeout 60 busybox tftp -g -b 1432 -r "$bootfile" -l "$out.kpxe" "$siaddr" 69 >> "$out.log" 2>&1 || { echo "fail tftp"; exit 11; }
LEASE_FILE="$out.lease2" timeout 30 busybox udhcpc -i eth0 -n -q -f -t 5 -T 3 -s "$hook" \\
  -x 0x4d:69505845 -x 0x5d:0000 >> "$out.log" 2>&1 || { echo "fail dhcp-ipxe"; exit 12; }
. "$out.lease2"
timeout 30 busybox wget -q -O "$out.ipxe" "$bootfile" >> "$out.log" 2>&1 || { echo "fail http"; exit 13; }
echo ok
`;

const UDHCPC_HOOK = `#!/bin/sh
# udhcpc event hook of the storm hosts: configure the address, record the lease for the host script.
case "$1" in
  bound|renew)
    ip addr replace "$ip/\${mask:-$subnet}" dev "$interface"
    printf "ip='%s'\\nsiaddr='%s'\\nbootfile='%s'\\nserverid='%s'\\n" "$ip" "$siaddr" "$bootfile" "$serverid" > "$LEASE_FILE"
    ;;
esac
exit 0
`;

function readLease(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(\w+)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export async function runStorm(net: BenchNet, hosts: readonly StormHost[], cfg: StormConfig, dir: string, log: (s: string) => void): Promise<StormResult> {
  const work = join(dir, 'storm');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const files = join(work, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'vmlinuz'), 'kernel');
  writeFileSync(join(files, 'initrd.img'), 'initrd');
  const hostScript = join(work, 'storm-host.sh');
  const hook = join(work, 'storm-udhcpc.sh');
  writeFileSync(hostScript, HOST_SCRIPT);
  writeFileSync(hook, UDHCPC_HOOK);
  chmodSync(hostScript, 0o755);
  chmodSync(hook, 0o755);
  const go = join(work, 'go');
  execFileSync('mkfifo', [go]);
  const undionly = readFileSync(UNDIONLY);
  const table = hosts.map((h) => ({ name: stormHostName(h.index), mac: h.mac, ip: ipAdd(cfg.firstIp, h.index) }));

  const srv = await startOurs(
    net,
    { mode: 'boot', address: NET.server, netmask: NET.netmask, logLevel: 'info', logFile: join(work, 'boot-services.log'), maxSeconds: 3600, hosts: table, filesRoot: files, tftpMaxTransfers: cfg.tftpMaxTransfers },
    work,
  );
  const cpu0 = srv.cpuSeconds();
  const ready = new Set<number>();
  const exits: Array<{ code: number | null; at: number; last: string }> = [];
  let t0 = 0;
  try {
    const procs = hosts.map((h) => {
      const c = net.spawn(h.ns, 'sh', [hostScript, join(work, `h${h.index}`), go, hook]);
      let last = '';
      createInterface({ input: c.stdout! }).on('line', (l) => {
        if (l === 'ready') ready.add(h.index);
        else last = l;
      });
      const done = new Promise<void>((res) => {
        c.once('close', (code) => {
          exits[h.index] = { code, at: performance.now(), last };
          res();
        });
      });
      return { c, done };
    });
    const readyBy = Date.now() + 60_000;
    while (ready.size < hosts.length && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 50));
    if (ready.size < hosts.length) throw new Error(`only ${ready.size} of ${hosts.length} storm hosts got ready`);
    await new Promise((r) => setTimeout(r, 300)); // every host is now blocked opening the FIFO
    const w = await open(go, constants.O_WRONLY | constants.O_NONBLOCK);
    t0 = performance.now();
    await w.close(); // EOF for every reader: all hosts start now
    log(`    storm: ${hosts.length} hosts released`);
    const deadline = new Promise<void>((r) => setTimeout(r, cfg.deadlineS * 1000).unref());
    await Promise.race([Promise.all(procs.map((p) => p.done)), deadline]);
    for (const p of procs) if (p.c.exitCode === null && p.c.signalCode === null) await net.kill(p.c, 'SIGKILL', 1000);
  } catch (e) {
    await srv.stop();
    throw e;
  }
  const tEnd = Math.max(...exits.filter(Boolean).map((e) => e.at));
  const cpu = srv.cpuSeconds() - cpu0;
  const final = await srv.stop();

  let droppedLeases = 0;
  let failedTransfers = 0;
  const failures: string[] = [];
  const durations: number[] = [];
  for (const h of hosts) {
    const name = stormHostName(h.index);
    const want = table[h.index]!;
    const pre = join(work, `h${h.index}`);
    const e = exits[h.index];
    if (e) durations.push((e.at - t0) / 1000);
    const l1 = readLease(`${pre}.lease1`);
    const l2 = readLease(`${pre}.lease2`);
    const problems: string[] = [];
    let leaseBad = false;
    if (l1['ip'] !== want.ip) leaseBad = true;
    if (l1['ip'] === want.ip && (l2['ip'] ?? '') !== want.ip && (e?.last ?? '') !== 'fail tftp') leaseBad = true;
    if (leaseBad) problems.push(`lease ${l1['ip'] ?? '-'} / ${l2['ip'] ?? '-'} want ${want.ip}`);
    const kpxe = existsSync(`${pre}.kpxe`) ? readFileSync(`${pre}.kpxe`) : undefined;
    const tftpBad = l1['ip'] === want.ip && !(kpxe && kpxe.equals(undionly));
    if (tftpBad) problems.push(`tftp ${kpxe ? `${kpxe.length} bytes, differs` : 'no file'}`);
    const script = existsSync(`${pre}.ipxe`) ? readFileSync(`${pre}.ipxe`, 'utf8') : '';
    const httpBad = l2['ip'] === want.ip && !(script.startsWith('#!ipxe') && script.includes(`/ks/${name}.cfg`));
    if (httpBad) problems.push(`http script ${script ? 'wrong' : 'missing'}`);
    if (leaseBad) droppedLeases++;
    if (tftpBad) failedTransfers++;
    if (httpBad) failedTransfers++;
    if (!e || e.code !== 0 || e.last !== 'ok') problems.push(`exit ${e?.code ?? 'killed'} ${e?.last ?? ''}`.trim());
    if (problems.length) failures.push(`${name}: ${problems.join('; ')}`);
  }
  // A host killed before any lease file counts as a dropped lease even if nothing else was seen.
  const dhcp = (final['dhcp'] ?? {}) as Record<string, unknown>;
  const tftp = (final['tftp'] ?? {}) as Record<string, unknown>;
  const http = (final['http'] ?? {}) as Record<string, unknown>;
  const milestones = (final['milestones'] ?? {}) as Record<string, string[]>;
  const withAll = table.filter((h) => ['dhcp', 'tftp', 'http'].every((m) => milestones[h.name]?.includes(m))).length;
  const completed = hosts.filter((h) => exits[h.index]?.code === 0 && exits[h.index]?.last === 'ok').length;
  const result: StormResult = {
    hosts: hosts.length,
    completed,
    droppedLeases,
    failedTransfers,
    failures: failures.slice(0, 20),
    seconds: round((tEnd - t0) / 1000, 2),
    hostSeconds: { p50: round(percentile(durations, 50), 2), p95: round(percentile(durations, 95), 2), max: round(Math.max(...durations), 2) },
    dhcpRetransmits: Math.max(0, Number(dhcp['received'] ?? 0) - 4 * hosts.length),
    server: {
      dhcp: pick(dhcp, ['received', 'offers', 'acks', 'naks', 'unknownMac', 'droppedTotal', 'sendErrors']),
      tftp: pick(tftp, ['requests', 'completed', 'failed', 'retransmits', 'duplicates', 'refused', 'droppedTotal']),
      http: pick(http, ['scripts', 'notFound', 'renderErrors']),
      hostsWithAllMilestones: withAll,
    },
    tftpMaxTransfers: cfg.tftpMaxTransfers ?? 'default',
    serverCpuSeconds: round(cpu, 2),
  };
  log(`    storm: ${completed}/${hosts.length} hosts done in ${result.seconds} s; dropped leases ${droppedLeases}, failed transfers ${failedTransfers}, DHCP retransmits ${result.dhcpRetransmits}`);
  if (failures.length) log(`    storm failures (first ${Math.min(5, failures.length)}): ${failures.slice(0, 5).join(' | ')}`);
  if (process.env['PXE_BENCH_KEEP'] !== '1') rmSync(work, { recursive: true, force: true });
  else log(`    storm work folder kept: ${work}`);
  return result;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
