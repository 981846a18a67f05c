/**
 * Inventory checks the schema cannot express or cannot reach when another part of the file is
 * invalid: duplicate names, MACs, addresses and BMCs, VMs on unknown hosts, VMs that fit nowhere,
 * and N+1 (if any one host dies, its VMs find room elsewhere, by the controller's own placement).
 */
import { isIP } from 'node:net';
import { normalizeMac } from '../api/schemas/common.js';
import { placeVm, type PlacementCandidate } from '../core/placement.js';
import type { HostSpec, VmResources } from '../core/types.js';
import { dig, isObject, list, num, str, type ProblemList } from './check-types.js';

interface RawHost {
  at: number;
  name: string | undefined;
  role: string | undefined;
  capacity: { cores: number; ramGb: number; diskTb: number } | null;
}

interface RawVm {
  at: number;
  name: string | undefined;
  /** currentHost, else homeHost: where it runs when the controller starts. */
  host: string | undefined;
  resources: VmResources | null;
}

function readHosts(raw: unknown): RawHost[] {
  return list(dig(raw, 'inventory', 'hosts')).map((h, at) => {
    const cores = num(dig(h, 'capacity', 'cores'));
    const ramGb = num(dig(h, 'capacity', 'ramGb'));
    const diskTb = num(dig(h, 'capacity', 'diskTb'));
    return {
      at,
      name: str(dig(h, 'name')),
      role: str(dig(h, 'role')),
      capacity: cores !== undefined && ramGb !== undefined && diskTb !== undefined ? { cores, ramGb, diskTb } : null,
    };
  });
}

function readVms(raw: unknown): RawVm[] {
  return list(dig(raw, 'inventory', 'vms')).map((v, at) => {
    const cores = num(dig(v, 'resources', 'cores'));
    const ramGb = num(dig(v, 'resources', 'ramGb'));
    const diskGb = num(dig(v, 'resources', 'diskGb'));
    return {
      at,
      name: str(dig(v, 'name')),
      host: str(dig(v, 'currentHost')) ?? str(dig(v, 'homeHost')),
      resources: cores !== undefined && ramGb !== undefined && diskGb !== undefined ? { cores, ramGb, diskGb } : null,
    };
  });
}

/**
 * Reports the second and later entries with one value. `owner` tells entries apart (two entries of
 * one owner may share it: a host listing a MAC twice is the schema's business); `label` names the
 * first owner in the message.
 */
function uniqueBy(
  out: ProblemList,
  entries: Array<{ path: PropertyKey[]; key: string | undefined; owner: number; label: string }>,
  message: (key: string, firstLabel: string) => string,
  check: string,
): void {
  const first = new Map<string, { owner: number; label: string }>();
  for (const e of entries) {
    if (e.key === undefined) continue;
    const seen = first.get(e.key);
    if (seen === undefined) first.set(e.key, { owner: e.owner, label: e.label });
    else if (seen.owner !== e.owner) out.error(e.path, message(e.key, seen.label), check);
  }
}

/** A dotted quad that is not an IPv4 address is a typo, though the hostname rule lets it through. */
function badDottedQuad(address: string | undefined): boolean {
  return address !== undefined && /^\d+(\.\d+){3}$/.test(address) && isIP(address) !== 4;
}

function checkUniqueness(raw: unknown, hosts: RawHost[], out: ProblemList): void {
  const rawHosts = list(dig(raw, 'inventory', 'hosts'));
  const label = (i: number) => hosts[i]?.name ?? `inventory.hosts[${i}]`;
  uniqueBy(out, hosts.map((h) => ({ path: ['inventory', 'hosts', h.at, 'name'], key: h.name, owner: h.at, label: `inventory.hosts[${h.at}]` })),
    (k, o) => `duplicate host name "${k}" (also ${o})`, 'duplicate-host');
  uniqueBy(
    out,
    rawHosts.flatMap((h, i) =>
      list(dig(h, 'macs')).map((m, j) => ({
        path: ['inventory', 'hosts', i, 'macs', j],
        key: typeof m === 'string' ? (normalizeMac(m) ?? undefined) : undefined,
        owner: i,
        label: label(i),
      })),
    ),
    (k, o) => `MAC ${k} is already used by host "${o}"`,
    'duplicate-mac',
  );
  uniqueBy(out, rawHosts.map((h, i) => ({ path: ['inventory', 'hosts', i, 'ip'], key: str(dig(h, 'ip')), owner: i, label: label(i) })),
    (k, o) => `address ${k} is already host "${o}"'s: probes and PXE would mix the two hosts up`, 'duplicate-ip');
  // Two hosts on one BMC: fencing one would power off the other.
  uniqueBy(
    out,
    rawHosts.map((h, i) => {
      const address = str(dig(h, 'bmc', 'address'));
      return { path: ['inventory', 'hosts', i, 'bmc', 'address'], key: address && `${address}:${num(dig(h, 'bmc', 'port')) ?? 623}`, owner: i, label: label(i) };
    }),
    (k, o) => `BMC ${k} is already host "${o}"'s: fencing one host would power off the other`,
    'duplicate-bmc',
  );
  rawHosts.forEach((h, i) => {
    for (const keys of [['bmc', 'address'], ['ssh', 'host']]) {
      if (badDottedQuad(str(dig(h, ...keys)))) out.error(['inventory', 'hosts', i, ...keys], `expected an IPv4 address, got "${str(dig(h, ...keys))}"`, 'bad-ipv4');
    }
  });
  const rawVms = list(dig(raw, 'inventory', 'vms'));
  uniqueBy(out, rawVms.map((v, i) => ({ path: ['inventory', 'vms', i, 'name'], key: str(dig(v, 'name')), owner: i, label: `inventory.vms[${i}]` })),
    (k, o) => `duplicate VM name "${k}" (also ${o})`, 'duplicate-vm');
  uniqueBy(
    out,
    rawVms.map((v, i) => ({ path: ['inventory', 'vms', i, 'uuid'], key: str(dig(v, 'uuid'))?.toLowerCase(), owner: i, label: str(dig(v, 'name')) ?? `inventory.vms[${i}]` })),
    (k, o) => `UUID ${k} is already used by VM "${o}"`,
    'duplicate-uuid',
  );
  rawVms.forEach((v, i) => {
    for (const keys of [['guestAddress'], ['ssh', 'host']]) {
      if (badDottedQuad(str(dig(v, ...keys)))) out.error(['inventory', 'vms', i, ...keys], `expected an IPv4 address, got "${str(dig(v, ...keys))}"`, 'bad-ipv4');
    }
  });
}

function checkVmHosts(raw: unknown, hosts: RawHost[], vms: RawVm[], out: ProblemList): void {
  const known = new Set(hosts.map((h) => h.name).filter((n): n is string => n !== undefined));
  list(dig(raw, 'inventory', 'vms')).forEach((v, i) => {
    for (const key of ['homeHost', 'currentHost'] as const) {
      const name = str(dig(v, key));
      if (name !== undefined && !known.has(name)) out.error(['inventory', 'vms', i, key], `unknown host "${name}" (not in inventory.hosts)`, 'unknown-host');
    }
  });
  const sized = hosts.filter((h) => h.capacity !== null);
  if (sized.length === 0) return;
  for (const vm of vms) {
    const r = vm.resources;
    if (r === null) continue;
    const fitsSomewhere = sized.some((h) => r.cores <= h.capacity!.cores && r.ramGb <= h.capacity!.ramGb && r.diskGb <= h.capacity!.diskTb * 1000);
    if (!fitsSomewhere) {
      out.error(['inventory', 'vms', vm.at, 'resources'], `${vm.name ?? 'this VM'} (${r.cores} cores, ${r.ramGb} GB RAM, ${r.diskGb} GB disk) fits on no host`, 'vm-fits-nowhere');
    }
  }
}

/**
 * N+1: for each host in turn, plan its VMs onto the others exactly as the controller would (spares
 * first, then the most free memory), every other host counted healthy and loaded with its own VMs.
 */
function checkNPlusOne(hosts: RawHost[], vms: RawVm[], out: ProblemList): void {
  const named = hosts.filter((h): h is RawHost & { name: string; capacity: NonNullable<RawHost['capacity']> } => h.name !== undefined && h.capacity !== null);
  if (named.length < hosts.length || vms.some((v) => v.resources === null || v.host === undefined)) return; // the schema reports those
  if (named.length >= 2 && !named.some((h) => h.role === 'spare')) {
    out.warn(['inventory', 'hosts'], 'no host has role spare: a failed host\'s VMs can only go where primaries have room left', 'no-spare');
  }
  const onHost = (name: string) => vms.filter((v) => v.host === name);
  for (const failed of named) {
    const aboard = onHost(failed.name);
    if (aboard.length === 0) continue;
    const candidates: PlacementCandidate[] = named
      .filter((h) => h.name !== failed.name)
      .map((h) => {
        const load = onHost(h.name).map((v) => v.resources as VmResources);
        return {
          host: { name: h.name, role: h.role === 'spare' ? 'spare' : 'primary', capacity: h.capacity } as HostSpec,
          usable: true,
          used: load.reduce((a, r) => ({ cores: a.cores + r.cores, ramGb: a.ramGb + r.ramGb, diskGb: a.diskGb + r.diskGb }), { cores: 0, ramGb: 0, diskGb: 0 }),
        };
      });
    // Bigger VMs first, as a person would pack them; the controller goes by priority, so this is the best case.
    const order = [...aboard].sort((a, b) => (b.resources as VmResources).ramGb - (a.resources as VmResources).ramGb);
    const homeless = order.filter((v) => placeVm(v.resources as VmResources, candidates) === null).map((v) => v.name ?? `inventory.vms[${v.at}]`);
    if (homeless.length > 0) {
      out.warn(
        ['inventory', 'hosts', failed.at],
        `N+1 not met: if ${failed.name} fails, ${homeless.length} of its ${aboard.length} VMs find no room on the other hosts (${homeless.join(', ')})`,
        'n-plus-one',
      );
    }
  }
}

export function checkInventory(raw: unknown, out: ProblemList): void {
  if (!isObject(raw)) return;
  const hosts = readHosts(raw);
  const vms = readVms(raw);
  checkUniqueness(raw, hosts, out);
  checkVmHosts(raw, hosts, vms, out);
  checkNPlusOne(hosts, vms, out);
  if (str(dig(raw, 'environment', 'kind')) === 'real') {
    list(dig(raw, 'inventory', 'hosts')).forEach((h, i) => {
      if (isObject(h) && h.bmc === undefined) {
        out.warn(['inventory', 'hosts', i, 'bmc'], `${str(h.name) ?? 'this host'} has no BMC: it cannot be powered on, cycled or fenced, so its incidents wait for a person`, 'no-bmc');
      }
    });
  }
}
