/**
 * The controller's own boot services for the reinstall rung: DHCP + TFTP + HTTP, wired to one
 * host table, one netboot flag per MAC (kept by the DHCP server, read by HTTP) and one stream
 * of milestones per host: dhcp (lease acked) -> tftp (iPXE binary fetched) -> http (script or
 * files fetched) -> kickstart (rendered) -> callback (install complete, netboot turned off).
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { HostWatchdog } from '../../core/types.js';
import type { Clock, InstallProfile, Logger } from '../../env/env.js';
import { errorText, RrcError } from '../../errors.js';
import type { BootFileNames } from './boot-select.js';
import { BootHostTable, DEFAULT_INSTALL, type BootHost, type InstallSpec } from './boot-hosts.js';
import { DhcpServer, type DhcpStats, type LeaseEvent } from './dhcp-server.js';
import { buildBootHttp, newHttpStats, type HttpStats } from './http-boot.js';
import { realRoot } from './path-jail.js';
import { TftpServer, type TftpStats, type TransferEvent } from './tftp-server.js';
import { KnownHostsStore } from '../known-hosts.js';
import { InstallTokens } from './tokens.js';

export type { BootHost, InstallSpec } from './boot-hosts.js';

export interface BootMilestone {
  host: string;
  name: 'dhcp' | 'tftp' | 'http' | 'kickstart' | 'callback';
  at: number;
  detail?: string;
}

/** A freshly installed host's callback said which watchdog it runs (null: none). */
export interface WatchdogReportEvent {
  host: string;
  watchdog: HostWatchdog | null;
}

export interface BootBinary {
  /** Name the client asks for (DHCP option 67). */
  name: string;
  /** Where it is on disk (may be outside any served folder, e.g. a Debian symlink). */
  path: string;
}

/** Debian's `ipxe` package. */
export const DEBIAN_IPXE = {
  bios: { name: 'undionly.kpxe', path: '/usr/lib/ipxe/undionly.kpxe' },
  efiX64: { name: 'ipxe.efi', path: '/usr/lib/ipxe/ipxe.efi' },
} as const;

export interface BootServicesConfig {
  /** Our address on the provisioning network (DHCP server id, next-server, URLs). */
  address: string;
  /** DHCP listen address; default 0.0.0.0 (broadcasts). TFTP and HTTP bind to `address`. */
  dhcpBindAddress?: string;
  /** Defaults 67 / 69 / 8080; 0 picks a free port. */
  dhcpPort?: number;
  tftpPort?: number;
  httpPort?: number;
  /** Extra folder served over TFTP (jailed); the boot binaries come from `bootBinaries`. */
  tftpRoot?: string;
  bootBinaries?: { bios?: BootBinary; efiX64?: BootBinary; efiArm64?: BootBinary };
  /** Kernel, initrd and images served under /files. */
  filesRoot: string;
  hosts: readonly BootHost[];
  netmask?: string;
  gateway?: string;
  dns?: string[];
  leaseSeconds?: number;
  install?: InstallSpec;
  /** URL the booting machines use to reach the HTTP server; default http://address:httpPort. */
  publicUrl?: string;
  /**
   * `workers`: TFTP transfer threads (default one per core, 0 = on the main thread);
   * `maxPerSource`: transfers one client address may hold (default 8) within `maxTransfers` (256).
   */
  tftp?: { maxTransfers?: number; maxPerSource?: number; timeoutMs?: number; maxRetries?: number; maxBlksize?: number; workers?: number };
  /** DHCP requests per client MAC: token bucket (default burst 4, one more per 2 s; null: off), MACs tracked (4096). */
  dhcp?: { perMac?: { burst: number; refillSeconds: number } | null; maxTrackedMacs?: number };
  /** OpenSSH public key line the kickstart installs for root (the controller's own key). */
  controllerPublicKey?: string;
  /** known_hosts file where a reinstalled host's new key is recorded (the SSH driver's file). */
  knownHostsFile?: string;
  /** Default: the repository's `pxe/` and `kickstart/` folders. */
  pxeTemplates?: string;
  kickstartTemplates?: string;
  tokenTtlMs?: number;
  log: Logger;
  clock: Clock;
}

export interface BootServices {
  readonly ports: { dhcp: number; tftp: number; http: number };
  readonly baseUrl: string;
  /** 'milestone' (BootMilestone), 'lease' (LeaseEvent), 'transfer-done' (TransferEvent), 'watchdog' (WatchdogReportEvent). */
  readonly events: EventEmitter;
  stop(): Promise<void>;
  setNetboot(mac: string, on: boolean): void;
  isNetbootEnabled(mac: string): boolean;
  /** A fresh one-time callback token for `host` (embedded in its next kickstart). */
  issueToken(host: string): string;
  setHosts(hosts: readonly BootHost[]): void;
  /** The next kickstart of `host` renders `profile.template` with its first-boot section; null: the hypervisor one. */
  setInstallProfile(host: string, profile: InstallProfile | null): void;
  stats(): { dhcp: DhcpStats; tftp: TftpStats; http: HttpStats };
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export async function startBootServices(cfg: BootServicesConfig): Promise<BootServices> {
  const log = cfg.log.child({ component: 'pxe' });
  const events = new EventEmitter();
  events.on('error', (e: unknown) => log.error({ err: String(e) }, 'boot services listener error'));
  const table = new BootHostTable(cfg.hosts);
  const net = { netmask: cfg.netmask ?? '255.255.255.0', gateway: cfg.gateway, dns: cfg.dns };
  const tokens = new InstallTokens(cfg.clock, cfg.tokenTtlMs);
  /** Hosts lent out (`--physical`): the template and first-boot section of their next kickstart. */
  const profiles = new Map<string, InstallProfile>();
  if (!cfg.controllerPublicKey) log.warn({}, 'pxe.controllerPublicKey is not set: reinstalled hosts will not accept the controller over SSH');
  if (!cfg.knownHostsFile) log.warn({}, 'no known_hosts file for the boot services: new host keys of reinstalled hosts are not recorded');
  const bins = {
    bios: cfg.bootBinaries?.bios ?? DEBIAN_IPXE.bios,
    efiX64: cfg.bootBinaries?.efiX64 ?? DEBIAN_IPXE.efiX64,
    efiArm64: cfg.bootBinaries?.efiArm64,
  };
  const bootFiles: BootFileNames = { bios: bins.bios.name, efiX64: bins.efiX64.name, efiArm64: bins.efiArm64?.name };
  const files: Record<string, string> = {};
  for (const b of [bins.bios, bins.efiX64, bins.efiArm64]) if (b) files[b.name] = b.path;

  const milestone = (host: string, name: BootMilestone['name'], detail?: string) => {
    const m: BootMilestone = { host, name, at: cfg.clock.now(), detail };
    log.info({ host, milestone: name, detail }, 'reinstall milestone');
    try {
      events.emit('milestone', m);
    } catch (e) {
      log.error({ err: String(e) }, 'milestone listener threw');
    }
  };

  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const http = newHttpStats();
    const httpPort = cfg.httpPort ?? 8080;
    // The DHCP server needs the HTTP base before the HTTP port is known when httpPort is 0:
    // HTTP starts first.
    const dhcpRef: { server?: DhcpServer } = {};
    const render = { baseUrl: '', net, install: { ...DEFAULT_INSTALL, ...cfg.install }, controllerPublicKey: cfg.controllerPublicKey };
    const app = await buildBootHttp(
      {
        hosts: table,
        tokens,
        render,
        knownHosts: cfg.knownHostsFile ? new KnownHostsStore(cfg.knownHostsFile) : undefined,
        pxeTemplates: cfg.pxeTemplates ?? `${REPO}pxe`,
        kickstartTemplates: cfg.kickstartTemplates ?? `${REPO}kickstart`,
        filesRoot: await realRoot(cfg.filesRoot),
        isNetbootEnabled: (mac) => dhcpRef.server?.isNetbootEnabled(mac) ?? true,
        installProfile: (host) => profiles.get(host),
        onInstallComplete: (host) => {
          for (const mac of host.macs) dhcpRef.server?.setNetboot(mac, false);
        },
        onWatchdogReport: (host, watchdog) => {
          try {
            events.emit('watchdog', { host: host.name, watchdog } satisfies WatchdogReportEvent);
          } catch (e) {
            log.error({ err: String(e) }, 'watchdog listener threw');
          }
        },
        agentScript: `${REPO}kickstart/rrc-watchdog.sh`,
        milestone,
        log,
        clock: cfg.clock,
      },
      http,
    );
    await app.listen({ host: cfg.address, port: httpPort });
    started.push({ stop: () => app.close() });
    const addr = app.server.address();
    const realHttpPort = typeof addr === 'object' && addr ? addr.port : httpPort;
    const baseUrl = cfg.publicUrl ?? `http://${cfg.address}:${realHttpPort}`;
    render.baseUrl = baseUrl;

    const tftp = new TftpServer({ address: cfg.address, port: cfg.tftpPort ?? 69, root: cfg.tftpRoot, files, log, clock: cfg.clock, ...cfg.tftp });
    const tftpPort = await tftp.start();
    started.push(tftp);
    tftp.on('transfer-start', (t: TransferEvent) => {
      const host = table.byIp(t.client.split(':')[0]!);
      if (host) milestone(host.name, 'tftp', `start ${t.file}`);
    });
    tftp.on('transfer-done', (t: TransferEvent) => {
      const host = table.byIp(t.client.split(':')[0]!);
      if (host) milestone(host.name, 'tftp', `done ${t.file} ${t.bytes} bytes in ${t.ms} ms`);
      events.emit('transfer-done', t);
    });

    const dhcp = new DhcpServer({
      address: cfg.address,
      bindAddress: cfg.dhcpBindAddress,
      port: cfg.dhcpPort ?? 67,
      netmask: net.netmask,
      router: net.gateway,
      dns: net.dns,
      leaseSeconds: cfg.leaseSeconds,
      bootFiles,
      httpBase: baseUrl,
      hosts: table.dhcpEntries(net),
      perMacLimit: perMacLimit(cfg.dhcp),
      maxTrackedMacs: cfg.dhcp?.maxTrackedMacs,
      log,
      clock: cfg.clock,
    });
    const dhcpPort = await dhcp.start();
    started.push(dhcp);
    dhcpRef.server = dhcp;
    dhcp.on('lease', (l: LeaseEvent) => {
      const host = table.byMac(l.mac);
      // The install token goes to this MAC and address only, and only while it netboots.
      if (host && dhcp.isNetbootEnabled(l.mac)) tokens.bindLease(host.name, { mac: l.mac, ip: l.ip });
      if (host) milestone(host.name, 'dhcp', `${l.ip} ${l.mac}${l.bootFile ? ` boot ${l.bootFile}` : ''}`);
      events.emit('lease', l);
    });

    return {
      ports: { dhcp: dhcpPort, tftp: tftpPort, http: realHttpPort },
      baseUrl,
      events,
      stop: async () => {
        for (const s of started.reverse()) await s.stop().catch((e: unknown) => log.warn({ err: String(e) }, 'stop failed'));
        started.length = 0;
      },
      setNetboot: (mac, on) => dhcp.setNetboot(mac, on),
      isNetbootEnabled: (mac) => dhcp.isNetbootEnabled(mac),
      issueToken: (host) => {
        if (!table.byName(host)) throw new RrcError('RRC_ERR_NOT_FOUND', `boot host ${host}`);
        return tokens.issue(host);
      },
      setInstallProfile: (host, profile) => {
        if (profile === null) profiles.delete(host);
        else profiles.set(host, profile);
      },
      setHosts: (hosts) => {
        table.set(hosts);
        dhcp.setHosts(table.dhcpEntries(net));
      },
      stats: () => ({ dhcp: dhcp.stats(), tftp: tftp.stats(), http: { ...http } }),
    };
  } catch (e) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw new RrcError('RRC_ERR_DRIVER', `boot services failed to start: ${errorText(e)}`, { cause: e });
  }
}

/** The config's per-MAC limit in the DHCP server's terms (undefined: its default). */
function perMacLimit(d: BootServicesConfig['dhcp']): { burst: number; refillMs: number } | null | undefined {
  if (d?.perMac === undefined) return undefined;
  if (d.perMac === null) return null;
  return { burst: d.perMac.burst, refillMs: d.perMac.refillSeconds * 1000 };
}
