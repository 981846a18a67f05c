/**
 * Checks on the first-boot data before it is rendered into a seed or a kickstart. Names that land
 * in file names, hostnames, user names and package lists must be plain; SSH keys must be one
 * line. Only the middleware's first-boot commands are free text (they are shell by design) and
 * every renderer encodes them so they cannot break out of their place.
 */
import { RrcError } from '../../errors.js';
import { parseCidr, parseIpv4 } from '../address-pool.js';
import type { FirstBootData } from '../catalogue-types.js';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
/** A portable user name (useradd's default NAME_REGEX, shortened to 32). */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** Debian and RPM package names (with an optional version or arch suffix). */
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+._:~-]{0,127}$/;
/** `type base64 [comment]` on one line, no control characters. */
const SSH_KEY = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( [^\x00-\x1f\x7f]*)?$/;

function bad(what: string, value: string, rule: string): RrcError {
  return new RrcError('RRC_ERR_VALIDATION', `${what} ${JSON.stringify(value)}: ${rule}`);
}

export function isValidHostname(name: string): boolean {
  return name.length <= 253 && name.split('.').every((l) => HOST_LABEL.test(l));
}

/** The packages of all recipes, in recipe order, each once. */
export function recipePackages(data: FirstBootData): string[] {
  return [...new Set(data.middleware.flatMap((m) => m.packages))];
}

/** The first-boot commands of all recipes, in order. */
export function recipeCommands(data: FirstBootData): string[] {
  return data.middleware.flatMap((m) => m.firstBoot);
}

export function validateFirstBootData(data: FirstBootData): void {
  if (!INSTANCE_ID.test(data.instanceId)) throw bad('instance id', data.instanceId, 'letters, digits, dot, dash, underscore (at most 128)');
  if (!isValidHostname(data.hostname)) throw bad('hostname', data.hostname, 'DNS labels of letters, digits and inner dashes');
  if (!USER_NAME.test(data.owner)) throw bad('owner', data.owner, 'a user name: lower-case letters, digits, dash, underscore, at most 32');
  for (const key of data.sshAuthorizedKeys) {
    if (!SSH_KEY.test(key)) throw bad('SSH key', key.slice(0, 60), 'one line: type, base64 key, optional comment');
  }
  for (const recipe of data.middleware) {
    for (const p of recipe.packages) {
      if (!PACKAGE.test(p)) throw bad(`package of middleware ${recipe.name}`, p, 'a package name');
    }
    for (const c of recipe.firstBoot) {
      if (c.includes('\0')) throw bad(`first-boot command of middleware ${recipe.name}`, c.slice(0, 60), 'no NUL bytes');
    }
  }
  if (data.network) validateNetwork(data.network);
}

function validateNetwork(net: NonNullable<FirstBootData['network']>): void {
  const cidr = parseCidr(net.address);
  if (!cidr || cidr.prefix < 1 || cidr.address === cidr.network) throw bad('network address', net.address, 'an IPv4 host address with its prefix, such as 10.20.0.10/24');
  if (net.gateway !== undefined && parseIpv4(net.gateway) === null) throw bad('gateway', net.gateway, 'an IPv4 address');
  for (const d of net.dns ?? []) {
    if (parseIpv4(d) === null) throw bad('DNS server', d, 'an IPv4 address');
  }
}
