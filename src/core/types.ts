/**
 * Domain types shared by every layer. Pure data: no I/O, no classes with behaviour.
 * Times are epoch milliseconds (numbers) taken from the injected clock.
 */

export type TargetKind = 'host' | 'vm';
export type HostRole = 'primary' | 'spare';

/** A target is addressed as `host:<name>` or `vm:<name>`. */
export type TargetId = `${TargetKind}:${string}`;

export function targetId(kind: TargetKind, name: string): TargetId {
  return `${kind}:${name}`;
}

export function parseTargetId(id: string): { kind: TargetKind; name: string } {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const name = id.slice(colon + 1);
  if ((kind !== 'host' && kind !== 'vm') || name.length === 0) {
    throw new Error(`invalid target id "${id}" (expected host:<name> or vm:<name>)`);
  }
  return { kind, name };
}

export interface BmcSpec {
  address: string;
  port: number;
  user: string;
  /** Name of the secret holding the password (env var, file...), never the password itself. */
  secretRef: string;
}

export interface SshSpec {
  host: string;
  port: number;
  user: string;
  /** Name of the secret holding the private key. */
  keyRef?: string;
}

export interface Capacity {
  cores: number;
  ramGb: number;
  diskTb: number;
}

export interface HostSpec {
  name: string;
  role: HostRole;
  macs: string[];
  ip: string;
  bmc?: BmcSpec;
  hypervisorUri: string;
  ssh?: SshSpec;
  capacity: Capacity;
  /**
   * The watchdog contract the host runs (issue 9): a host that loses its storage lease resets
   * itself within `leaseTimeoutSeconds`. Without one the controller never assumes a silent host
   * has fenced itself.
   */
  watchdog?: HostWatchdog;
}

/**
 * What resets the host: a storage-lease watchdog (sanlock, wdmd), a hardware watchdog the
 * operator runs, or 3RC's own agent (kickstart/rrc-watchdog.sh: fed while the host reaches a
 * controller or a majority of its peers) on a hardware device or, where the host has none, softdog.
 */
export const WATCHDOG_KINDS = ['sanlock', 'wdmd', 'hardware', 'rrc-agent', 'rrc-agent-softdog'] as const;
export type WatchdogKind = (typeof WATCHDOG_KINDS)[number];

export interface HostWatchdog {
  kind: WatchdogKind;
  leaseTimeoutSeconds: number;
}

export type ServiceCheck =
  | { kind: 'tcp'; port: number; restartCommand?: string }
  | { kind: 'http'; port: number; path: string; expectStatus?: number; restartCommand?: string }
  | { kind: 'ssh'; command: string; restartCommand?: string };

export interface VmResources {
  cores: number;
  ramGb: number;
  diskGb: number;
}

export interface VmSpec {
  name: string;
  uuid: string;
  /** libvirt domain XML kept in the store, used to start the VM on another host. */
  domainXml?: string;
  template?: string;
  homeHost: string;
  currentHost: string;
  /** Higher first when competing for spare capacity. */
  priority: number;
  /** Disk on shared storage, reachable from every host. */
  diskPath?: string;
  resources: VmResources;
  /** Address the guest answers on (for TCP / HTTP / SSH checks). */
  guestAddress?: string;
  /** How to reach the guest over SSH (service restarts, ssh service checks). */
  ssh?: SshSpec;
  serviceCheck?: ServiceCheck;
}

export type HostOperationalState = 'active' | 'failed' | 'recovering' | 'quarantined' | 'maintenance' | 'fenced';

export { RUNGS, rungNumber, type RungName, type RungNumber } from './rungs.js';

/** Concrete action the controller executes for a rung, given the target and its signature. */
export type ActionKind =
  | 'service-restart'
  | 'vm-reboot'
  | 'vm-restart'
  | 'vm-move'
  | 'host-power-on'
  | 'host-reboot'
  | 'hypervisor-restart'
  | 'fence-migrate'
  | 'reinstall'
  | 'quarantine'
  /** Not a rung of its own: the aftermath of an evacuation, when the fenced host is back. */
  | 'remove-stale-copies';

export type ActionOutcome = 'ok' | 'failed' | 'blocked' | 'held' | 'interrupted';

export type IncidentState = 'open' | 'recovering' | 'awaiting-operator' | 'resolved' | 'quarantined' | 'cancelled';

/** The public summary of a target's state machine, every value (API enum, metric labels). */
export const TARGET_PHASES = [
  'healthy',
  'suspect',
  'failed',
  'recovering',
  'verifying',
  // An action was held by the safety gate: the incident stays open and asks again later.
  'holding',
  'blocked',
  'awaiting-operator',
  'quarantined',
  'maintenance',
] as const;

export type TargetPhase = (typeof TARGET_PHASES)[number];
