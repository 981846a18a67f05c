/**
 * `3rc pxe serve --config <file>`: only the boot services (DHCP + TFTP + HTTP) for a provisioning
 * network, with the hosts of the config's inventory, until SIGTERM / SIGINT. No controller, no
 * store, no BMC: machines are powered on by someone else (a person, a script, the BMC web page).
 *
 * Netboot is off for every host unless named with --netboot: a host that PXE-boots gets its
 * address but no boot file and falls through to its disk. A --netboot host gets the install
 * script; its install-complete callback turns its netboot off again. With --exit-after-install
 * the command exits 0 once every --netboot host has called back.
 *
 * Settings come from flags for now (a `pxe:` config section is proposed; when the config
 * carries one, its values are the defaults and flags override them).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { startBootServices, type BootMilestone, type BootServicesConfig } from '../../drivers/pxe/index.js';
import { realClock } from '../../env/real/clock.js';
import { createLogger } from '../../service/logger.js';
import { collect, group, intArg } from '../context.js';
import { usageError } from '../errors.js';

interface ServeFlags {
  config: string;
  address?: string;
  dhcpBind?: string;
  dhcpPort?: number;
  tftpPort?: number;
  httpPort?: number;
  files?: string;
  tftpRoot?: string;
  publicUrl?: string;
  netmask?: string;
  gateway?: string;
  netboot?: string[];
  exitAfterInstall?: boolean;
}

/** The proposed `pxe:` config section, as the command reads it if the config has one. */
type PxeSection = Partial<Pick<BootServicesConfig, 'address' | 'dhcpBindAddress' | 'dhcpPort' | 'tftpPort' | 'httpPort' | 'filesRoot' | 'tftpRoot' | 'publicUrl' | 'netmask' | 'gateway' | 'dns' | 'leaseSeconds' | 'bootBinaries' | 'pxeTemplates' | 'kickstartTemplates' | 'install'>>;

const portArg = (v: string): number => {
  const n = intArg(v);
  if (n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
};

export function registerPxeCommands(program: Command): void {
  group(program, 'pxe', 'network boot services for reinstalls')
    .command('serve')
    .description('run only the boot services (DHCP, TFTP, HTTP) for the hosts of a config, until stopped')
    .requiredOption('-c, --config <file>', 'YAML configuration file (its inventory.hosts are served)')
    .option('--address <ip>', 'our address on the provisioning network (DHCP server id, TFTP/HTTP bind, URLs)')
    .option('--dhcp-bind <ip>', 'DHCP listen address (default 0.0.0.0, needed for broadcasts)')
    .option('--dhcp-port <port>', 'DHCP port (default 67; 0 = any)', portArg)
    .option('--tftp-port <port>', 'TFTP port (default 69; 0 = any)', portArg)
    .option('--http-port <port>', 'HTTP port (default 8080; 0 = any)', portArg)
    .option('--files <dir>', 'folder served under /files (kernel, initrd, images)')
    .option('--tftp-root <dir>', 'extra folder served over TFTP')
    .option('--public-url <url>', 'URL the machines use for the HTTP server (default http://<address>:<http-port>)')
    .option('--netmask <mask>', 'netmask handed out (default 255.255.255.0)')
    .option('--gateway <ip>', 'router handed out (default none)')
    .option('--netboot <host>', 'enable netboot (install) for this host; repeatable', collect)
    .option('--exit-after-install', 'exit 0 once every --netboot host has called back')
    .action(async (flags: ServeFlags) => {
      const config = loadConfig(flags.config);
      const section: PxeSection = (config as { pxe?: PxeSection | null }).pxe ?? {};
      const address = flags.address ?? section.address;
      const filesRoot = flags.files ?? section.filesRoot;
      if (!address) throw usageError('--address is required (or pxe.address in the config)');
      if (!filesRoot) throw usageError('--files is required (or pxe.filesRoot in the config)');
      const hosts = config.inventory.hosts;
      const netboot = [...new Set(flags.netboot ?? [])];
      const unknown = netboot.filter((n) => !hosts.some((h) => h.name === n));
      if (unknown.length) throw usageError(`--netboot: not in the config's inventory: ${unknown.join(', ')}`);
      if (flags.exitAfterInstall && netboot.length === 0) throw usageError('--exit-after-install needs at least one --netboot host');

      const log = createLogger({ level: config.log.level, clock: realClock, name: '3rc-pxe' });
      const svc = await startBootServices({
        ...section,
        address,
        filesRoot,
        dhcpBindAddress: flags.dhcpBind ?? section.dhcpBindAddress,
        dhcpPort: flags.dhcpPort ?? section.dhcpPort,
        tftpPort: flags.tftpPort ?? section.tftpPort,
        httpPort: flags.httpPort ?? section.httpPort,
        tftpRoot: flags.tftpRoot ?? section.tftpRoot,
        publicUrl: flags.publicUrl ?? section.publicUrl,
        netmask: flags.netmask ?? section.netmask,
        gateway: flags.gateway ?? section.gateway,
        hosts: hosts.map((h) => ({ name: h.name, macs: h.macs, ip: h.ip })),
        log,
        clock: realClock,
      });
      // Off for everyone, then on for the hosts asked for: nobody is reinstalled by accident.
      for (const h of hosts) for (const mac of h.macs) svc.setNetboot(mac, netboot.includes(h.name));
      for (const name of netboot) svc.issueToken(name);

      const waitingFor = new Set(netboot);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (why: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ reason: why }, 'stopping boot services');
          void svc.stop().then(resolve);
        };
        svc.events.on('milestone', (m: BootMilestone) => {
          if (m.name !== 'callback' || !waitingFor.delete(m.host)) return;
          log.info({ host: m.host, left: [...waitingFor] }, `${m.host} installed; netboot off`);
          if (flags.exitAfterInstall && waitingFor.size === 0) stop('every --netboot host has called back');
        });
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        log.info(
          { ports: svc.ports, baseUrl: svc.baseUrl, hosts: hosts.length, netboot },
          `3RC boot services on ${address}: DHCP ${svc.ports.dhcp}, TFTP ${svc.ports.tftp}, HTTP ${svc.baseUrl}`,
        );
      });
    });
}
