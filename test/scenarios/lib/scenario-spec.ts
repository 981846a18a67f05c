/**
 * A scenario folder on disk: `world.json` (a small readable world), `faults` (a timed script in the
 * fault language of src/env/sim/world.ts, plus `operator ...` lines the runner carries out), and
 * `expect.log`. This file reads a folder and turns the short world description into the specs the
 * simulated rack and the store take; every unknown key is refused, so a typo fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeepPartial, Policy } from '../../../src/core/policy.js';
import type { HostSpec, HostWatchdog, ServiceCheck, VmSpec } from '../../../src/core/types.js';

/** How a VM's service is checked: with a restart command, a check only, or not at all. */
export type ServiceKind = 'restartable' | 'check' | 'none';

export interface HostEntry {
  name: string;
  role?: 'primary' | 'spare';
  ramGb?: number;
  cores?: number;
  /** The watchdog contract the host declares (HostSpec.watchdog). */
  watchdog?: HostWatchdog;
}

export interface VmEntry {
  name: string;
  /** Home (and starting) host. */
  host: string;
  ramGb?: number;
  cores?: number;
  priority?: number;
  service?: ServiceKind;
  /** Host on demand: the VM is a lent machine of `owner`, placed at the start for `forSeconds` (lib/lending.ts). */
  lent?: { owner: string; forSeconds: number };
}

export interface WorldFile {
  hosts: HostEntry[];
  vms: VmEntry[];
  /** Virtual seconds to play, from the start (faults included). */
  runSeconds: number;
  seed?: number | string;
  policy?: DeepPartial<Policy>;
  /** World options: autostart, watchdogSeconds, timings. */
  world?: Record<string, unknown>;
  /** Sim Env options: bootProgress, probeHints, latency. */
  simEnv?: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  dir: string;
  readme: string;
  world: WorldFile;
  hosts: HostSpec[];
  vms: VmSpec[];
  faultLines: string[];
  expectPath: string;
  expected: string | null;
}

const WORLD_KEYS = new Set(['hosts', 'vms', 'runSeconds', 'seed', 'policy', 'world', 'simEnv']);
const HOST_KEYS = new Set(['name', 'role', 'ramGb', 'cores', 'watchdog']);
const VM_KEYS = new Set(['name', 'host', 'ramGb', 'cores', 'priority', 'service', 'lent']);

function refuseUnknown(where: string, value: object, allowed: Set<string>): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new Error(`${where}: unknown key "${key}" (allowed: ${[...allowed].join(', ')})`);
  }
}

export function hostSpec(e: HostEntry, index: number): HostSpec {
  const n = index + 1;
  const ip = `198.18.0.${10 + n}`;
  return {
    name: e.name,
    role: e.role ?? 'primary',
    macs: [`52:54:00:00:00:${n.toString(16).padStart(2, '0')}`],
    ip,
    bmc: { address: `198.18.1.${10 + n}`, port: 623, user: 'admin', secretRef: 'bmc' },
    hypervisorUri: `qemu+ssh://root@${ip}/system`,
    ssh: { host: ip, port: 22, user: 'root' },
    capacity: { cores: e.cores ?? 32, ramGb: e.ramGb ?? 128, diskTb: 4 },
    ...(e.watchdog ? { watchdog: e.watchdog } : {}),
  };
}

function serviceCheck(kind: ServiceKind): ServiceCheck | undefined {
  if (kind === 'none') return undefined;
  return kind === 'restartable' ? { kind: 'tcp', port: 80, restartCommand: 'systemctl restart app' } : { kind: 'tcp', port: 80 };
}

export function vmSpec(e: VmEntry, index: number): VmSpec {
  const n = index + 1;
  const check = serviceCheck(e.service ?? 'none');
  return {
    name: e.name,
    uuid: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    homeHost: e.host,
    currentHost: e.host,
    priority: e.priority ?? n,
    diskPath: `/shared/${e.name}.qcow2`,
    resources: { cores: e.cores ?? 4, ramGb: e.ramGb ?? 8, diskGb: 40 },
    guestAddress: `198.18.2.${n}`,
    ...(check ? { serviceCheck: check } : {}),
  };
}

/** Validates the parsed JSON of world.json (shape only; the rack validates the rest). */
export function parseWorldFile(where: string, raw: unknown): WorldFile {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: not an object`);
  const w = raw as WorldFile;
  refuseUnknown(where, w, WORLD_KEYS);
  if (!Array.isArray(w.hosts) || w.hosts.length === 0) throw new Error(`${where}: "hosts" must be a non-empty list`);
  if (!Array.isArray(w.vms)) throw new Error(`${where}: "vms" must be a list`);
  if (!(Number.isInteger(w.runSeconds) && w.runSeconds > 0)) throw new Error(`${where}: "runSeconds" must be a positive integer`);
  const hostNames = new Set<string>();
  w.hosts.forEach((h, i) => {
    refuseUnknown(`${where}: hosts[${i}]`, h, HOST_KEYS);
    if (typeof h.name !== 'string' || hostNames.has(h.name)) throw new Error(`${where}: hosts[${i}] needs a unique name`);
    hostNames.add(h.name);
  });
  w.vms.forEach((v, i) => {
    refuseUnknown(`${where}: vms[${i}]`, v, VM_KEYS);
    if (!hostNames.has(v.host)) throw new Error(`${where}: vms[${i}] (${v.name}) is on unknown host "${v.host}"`);
    if (v.lent !== undefined && !(typeof v.lent.owner === 'string' && Number.isInteger(v.lent.forSeconds) && v.lent.forSeconds > 0)) {
      throw new Error(`${where}: vms[${i}].lent must be { owner, forSeconds } with a positive whole number of seconds`);
    }
    if (v.service !== undefined && !['restartable', 'check', 'none'].includes(v.service)) {
      throw new Error(`${where}: vms[${i}].service must be restartable, check or none`);
    }
  });
  return w;
}

/** Reads one scenario folder. A missing expect.log is `expected: null` (the runner decides). */
export function loadScenario(dir: string, name: string): Scenario {
  const worldPath = join(dir, 'world.json');
  const world = parseWorldFile(worldPath, JSON.parse(readFileSync(worldPath, 'utf8')));
  const faultsPath = join(dir, 'faults');
  const readmePath = join(dir, 'README');
  if (!existsSync(faultsPath)) throw new Error(`${dir}: no faults file`);
  if (!existsSync(readmePath)) throw new Error(`${dir}: no README`);
  const expectPath = join(dir, 'expect.log');
  return {
    name,
    dir,
    readme: readFileSync(readmePath, 'utf8').trim(),
    world,
    hosts: world.hosts.map(hostSpec),
    vms: world.vms.map(vmSpec),
    faultLines: readFileSync(faultsPath, 'utf8').split('\n'),
    expectPath,
    expected: existsSync(expectPath) ? readFileSync(expectPath, 'utf8') : null,
  };
}
