/**
 * Types of the simulated rack (world.ts): host, domain and guest states, events, fault commands.
 */
import type { HostSpec, TargetId, VmSpec } from '../../core/types.js';
import type { Clock } from '../env.js';
import type { Seed } from './random.js';
import type { SimTimings } from './timing.js';

export type BmcState = 'ok' | 'dead' | 'hung';
export type OsState = 'up' | 'booting' | 'hung' | 'down' | 'broken' | 'installing';
export type GuestState = 'off' | 'booting' | 'up' | 'hung' | 'panicked';
export type SimDomainState = 'running' | 'paused' | 'shutoff' | 'crashed';
export type PxePhase = 'dhcp' | 'tftp' | 'http' | 'kickstart' | 'callback';

export interface SimDomain {
  readonly vm: string;
  state: SimDomainState;
  guest: GuestState;
  service: 'up' | 'down';
  autostart: boolean;
  /** Undefined while running: disappears when it stops (libvirt transient domain). */
  transient: boolean;
  epoch: number;
}

export interface SimHost {
  readonly spec: HostSpec;
  power: 'on' | 'off';
  bmc: BmcState;
  os: OsState;
  hypervisor: 'up' | 'down';
  /** `host <h> partition`: the controller <-> host path is cut; peers and users still reach it. */
  partitioned: boolean;
  /** `host <h> isolate`: the host's own network (NIC, switch port) is down: nobody reaches it. */
  isolated: boolean;
  /** `host <h> bmc-lies-off`: the BMC reports power off and ignores chassis commands. */
  bmcLiesOff: boolean;
  overloaded: boolean;
  /** One-shot, like `ipmitool chassis bootdev pxe` without `persistent`. */
  bootDevice: 'disk' | 'pxe';
  bootDestroyed: boolean;
  /** `break-install`: the OS boots but libvirtd cannot start and the installation check fails, until a reinstall. */
  installBroken: boolean;
  /** Kickstart template of the last completed install ('default': a hypervisor). */
  installedTemplate: string;
  /** Template the next PXE install uses (set by the provisioner; back to 'default' once used). */
  nextInstallTemplate: string;
  readonly domains: Map<string, SimDomain>;
  epoch: number;
}

export interface WorldEvent {
  at: number;
  target: TargetId;
  change: string;
  /** Set on PXE install milestones reported by the host's firmware / installer. */
  pxe?: PxePhase;
}

export type HostFault =
  | 'power-loss' | 'power-on' | 'shutdown' | 'hang' | 'overload' | 'destroy-boot' | 'break-install'
  | 'partition' | 'heal-partition' | 'isolate' | 'heal-isolate'
  | 'bmc-dead' | 'bmc-hung' | 'bmc-ok' | 'bmc-lies-off' | 'bmc-honest';
/** The controller's own network: cut from every host, BMC and guest, or back. */
export type ControllerFault = 'partition' | 'heal';
export type VmFault = 'panic' | 'hang' | 'service-dead' | 'destroy' | 'undefine';
export type FaultCommand =
  | { kind: 'host'; host: string; fault: HostFault }
  | { kind: 'hypervisor'; host: string; fault: 'crash' }
  | { kind: 'controller'; fault: ControllerFault }
  | { kind: 'vm'; vm: string; fault: VmFault }
  | { kind: 'delay'; seconds: number };

export interface WorldOptions {
  hosts: HostSpec[];
  /** Each starts running (guest and service up) on its `currentHost`. */
  vms: VmSpec[];
  clock: Clock;
  seed?: Seed;
  timings?: Partial<SimTimings>;
  /** VMs whose domains are marked autostart (started by libvirtd when their host boots). */
  autostart?: string[];
  /**
   * Storage-lease watchdog (sanlock / oVirt style), in seconds; null (default) = none. A powered-on
   * host that has lost contact (hung, overloaded, partitioned) while it still runs guests cannot
   * renew its storage lease, so its hardware watchdog resets it this long after contact was lost:
   * its domains stop, as after a power cycle, and it boots again. See world.ts.
   */
  watchdogSeconds?: number | null;
  /** What the watchdog counts as contact: `storage` (default, sanlock) or `cluster` (3RC's agent). See world.ts. */
  watchdogContact?: WatchdogContact;
}

export type WatchdogContact = 'storage' | 'cluster';
