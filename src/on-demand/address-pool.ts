/**
 * Static addresses for lent VMs (onDemand.addresses): each placed request gets the lowest free
 * IPv4 address of [first, last], never the network, broadcast or gateway address, and none that
 * another active request (placing, provisioning, ready, expiring) or an inventory VM holds. The
 * address stays on the closed request as history; it is free again because a closed request no
 * longer holds it. Pure: the caller passes what is held.
 */
import { RrcError } from '../errors.js';
import type { RequestRecord } from '../store/types.js';
import { holdsCapacity } from './lifecycle.js';

/** The `onDemand.addresses` section as written (addresses as dotted quads). */
export interface AddressPoolConfig {
  cidr: string;
  first?: string | undefined;
  last?: string | undefined;
  gateway?: string | undefined;
  dns?: string[] | undefined;
}

/** The pool with its bounds as numbers. */
export interface AddressPool {
  cidr: string;
  prefix: number;
  network: number;
  broadcast: number;
  first: number;
  last: number;
  gateway?: string;
  dns: string[];
}

/** What a lent machine's first boot configures (FirstBootData.network). */
export interface StaticNetwork {
  /** `a.b.c.d/nn` */
  address: string;
  gateway?: string;
  dns?: string[];
}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** "10.20.0.7" -> its 32-bit value; null when not a dotted quad (no leading zeros). */
export function parseIpv4(text: string): number | null {
  if (!QUAD.test(text)) return null;
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** "10.20.0.0/24" -> its network number and prefix; null when not IPv4 CIDR. */
export function parseCidr(text: string): { network: number; prefix: number; address: number } | null {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const address = parseIpv4(m[1] as string);
  const prefix = Number(m[2]);
  if (address === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  return { network: address - (address % size), prefix, address };
}

/** Problems of a pool config, with the key they are about (for the config schema). */
export function poolProblems(c: AddressPoolConfig): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  const net = parseCidr(c.cidr);
  if (!net) return [{ key: 'cidr', message: `${JSON.stringify(c.cidr)} is not an IPv4 network such as 10.20.0.0/24` }];
  if (net.address !== net.network) out.push({ key: 'cidr', message: `${c.cidr} has host bits set: the network is ${formatIpv4(net.network)}/${net.prefix}` });
  if (net.prefix > 30) out.push({ key: 'cidr', message: `${c.cidr} leaves no room for machines: use a prefix of 30 or less` });
  const inside = (key: string, text: string | undefined): number | null => {
    if (text === undefined) return null;
    const n = parseIpv4(text);
    if (n === null) out.push({ key, message: `${JSON.stringify(text)} is not an IPv4 address` });
    else if (n <= net.network || n >= net.network + 2 ** (32 - net.prefix) - 1) out.push({ key, message: `${text} is not a host address of ${c.cidr}` });
    return n;
  };
  const first = inside('first', c.first);
  const last = inside('last', c.last);
  inside('gateway', c.gateway);
  (c.dns ?? []).forEach((d, i) => {
    if (parseIpv4(d) === null) out.push({ key: `dns.${i}`, message: `${JSON.stringify(d)} is not an IPv4 address` });
  });
  if (first !== null && last !== null && first > last) out.push({ key: 'last', message: `${c.last} comes before first ${c.first}` });
  return out;
}

/** The pool of a valid config (the config schema checked it); RRC_ERR_CONFIG_INVALID otherwise. */
export function resolvePool(c: AddressPoolConfig): AddressPool {
  const problems = poolProblems(c);
  const net = parseCidr(c.cidr);
  if (problems.length > 0 || !net) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `onDemand.addresses: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
  }
  const broadcast = net.network + 2 ** (32 - net.prefix) - 1;
  return {
    cidr: c.cidr,
    prefix: net.prefix,
    network: net.network,
    broadcast,
    first: c.first !== undefined ? (parseIpv4(c.first) as number) : net.network + 1,
    last: c.last !== undefined ? (parseIpv4(c.last) as number) : broadcast - 1,
    ...(c.gateway !== undefined ? { gateway: c.gateway } : {}),
    dns: c.dns ?? [],
  };
}

function rangeText(pool: AddressPool): string {
  return `${pool.cidr} (${formatIpv4(pool.first)}-${formatIpv4(pool.last)})`;
}

/** The lowest address of the pool that is neither held nor the gateway; null when the pool is full. */
export function lowestFreeAddress(pool: AddressPool, held: Iterable<string>): string | null {
  const taken = new Set<number>();
  for (const a of held) {
    const n = parseIpv4(a);
    if (n !== null) taken.add(n);
  }
  if (pool.gateway !== undefined) taken.add(parseIpv4(pool.gateway) as number);
  for (let n = pool.first; n <= pool.last; n++) {
    if (!taken.has(n)) return formatIpv4(n);
  }
  return null;
}

/** Why a full pool gives nothing (names the pool and its range). */
export function poolFullReason(pool: AddressPool): string {
  return `address pool onDemand.addresses ${rangeText(pool)} is full: every address is held by an active request, an inventory VM or the gateway`;
}

/** As lowestFreeAddress; a full pool is RRC_ERR_NO_CAPACITY naming the pool. */
export function allocateAddress(pool: AddressPool, held: Iterable<string>): string {
  const address = lowestFreeAddress(pool, held);
  if (address === null) throw new RrcError('RRC_ERR_NO_CAPACITY', poolFullReason(pool));
  return address;
}

/**
 * Addresses in use: those of requests that hold capacity (a closed request has given its back)
 * and the guest addresses of inventory VMs (`host` or `host:port`).
 */
export function heldAddresses(requests: readonly RequestRecord[], guestAddresses: ReadonlyArray<string | undefined>): string[] {
  const fromRequests = requests.filter((r) => r.address !== null && holdsCapacity(r.state)).map((r) => r.address as string);
  const fromVms = guestAddresses.filter((a): a is string => a !== undefined).map((a) => a.replace(/:\d+$/, ''));
  return [...fromRequests, ...fromVms];
}

/** The first-boot network of an address given from `pool` (RRC_ERR_CONFIG_INVALID when the pool no longer holds it). */
export function staticNetworkOf(pool: AddressPool | null, address: string): StaticNetwork {
  const n = parseIpv4(address);
  if (pool === null || n === null || n <= pool.network || n >= pool.broadcast) {
    throw new RrcError('RRC_ERR_CONFIG_INVALID', `address ${address} is not in onDemand.addresses${pool ? ` (${pool.cidr})` : ' (no pool configured)'}: its network cannot be configured`);
  }
  return {
    address: `${address}/${pool.prefix}`,
    ...(pool.gateway !== undefined ? { gateway: pool.gateway } : {}),
    ...(pool.dns.length > 0 ? { dns: pool.dns } : {}),
  };
}
