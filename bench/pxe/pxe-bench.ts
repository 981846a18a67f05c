/**
 * Performance benchmark of the controller's own PXE boot services (issue 4):
 *   npx tsx bench/pxe/pxe-bench.ts [--runs 3] [--json bench/results/pxe.json]
 * DHCP against dnsmasq (perfdhcp), TFTP against tftpd-hpa (50 clients x 30 MiB) and a PXE storm
 * (200 hosts at once) against startBootServices, all inside network namespaces this process
 * creates and deletes (also on failure and Ctrl-C). Needs root and the Debian packages
 * kea-admin, dnsmasq-base, tftpd-hpa, tftp-hpa, busybox, iproute2, ipxe. See bench/pxe/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DHCP_SERVERS, runDhcpServer, type DhcpConfig, type DhcpServerKind } from './dhcp-bench.js';
import { BenchNet, installExitHandlers, NET } from '../../test/lab/netns/netns.js';
import { renderMarkdown, summarize, type BenchReport, type Machine, type RunResult } from './report.js';
import { runStorm, stormMacs, UNDIONLY, type StormConfig } from './storm.js';
import { DEFAULT_MAX_TRANSFERS } from '../../src/drivers/pxe/tftp-server.js';
import { runAsScript, writeReport } from '../script-io.js';
import { prepareTftpRoot, runTftpServer, type TftpClientKind, type TftpConfig, type TftpServerKind } from './tftp-bench.js';

export const USAGE = `usage: npx tsx bench/pxe/pxe-bench.ts [options]      (as root)

  --runs <n>                  repetitions of every phase (default 3); medians are reported
  --json <file>               write the JSON result; the Markdown report goes next to it (.md)
  --md <file>                 Markdown report path (default: --json with .md)
  --phases <list>             dhcp,tftp,storm (default all)
  --dhcp-clients <list>       perfdhcp -R values, one scenario each (default 256,4096)
  --dhcp-servers <list>       ours,ours-kernel-queue,dnsmasq-range,dnsmasq-static (default all;
                              ours-kernel-queue: 3RC on the kernel's default receive queue)
  --dhcp-step-seconds <s>     perfdhcp -p per rate step (default 5)
  --dhcp-latency-rate <n>     fixed rate of the latency run (default 200)
  --dhcp-retries <n>          extra attempts of a failing rate step, best attempt counts (default 1)
  --tftp-clients <n>          concurrent TFTP clients (default 50)
  --tftp-mib <n>              file size in MiB (default 30)
  --tftp-client <c>           tftp-hpa (512-byte blocks) | busybox (default tftp-hpa)
  --tftp-blksize <n>          busybox client blksize (default 1432)
  --tftp-servers <list>       ours,tftpd-hpa (default both)
  --tftp-workers <n>          3RC's TFTP worker threads (default: the server's own, one per core; 0: none)
  --storm-hosts <n>           simulated hosts (default 200)
  --storm-tftp-max <n|default> TFTP concurrent-transfer bound for the storm (default 256)
  --no-storm-default-check    skip the extra storm run with the service's default TFTP bound (run only
                              when that default differs from --storm-tftp-max)
  --quick                     small sizes for a smoke test (1 run, 64/256 clients, 5 x 4 MiB, 20 hosts)
  -h, --help                  this text`;

function list(v: string | undefined, fallback: string[]): string[] {
  return v === undefined ? fallback : v.split(',').map((x) => x.trim()).filter(Boolean);
}

function posInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not "${v}"`);
  return n;
}

function nonNegInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not "${v}"`);
  return n;
}

function toolVersion(cmd: string, args: string[], re: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    return re.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    return re.exec(out)?.[1] ?? 'unknown';
  }
}

function machine(): Machine {
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    tools: {
      perfdhcp: toolVersion('perfdhcp', ['-v'], /VERSION:\s*(\S+)/),
      dnsmasq: toolVersion('dnsmasq', ['--version'], /version\s+([\d.]+)/),
      'tftpd-hpa': toolVersion('in.tftpd', ['-V'], /tftp-hpa\s+([\d.]+)/),
      'tftp-hpa': toolVersion('tftp', ['-V'], /tftp-hpa\s+([\d.]+)/),
      busybox: toolVersion('busybox', [], /BusyBox\s+(v\S+)/),
    },
    loadAvgStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function checkPeers(): void {
  if (process.getuid?.() !== 0) throw new Error('the PXE benchmark creates network namespaces: run it as root');
  const need: Array<[string, string]> = [
    ['perfdhcp', 'kea-admin'], ['dnsmasq', 'dnsmasq-base'], ['in.tftpd', 'tftpd-hpa'], ['tftp', 'tftp-hpa'], ['busybox', 'busybox'],
    ['ip', 'iproute2'], ['ss', 'iproute2'], ['timeout', 'coreutils'], ['mkfifo', 'coreutils'],
  ];
  for (const [cmd, pkg] of need) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${cmd} not found: install Debian package ${pkg}`);
    }
  }
  if (!existsSync(UNDIONLY)) throw new Error(`${UNDIONLY} not found: install Debian package ipxe`);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' }, json: { type: 'string' }, md: { type: 'string' }, phases: { type: 'string' },
      'dhcp-clients': { type: 'string' }, 'dhcp-step-seconds': { type: 'string' }, 'dhcp-latency-rate': { type: 'string' }, 'dhcp-retries': { type: 'string' },
      'tftp-clients': { type: 'string' }, 'tftp-mib': { type: 'string' }, 'tftp-client': { type: 'string' }, 'tftp-blksize': { type: 'string' }, 'tftp-workers': { type: 'string' },
      'storm-hosts': { type: 'string' }, 'storm-tftp-max': { type: 'string' }, 'no-storm-default-check': { type: 'boolean' },
      'dhcp-servers': { type: 'string' }, 'tftp-servers': { type: 'string' },
      quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const runs = posInt('runs', values.runs, quick ? 1 : 3);
  const phases = new Set(list(values.phases, ['dhcp', 'tftp', 'storm']));
  const dhcpClients = list(values['dhcp-clients'], quick ? ['64', '256'] : ['256', '4096']).map((c) => posInt('dhcp-clients', c, 256));
  const tftpClient = (values['tftp-client'] ?? 'tftp-hpa') as TftpClientKind;
  if (tftpClient !== 'tftp-hpa' && tftpClient !== 'busybox') throw new Error('--tftp-client must be tftp-hpa or busybox');
  const stormMax = values['storm-tftp-max'] ?? '256';
  const dhcpServers = list(values['dhcp-servers'], [...DHCP_SERVERS]) as DhcpServerKind[];
  if (dhcpServers.some((k) => !DHCP_SERVERS.includes(k))) throw new Error(`--dhcp-servers: one of ${DHCP_SERVERS.join(', ')}`);
  const tftpServers = list(values['tftp-servers'], ['ours', 'tftpd-hpa']) as TftpServerKind[];
  if (tftpServers.some((k) => k !== 'ours' && k !== 'tftpd-hpa')) throw new Error('--tftp-servers: ours, tftpd-hpa');
  const dhcpBase: Omit<DhcpConfig, 'clients'> = {
    baseMac: '02:00:00:00:00:00',
    poolStart: '198.19.16.1',
    stepSeconds: posInt('dhcp-step-seconds', values['dhcp-step-seconds'], quick ? 2 : 5),
    latencyRate: posInt('dhcp-latency-rate', values['dhcp-latency-rate'], 200),
    latencySeconds: quick ? 2 : 5,
    search: { start: 1000, max: 32000, min: 125, refine: quick ? 1 : 3 },
    maxLossPct: 1,
    retries: nonNegInt('dhcp-retries', values['dhcp-retries'], 1),
  };
  const tftpCfg: TftpConfig = {
    clients: posInt('tftp-clients', values['tftp-clients'], quick ? 5 : 50),
    fileMiB: posInt('tftp-mib', values['tftp-mib'], quick ? 4 : 30),
    client: tftpClient,
    blksize: posInt('tftp-blksize', values['tftp-blksize'], 1432),
    workers: values['tftp-workers'] === undefined ? undefined : nonNegInt('tftp-workers', values['tftp-workers'], 0),
    timeoutS: 900,
  };
  const stormCfg: StormConfig = {
    hosts: posInt('storm-hosts', values['storm-hosts'], quick ? 20 : 200),
    baseMac: '02:50:00:00:00:00',
    firstIp: '198.19.100.1',
    tftpMaxTransfers: stormMax === 'default' ? undefined : posInt('storm-tftp-max', stormMax, 256),
    deadlineS: 180,
  };
  const jsonPath = values.json ? resolve(values.json) : undefined;
  const mdPath = values.md ? resolve(values.md) : jsonPath ? `${jsonPath.replace(/\.json$/, '')}.md` : undefined;
  const command = `npx tsx bench/pxe/pxe-bench.ts ${argv.join(' ')}`.trim();

  checkPeers();
  const log = (s: string) => console.error(s);
  const mach = machine();
  const dir = mkdtempSync(join(tmpdir(), 'rrc-pxe-bench-'));
  const outBase = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/rrc-pxe-bench-') : dir;
  const net = new BenchNet();
  const removeTemp = () => {
    if (process.env['PXE_BENCH_KEEP'] === '1') return;
    rmSync(dir, { recursive: true, force: true });
    if (outBase !== dir) rmSync(outBase, { recursive: true, force: true });
  };
  const removeHandlers = installExitHandlers(net, log, removeTemp);
  const results: RunResult[] = [];
  let stormDefault: BenchReport['stormServiceDefault'];
  const commands = new Set<string>();
  try {
    await net.create();
    log(`namespaces ${net.serverNs} / ${net.clientNs}, server ${NET.server}, client ${NET.client}/${NET.prefixLen}`);
    const file = phases.has('tftp') ? await prepareTftpRoot(dir, tftpCfg.fileMiB) : undefined;
    const stormHosts = phases.has('storm') ? await net.addHosts(stormMacs(stormCfg)) : [];
    if (stormHosts.length) log(`${stormHosts.length} storm host namespaces ready`);
    for (let run = 1; run <= runs; run++) {
      const flip = run % 2 === 0; // alternate which server goes first
      const res: RunResult = { run, order: flip ? 'reference first' : '3RC first', dhcp: [], tftp: [] };
      log(`run ${run}/${runs} (${res.order})`);
      if (phases.has('dhcp')) {
        for (const clients of dhcpClients) {
          const order: DhcpServerKind[] = flip ? [...dhcpServers].reverse() : [...dhcpServers];
          log(`  DHCP, ${clients} clients`);
          for (const kind of order) {
            const r = await runDhcpServer(net, kind, { ...dhcpBase, clients }, dir, log);
            r.commands.forEach((c) => commands.add(c));
            res.dhcp.push(r);
          }
        }
      }
      if (phases.has('tftp') && file) {
        log(`  TFTP, ${tftpCfg.clients} clients x ${tftpCfg.fileMiB} MiB`);
        const order: TftpServerKind[] = flip ? [...tftpServers].reverse() : [...tftpServers];
        for (const kind of order) {
          const r = await runTftpServer(net, kind, tftpCfg, file, dir, outBase, log);
          r.commands.forEach((c) => commands.add(c));
          res.tftp.push(r);
        }
      }
      if (phases.has('storm')) {
        log(`  PXE storm, ${stormCfg.hosts} hosts`);
        res.storm = await runStorm(net, stormHosts, stormCfg, dir, log);
      }
      results.push(res);
    }
    // The extra storm only says something when the service default differs from the bound used.
    const defaultDiffers = stormCfg.tftpMaxTransfers !== undefined && stormCfg.tftpMaxTransfers !== DEFAULT_MAX_TRANSFERS;
    if (phases.has('storm') && values['no-storm-default-check'] !== true && defaultDiffers) {
      log(`extra: PXE storm with the service's default TFTP bound`);
      stormDefault = await runStorm(net, stormHosts, { ...stormCfg, tftpMaxTransfers: undefined }, dir, log);
    }
  } finally {
    await net.destroy();
    removeHandlers();
    removeTemp();
  }
  if (phases.has('storm')) {
    commands.add('per storm host: ip netns exec <host-ns> sh storm-host.sh  (udhcpc -V PXEClient... ; busybox tftp -g -b 1432 -r undionly.kpxe ; udhcpc -x 0x4d:69505845 ; busybox wget <script url>)');
  }
  mach.loadAvgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const report: BenchReport = {
    schema: 'rrc-pxe-bench/1',
    date: new Date().toISOString(),
    command,
    machine: mach,
    config: { runs, phases: [...phases], dhcp: { ...dhcpBase, clients: dhcpClients }, tftp: tftpCfg, storm: stormCfg },
    runs: results,
    summary: summarize(results),
    stormServiceDefault: stormDefault,
    commands: [...commands],
    notes: [
      'All traffic stays in network namespaces created by the run (198.19.0.0/16, no default route), deleted at the end.',
      "3RC's servers run in a Node child process (node --import tsx) in the server namespace with the project's pino logger (warn level to a file for the DHCP and TFTP engine runs, info level for the storm); dnsmasq runs with --quiet-dhcp, in.tftpd without -v.",
      "perfdhcp uses MACs base + r, r in [0, clients) (octet-wise, kea's generateMacAddress); 3RC's DHCP table holds exactly those MACs, dnsmasq-static the same table, dnsmasq-range a dynamic range starting at the same addresses and twice as large as the client count (a pool exactly as large as the client count made dnsmasq NAK REQUESTs under load, an artefact of the setup).",
      "3RC's DHCP server runs twice: as shipped (the listen socket asks for a 4 MiB receive queue) and on the kernel's default receive queue (recvBufferBytes: null), the queue dnsmasq runs with; dnsmasq keeps its defaults. Both 3RC rows are reported; the kernel-default row is the like-for-like one.",
      "The 50 TFTP clients share the client namespace's one address: 3RC's per-source bound (tftp maxPerSource, default 8) is raised to the transfer bound for that phase, else 42 of 50 are refused; the storm keeps the shipped bounds (one address per host). 3RC's per-MAC DHCP bound is off in the DHCP phase (perfdhcp reuses its MACs), on in the storm.",
      '2 shared CPU cores: the clients (perfdhcp, tftp, busybox) run on the same machine as the servers, and other work ran at the same time; the per-run ratios pair servers measured minutes apart and the order alternates between runs.',
    ],
  };
  writeReport(report, renderMarkdown(report), { ...(jsonPath ? { json: jsonPath } : {}), ...(mdPath ? { md: mdPath } : {}) }, log);
  return 0;
}

runAsScript(import.meta.url, main);

export { main };
