/**
 * Failure signatures: every probe of a target folded into one verdict that names what is broken.
 * The state machine picks the entry rung from the signature, so the ladder starts where the
 * evidence points (BMC says off -> power on; host fine but hypervisor not -> restart it).
 */
import type { TargetKind } from './types.js';

export type PowerState = 'on' | 'off' | 'unknown';
/**
 * How far the host got in its last boot, as its BMC tells it (Redfish
 * `ComputerSystem.BootProgress.LastState`; with IPMI, the SEL's "System Boot Initiated",
 * "Boot Error: No bootable media" and "OS Boot: boot completed" events). The BMC cannot tell a
 * hung kernel from a running one: both stay `os-running`.
 */
export type BootProgress = 'off' | 'booting' | 'os-running' | 'boot-failed' | 'unknown';
export type DomainState = 'running' | 'paused' | 'shutoff' | 'crashed' | 'missing' | 'unknown';

/** What the probes saw of a physical host. `null` means "not probed" (no such check configured). */
export interface HostObservation {
  /** BMC answered at all. */
  bmcReachable: boolean | null;
  power: PowerState;
  /** TCP connect to the host's management port (SSH) succeeded. */
  reachable: boolean;
  /** An SSH command ran (host OS is alive, not only its TCP stack). */
  shellOk: boolean | null;
  /** The hypervisor (libvirt) connection answered. */
  hypervisorOk: boolean;
  /** Boot progress read from the BMC; absent or `unknown` when the BMC or its driver cannot say. */
  bootProgress?: BootProgress;
  /**
   * The installation check (a configured command over SSH), run only while the host answers and its
   * hypervisor does not: false is positive evidence of a broken installation; absent or null: not run.
   */
  installOk?: boolean | null;
  /** Free-form details per probe for the timeline (error texts, latencies). */
  details?: Record<string, string>;
}

/** What the probes saw of a virtual machine. */
export interface VmObservation {
  /** The host the VM is on is failed / being recovered: the host incident owns this VM. */
  hostDown: boolean;
  hypervisorOk: boolean;
  domain: DomainState;
  /** The guest answered on the network (TCP connect or heartbeat). */
  guestReachable: boolean;
  /** Service check verdict, null when the VM has none. */
  serviceOk: boolean | null;
  details?: Record<string, string>;
}

export type SignatureCode =
  | 'ok'
  // host
  | 'host-power-off'
  | 'host-unreachable'
  /** Silent on the network although its BMC says it booted and the OS runs (hang, network cut). */
  | 'host-unreachable-os-running'
  /** Powered on, and the BMC reports the boot failed (no bootable device: /boot or the disk gone). */
  | 'host-boot-failed'
  | 'host-os-hung'
  /** Answers, its hypervisor does not, and it fails its installation check: a reinstall is justified. */
  | 'host-install-broken'
  | 'hypervisor-down'
  | 'host-and-bmc-unreachable'
  // vm
  | 'vm-host-down'
  | 'vm-crashed'
  | 'vm-missing'
  | 'vm-hung'
  | 'vm-paused'
  | 'vm-service-dead'
  | 'vm-hypervisor-down';

export interface Signature {
  code: SignatureCode;
  healthy: boolean;
  /** One line an operator can read. */
  summary: string;
}

function sig(code: SignatureCode, summary: string): Signature {
  return { code, healthy: code === 'ok', summary };
}

export function classifyHost(o: HostObservation): Signature {
  if (o.power === 'off') return sig('host-power-off', 'BMC reports chassis power off');
  if (!o.reachable) {
    if (o.bmcReachable === false) return sig('host-and-bmc-unreachable', 'host and its BMC both unreachable');
    if (o.power === 'on' && o.bootProgress === 'boot-failed') return sig('host-boot-failed', 'BMC reports power on and a failed boot (no bootable device)');
    if (o.power === 'on' && o.bootProgress === 'os-running') {
      return sig('host-unreachable-os-running', `host does not answer on the network; BMC reports power on and the OS running${o.details?.probe ? ` (${o.details.probe})` : ''}`);
    }
    const power = o.power === 'on' ? 'BMC reports power on' : 'power state unknown';
    return sig('host-unreachable', `host does not answer on the network; ${power}${o.details?.probe ? ` (${o.details.probe})` : ''}`);
  }
  if (o.shellOk === false) return sig('host-os-hung', 'host accepts TCP but no command runs');
  if (!o.hypervisorOk && o.installOk === false) {
    return sig('host-install-broken', `host answers but its hypervisor does not and it fails its installation check${o.details?.install ? ` (${o.details.install})` : ''}`);
  }
  if (!o.hypervisorOk) return sig('hypervisor-down', 'host answers but its hypervisor does not');
  return sig('ok', 'host healthy');
}

export function classifyVm(o: VmObservation): Signature {
  if (o.hostDown) return sig('vm-host-down', 'the host of this VM is down; the host incident owns it');
  if (!o.hypervisorOk) return sig('vm-hypervisor-down', 'hypervisor of the VM host does not answer');
  switch (o.domain) {
    case 'missing':
      return sig('vm-missing', 'domain not defined on its host');
    case 'shutoff':
    case 'crashed':
      return sig('vm-crashed', `domain is ${o.domain}`);
    case 'paused':
      return sig('vm-paused', 'domain is paused');
    case 'unknown':
      return sig('vm-hung', 'domain state unknown');
    case 'running':
      break;
  }
  if (!o.guestReachable) return sig('vm-hung', 'domain running but guest does not answer');
  if (o.serviceOk === false) return sig('vm-service-dead', 'guest answers but its service check fails');
  return sig('ok', 'vm healthy');
}

export function classify(kind: TargetKind, o: HostObservation | VmObservation): Signature {
  return kind === 'host' ? classifyHost(o as HostObservation) : classifyVm(o as VmObservation);
}

/** Host signatures after which the host's VMs are no longer running (or cannot be trusted). */
export function hostLostItsVms(code: SignatureCode): boolean {
  return (
    code === 'host-power-off' ||
    code === 'host-unreachable' ||
    code === 'host-unreachable-os-running' ||
    code === 'host-boot-failed' ||
    code === 'host-os-hung' ||
    code === 'host-and-bmc-unreachable'
  );
}
