/**
 * The Env boundary: everything the core and the controller need from the world.
 * One contract, two implementations: `real/` (drivers for libvirt, IPMI, SSH, PXE, wall clock)
 * and `sim/` (a simulated rack on a virtual clock). The controller never imports a driver.
 */
import type { BootProgress, DomainState, HostObservation, PowerState, VmObservation } from '../core/signature.js';
import type { HostSpec, SshSpec, VmSpec } from '../core/types.js';

/** Same contract as XState's clock (setTimeout / clearTimeout) plus `now`. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of pino's logger the core uses, so the core does not import pino. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface Prober {
  probeHost(host: HostSpec): Promise<HostObservation>;
  /** `hostDown` is decided by the controller (it knows the host's incident), not by the prober. */
  probeVm(vm: VmSpec, host: HostSpec): Promise<Omit<VmObservation, 'hostDown'>>;
}

export type BootDevice = 'pxe' | 'disk';

/**
 * Every driver call that acts or waits takes one (issue 9): an aborted call stops waiting, kills
 * what it started (ipmitool child, SSH channel), skips the steps it has not begun and rejects.
 */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Out-of-band power control (BMC). Every call has its own timeout and throws typed errors. */
export interface PowerDriver {
  status(host: HostSpec, opts?: CallOptions): Promise<PowerState>;
  on(host: HostSpec, opts?: CallOptions): Promise<void>;
  off(host: HostSpec, opts?: CallOptions): Promise<void>;
  cycle(host: HostSpec, opts?: CallOptions): Promise<void>;
  reset(host: HostSpec, opts?: CallOptions): Promise<void>;
  setBootDevice(host: HostSpec, device: BootDevice, opts?: CallOptions): Promise<void>;
  /** How far the last boot got, from the BMC's event log; drivers that cannot tell leave it out. */
  bootProgress?(host: HostSpec): Promise<BootProgress>;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  state: DomainState;
}

export interface NodeInfo {
  cores: number;
  memoryMb: number;
}

export interface HypervisorDriver {
  /** Throws when the hypervisor does not answer. */
  ping(host: HostSpec, opts?: CallOptions): Promise<void>;
  listDomains(host: HostSpec, opts?: CallOptions): Promise<DomainInfo[]>;
  domainState(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<DomainState>;
  /** Soft reboot: shutdown, wait, start; destroy + start if the guest ignores the shutdown. */
  reboot(host: HostSpec, vm: VmSpec, opts: { shutdownTimeoutMs: number } & CallOptions): Promise<void>;
  /** Hard restart: destroy (if running) + start. */
  restart(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void>;
  /** Define the domain from the XML kept in the store (if not defined) and start it. */
  defineAndStart(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void>;
  /** Stop the domain at once (no-op if not running). */
  destroy(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void>;
  /** Remove the definition (no-op if not defined). */
  undefine(host: HostSpec, vm: VmSpec, opts?: CallOptions): Promise<void>;
  nodeInfo(host: HostSpec): Promise<NodeInfo>;
  /** UUIDs (lower case) of the domains defined on `host` with autostart on: one call per host, for drift checks. */
  autostartDomains(host: HostSpec, opts?: CallOptions): Promise<string[]>;
  /** Autostart of the VM's domain on `host`; the controller keeps it off (issue 9). */
  setAutostart(host: HostSpec, vm: VmSpec, on: boolean, opts?: CallOptions): Promise<void>;
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RemoteShell {
  run(endpoint: SshSpec, command: string, opts: { timeoutMs: number } & CallOptions): Promise<ShellResult>;
}

export interface ReinstallMilestone {
  name: 'bootdev-set' | 'power-cycled' | 'dhcp' | 'tftp' | 'http' | 'kickstart' | 'callback' | string;
  at: number;
  detail?: string;
}

/**
 * What to install instead of the hypervisor (a host lent out by host on demand, `--physical`).
 * Absent: the default template, the host comes back as a hypervisor (the reinstall rung).
 */
export interface InstallProfile {
  /** Kickstart template name: `kickstart/<template>.ks.tpl`. */
  template: string;
  /** The rendered first-boot `%post` section (owner, keys, middleware); '' for none. */
  firstBoot: string;
}

export interface ReinstallOptions extends CallOptions {
  deadlineMs: number;
  onMilestone: (m: ReinstallMilestone) => void;
  profile?: InstallProfile;
}

export interface Provisioner {
  /** Reinstall `host` from scratch over PXE; resolves when the install-complete callback arrived. */
  reinstall(host: HostSpec, opts: ReinstallOptions): Promise<void>;
  /**
   * A reinstall an earlier controller process started (restart, issue 9): no boot-device or power
   * command, only the wait for the milestones still to come and the install-complete callback.
   * Absent: the provisioner cannot take over a reinstall it did not start.
   */
  resume?(host: HostSpec, opts: ReinstallOptions): Promise<void>;
}

/**
 * One peer's answer to "do you reach the target?". `asked: false` means the peer could not be
 * asked (down, unreachable from here, no SSH endpoint, its answer unusable): it is no witness
 * either way and must not be counted. `asked: true, reached: false` is a peer that tried and
 * could not connect: evidence that the target is down on its side too.
 */
export interface PeerReachReport {
  peer: string;
  asked: boolean;
  reached: boolean;
  detail: string;
}

/** The controller's own vantage point; `failed` names each check that failed. */
export interface SelfCheck {
  ok: boolean;
  /** e.g. `witness 198.18.0.1:53 unreachable` */
  failed: string[];
}

/**
 * Independent evidence before a destructive action (issue 9): "the controller cannot reach it"
 * is never enough by itself.
 */
export interface Witnesses {
  /** Ask each peer host (over SSH in the real env) whether it reaches `target` (its address and SSH port). */
  peersReach(target: HostSpec, peers: HostSpec[]): Promise<PeerReachReport[]>;
  /** The controller's own vantage point: configured witness addresses (gateway...) reachable from here. */
  selfCheck(): Promise<SelfCheck>;
}

export interface Env {
  readonly name: 'real' | 'sim' | string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly probes: Prober;
  readonly power: PowerDriver;
  readonly hypervisor: HypervisorDriver;
  readonly shell: RemoteShell;
  readonly provisioner: Provisioner;
  readonly witnesses: Witnesses;
}
