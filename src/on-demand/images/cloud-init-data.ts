/**
 * The two files of a cloud-init NoCloud seed. cloud-init reads them with PyYAML (YAML 1.1), so
 * they are written by the yaml library in 1.1 mode: strings such as `yes`, `on` or `12:30` are
 * quoted and stay strings, and any first-boot command round-trips byte for byte.
 */
import { stringify } from 'yaml';
import type { FirstBootData } from '../catalogue-types.js';
import { recipeCommands, recipePackages } from './first-boot-data.js';

const YAML_OPTIONS = { version: '1.1', lineWidth: 0 } as const;

/**
 * `network-config` (cloud-init network config version 2) for a static address, or null (the
 * image's own DHCP). It matches the first NIC by name (`e*`: en*, eth*), since the name depends on
 * the machine type; the default route is written as `routes` (gateway4 is deprecated).
 */
export function renderNetworkConfig(data: FirstBootData): string | null {
  const net = data.network;
  if (!net) return null;
  const nic: Record<string, unknown> = { match: { name: 'e*' }, dhcp4: false, dhcp6: false, addresses: [net.address] };
  if (net.gateway !== undefined) nic.routes = [{ to: '0.0.0.0/0', via: net.gateway }];
  if (net.dns && net.dns.length > 0) nic.nameservers = { addresses: net.dns };
  return stringify({ version: 2, ethernets: { lent0: nic } }, YAML_OPTIONS);
}

/** `meta-data`: the instance id (cloud-init runs its first-boot modules once per id) and hostname. */
export function renderMetaData(data: FirstBootData): string {
  return stringify({ 'instance-id': data.instanceId, 'local-hostname': data.hostname }, YAML_OPTIONS);
}

/** `user-data`: #cloud-config with the hostname, the owner and their keys, packages, first-boot commands. */
export function renderUserData(data: FirstBootData): string {
  const packages = recipePackages(data);
  const commands = recipeCommands(data);
  const config: Record<string, unknown> = {
    hostname: data.hostname,
    preserve_hostname: false,
    users: [
      {
        name: data.owner,
        gecos: `3RC lent machine owner (${data.instanceId})`,
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: data.sshAuthorizedKeys,
      },
    ],
    ssh_pwauth: false,
  };
  if (packages.length > 0) {
    config.package_update = true;
    config.packages = packages;
  }
  if (commands.length > 0) config.runcmd = commands;
  return `#cloud-config\n${stringify(config, YAML_OPTIONS)}`;
}
