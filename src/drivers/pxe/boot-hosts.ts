/**
 * The hosts the boot services know, indexed by MAC, name and address, and what goes into their
 * iPXE script and kickstart. `HostSpec` from core/types fits `BootHost` as is (name, macs, ip);
 * the optional fields refine the network and the install.
 */
import { knownHostsName } from '../known-hosts.js';
import type { TemplateVars } from './template.js';
import { checkName } from './path-jail.js';
import { isIpv4, macForUrl, normalizeMac } from './dhcp-codec.js';
import type { DhcpHost } from './dhcp-server.js';

export interface InstallSpec {
  /** `kickstart/<template>.ks.tpl`. */
  template?: string;
  disk?: string;
  /** Kickstart partitioning lines, e.g. `part /boot --fstype=xfs --size=1024`. */
  partitions?: string[];
  packages?: string[];
  /** Services installed and enabled in %post. */
  middleware?: string[];
  /** Paths below the files root. */
  kernel?: string;
  initrd?: string;
  kernelArgs?: string;
  timezone?: string;
}

export interface BootHost {
  name: string;
  macs: string[];
  ip: string;
  netmask?: string;
  gateway?: string;
  dns?: string[];
  install?: InstallSpec;
  /** Where the controller reaches it over SSH (HostSpec.ssh); default its address, port 22. */
  ssh?: { host: string; port: number };
}

/** The known_hosts name the SSH driver looks the host up by. */
export function sshNamesOf(h: BootHost): string[] {
  return [knownHostsName(h.ssh?.host ?? h.ip, h.ssh?.port ?? 22)];
}

export type InstallDefaults = Required<InstallSpec>;

export const DEFAULT_INSTALL: InstallDefaults = {
  template: 'default',
  disk: 'sda',
  partitions: ['autopart --type=lvm --nohome'],
  packages: ['@core', 'openssh-server', 'qemu-kvm', 'libvirt'],
  middleware: [],
  kernel: 'vmlinuz',
  initrd: 'initrd.img',
  kernelArgs: 'inst.text',
  timezone: 'UTC',
};

export interface NetworkDefaults {
  netmask: string;
  gateway?: string;
  dns?: string[];
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const TEMPLATE_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

export class BootHostTable {
  private byMacMap = new Map<string, BootHost>();
  private byNameMap = new Map<string, BootHost>();
  private byIpMap = new Map<string, BootHost>();

  constructor(hosts: readonly BootHost[] = []) {
    this.set(hosts);
  }

  /** Validate everything first: a bad entry throws and leaves the table unchanged. */
  set(hosts: readonly BootHost[]): void {
    const byMac = new Map<string, BootHost>();
    const byName = new Map<string, BootHost>();
    const byIp = new Map<string, BootHost>();
    for (const h of hosts) {
      if (!NAME_RE.test(h.name)) throw new Error(`invalid host name "${h.name}" (letters, digits, dashes)`);
      if (!isIpv4(h.ip)) throw new Error(`invalid address "${h.ip}" for ${h.name}`);
      if (h.install?.template !== undefined && !TEMPLATE_RE.test(h.install.template)) {
        throw new Error(`invalid kickstart template name "${h.install.template}" for ${h.name}`);
      }
      if (byName.has(h.name)) throw new Error(`duplicate host ${h.name}`);
      const host = { ...h, macs: h.macs.map(normalizeMac) };
      for (const m of host.macs) {
        if (byMac.has(m)) throw new Error(`MAC ${m} listed for two hosts`);
        byMac.set(m, host);
      }
      byName.set(h.name, host);
      byIp.set(h.ip, host);
    }
    this.byMacMap = byMac;
    this.byNameMap = byName;
    this.byIpMap = byIp;
  }

  all(): BootHost[] {
    return [...this.byNameMap.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  byMac(mac: string): BootHost | undefined {
    try {
      return this.byMacMap.get(normalizeMac(mac));
    } catch {
      return undefined;
    }
  }

  byName(name: string): BootHost | undefined {
    return this.byNameMap.get(name);
  }

  byIp(ip: string): BootHost | undefined {
    return this.byIpMap.get(ip);
  }

  dhcpEntries(net: NetworkDefaults): DhcpHost[] {
    return this.all().flatMap((h) =>
      h.macs.map((mac) => ({ mac, ip: h.ip, hostname: h.name, netmask: h.netmask ?? net.netmask, router: h.gateway ?? net.gateway })),
    );
  }
}

export function installOf(h: BootHost, defaults: InstallDefaults): InstallDefaults {
  return { ...defaults, ...stripUndefined(h.install ?? {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface RenderContext {
  /** `http://<addr>:<port>` as the booting machine reaches us. */
  baseUrl: string;
  net: NetworkDefaults;
  install: InstallDefaults;
  /** Installed for root by the kickstart (one OpenSSH public key line); '' when not configured. */
  controllerPublicKey?: string;
}

const fileUrl = (base: string, path: string) => `${base}/files/${checkName(path)}`;

export function ipxeVars(h: BootHost, mac: string, ctx: RenderContext): TemplateVars {
  const i = installOf(h, ctx.install);
  return {
    hostname: h.name,
    mac: normalizeMac(mac),
    ip: h.ip,
    controller: ctx.baseUrl,
    kernelUrl: fileUrl(ctx.baseUrl, i.kernel),
    initrdUrl: fileUrl(ctx.baseUrl, i.initrd),
    initrdName: i.initrd.split('/').pop()!,
    kickstartUrl: `${ctx.baseUrl}/ks/${h.name}.cfg`,
    scriptUrl: `${ctx.baseUrl}/boot/${macForUrl(mac)}.ipxe`,
    kernelArgs: i.kernelArgs,
  };
}

/** `peers`: the other hosts' addresses, which the watchdog agent asks when no controller answers. */
export function kickstartVars(h: BootHost, mac: string | undefined, ctx: RenderContext, callbackUrl: string, peers: string[] = []): TemplateVars {
  const i = installOf(h, ctx.install);
  const netmask = h.netmask ?? ctx.net.netmask;
  const gateway = h.gateway ?? ctx.net.gateway ?? '';
  const dns = h.dns ?? ctx.net.dns ?? [];
  const device = mac ? normalizeMac(mac) : normalizeMac(h.macs[0] ?? '');
  const networkArgs = [
    '--bootproto=static',
    `--device=${device}`,
    `--ip=${h.ip}`,
    `--netmask=${netmask}`,
    ...(gateway ? [`--gateway=${gateway}`] : ['--nodefroute']),
    ...(dns.length ? [`--nameserver=${dns.join(',')}`] : []),
    `--hostname=${h.name}`,
    '--activate',
  ];
  return {
    hostname: h.name,
    mac: device,
    ip: h.ip,
    netmask,
    gateway,
    dns,
    networkArgs: networkArgs.join(' '),
    disk: i.disk,
    partitions: i.partitions,
    packages: i.packages,
    middleware: i.middleware,
    timezone: i.timezone,
    callbackUrl,
    controller: ctx.baseUrl,
    controllerPublicKey: ctx.controllerPublicKey ?? '',
    watchdogPeers: peers,
  };
}
