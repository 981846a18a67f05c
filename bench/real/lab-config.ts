/**
 * What both sides of a `--real` comparison share: the rack (names, roles, sizes, which VMs can
 * restart their service), the policy and probe settings, and the timings of the lab's machines,
 * given to the simulator as constants so the sim models the same machines. Also which crash
 * classes the lab can express, and why the others are left out.
 */
import type { FenceOptions } from '../../src/controller/fence.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../../src/core/policy.js';
import type { HostSpec, VmSpec } from '../../src/core/types.js';
import { constant, type SimLatency, type SimTimings } from '../../src/env/sim/index.js';
import type { ClassName } from '../classes.js';
import type { LabTimings } from '../../test/lab/real-lab/lab-machines.js';
import { hostCapacity, labMac, SERVICE_RESTART_COMMAND, vmBase, type LabTopology } from '../../test/lab/real-lab/topology.js';

/** The sim side's rack: the same names, roles and sizes, at addresses no packet is ever sent to. */
export function simSpecs(t: LabTopology): { hosts: HostSpec[]; vms: VmSpec[] } {
  const hosts = t.hosts.map((h, i): HostSpec => {
    const ip = `198.18.0.${i + 1}`;
    return {
      name: h.name,
      role: h.role,
      macs: [labMac(i)],
      ip,
      bmc: { address: `198.18.1.${i + 1}`, port: 623, user: 'admin', secretRef: `bmc-${h.name}` },
      hypervisorUri: `test:///lab/${h.name}.xml`,
      ssh: { host: ip, port: 22, user: 'root', keyRef: 'lab-key' },
      capacity: hostCapacity(h),
    };
  });
  const vms = t.vms.map((v, i): VmSpec => {
    const guest = `198.18.2.${i + 1}`;
    return {
      ...vmBase(v),
      guestAddress: guest,
      ssh: { host: guest, port: 22, user: 'root', keyRef: 'lab-key' },
      serviceCheck: v.restartable ? { kind: 'tcp', port: 8080, restartCommand: SERVICE_RESTART_COMMAND } : { kind: 'tcp', port: 8080 },
    };
  });
  return { hosts, vms };
}

// --- the policy and probe settings, the same on both sides ---------------------------------------

/**
 * Shortened so that one injection takes seconds of real time: 1 s probes, failAfter 2 /
 * recoverAfter 3 (the e2e tests' values), rung timeouts of 15-20 s (every lab action takes well
 * under 5 s), a 10 s boot grace for VMs leaving `blocked` (guests boot in 1 s). No self-fencing:
 * the lab's hosts have no storage-lease watchdog, every fence is confirmed by the BMC.
 */
export const LAB_POLICY_INPUT: DeepPartial<Policy> = {
  failAfter: 2,
  recoverAfter: 3,
  blockedGraceSeconds: 10,
  vmShutdownTimeoutSeconds: 5,
  selfFenceAfterSeconds: null,
  rungs: {
    'service-restart': { timeoutSeconds: 15 },
    reboot: { timeoutSeconds: 20 },
    'restart-vm': { timeoutSeconds: 15 },
    'restart-hypervisor': { timeoutSeconds: 15 },
    'fence-migrate': { timeoutSeconds: 20 },
    reinstall: { timeoutSeconds: 20 },
  },
};

export function labPolicy(): Policy {
  return resolvePolicy(LAB_POLICY_INPUT);
}

export const LAB_PROBES = { intervalMs: 1_000, timeoutMs: 3_000, concurrency: 8 } as const;
export const LAB_FENCE: FenceOptions = { confirmTimeoutMs: 3_000, pollMs: 250, maxOffAttempts: 3 };

/** The lab's machines (lab-machines.ts). */
export const LAB_TIMINGS: LabTimings = {
  hostBootMs: 2_000,
  hostShutdownMs: 500,
  guestBootMs: 1_000,
  hypervisorRestartMs: 1_000,
};

/** The same machines for the simulator (src/env/sim/timing.ts), as constants. */
export const SIM_TIMINGS: Partial<SimTimings> = {
  hostBootSeconds: constant(LAB_TIMINGS.hostBootMs / 1000),
  hostShutdownSeconds: constant(LAB_TIMINGS.hostShutdownMs / 1000),
  vmBootSeconds: constant(LAB_TIMINGS.guestBootMs / 1000),
  // The test driver stops a domain at once on shutdown.
  vmShutdownSeconds: constant(0),
  hypervisorRestartSeconds: constant(LAB_TIMINGS.hypervisorRestartMs / 1000),
  // A service process listening again (node start-up), measured about 0.1-0.2 s here.
  serviceRestartSeconds: constant(0.15),
};

/**
 * What talking to the lab's peers costs, for the simulator (src/env/sim/sim-context.ts), measured
 * here: an ipmitool round trip to ipmi_sim about 0.05-0.1 s, an SSH command 0.3-0.5 s (a probe of
 * a healthy host is its SSH check), libvirt test:/// calls in-process. A silent target (off,
 * booting, hung: lab-sshd.ts SilentPort, lab-hypervisor.ts) costs the 2 s deadline of the check
 * that waits; an SSH command to it waits for the command's own deadline.
 */
export const SIM_LATENCY: Partial<SimLatency> = {
  bmcLatencySeconds: 0.08,
  libvirtLatencySeconds: 0.005,
  libvirtConnectTimeoutSeconds: 2,
  sshLatencySeconds: 0.4,
  sshConnectTimeoutSeconds: 600,
  probeLatencySeconds: 0.4,
  probeTimeoutSeconds: 2,
  pollIntervalSeconds: 0.5,
};

/** An episode ends when everything has been healthy (no open incident) for this long... */
export const LAB_STABLE_MS = 2 * LAB_PROBES.intervalMs;
/** ...or at the latest this long after the injection (both sides; the sim in virtual time). */
export const LAB_EPISODE_LIMIT_MS = 90_000;

// --- which classes the lab expresses ------------------------------------------------------------

export const COVERED: Partial<Record<ClassName, string>> = {
  'vm-panic':
    "the domain is destroyed in its host's test:/// hypervisor and the guest's processes die (sshd, service). The test driver " +
    'has no crashed state: the domain reads shutoff where the sim says crashed; both are signature vm-crashed',
  'vm-hang': "the guest's sshd and service die and its address goes silent (connects time out) while the domain keeps running",
  'vm-service': "the guest's service process is killed: the port its TCP service check probes is closed; the guest still answers",
  'hypervisor-crash':
    "the host's hypervisor endpoint refuses every call (the gate of its test:/// connection, lab-hypervisor.ts); the guests " +
    "keep running; `systemctl restart libvirtd` over the host's SSH reopens it after 1 s",
  'host-overload': "as host-hang (the sim models both the same way: silent until power cycled)",
  'host-shutdown':
    "the guests' domains are shut down, the host's sshd and hypervisor stop, then the BMC reads power off (0.5 s later)",
  'host-power-loss':
    "ipmi_sim's chassis power goes off (standby BMC still answers): sshd, hypervisor and every domain and guest stop at once",
  'host-hang':
    "the host's sshd and hypervisor stop answering and its guests freeze while ipmi_sim still reports power on; a BMC power " +
    'off or cycle ends it',
  correlated:
    'the power-loss and hang variants, on every primary of a lab sized to the plan (2-4 primaries, one spare with room for all); ' +
    'the isolate variant is skipped (see host-partition)',
};

export const SKIPPED: Partial<Record<ClassName, string>> = {
  'host-destructive':
    'repair needs a real PXE reinstall (QEMU + iPXE in a network namespace, minutes per install under TCG); the lab hosts ' +
    'have no provisioner, and a faked reinstall would check nothing (bench/pxe measures the PXE path)',
  'host-partition':
    "needs the host's own network cut while it keeps running (a network namespace per host), healed after a " +
    'log-normal 7 min (sd 4 min) of real time; not expressed',
  'host-and-bmc-dead':
    'recovery rests on self-fencing by a storage-lease watchdog the lab hosts do not have, and the technician swaps the part ' +
    'after a log-normal 30 min (sd 15 min) of real time',
  'host-flapping': 'the host hangs again 3-4 times, 4-12 min apart: 10-40 min of real time per injection',
  'controller-partition':
    "needs the controller's own network cut from every lab host and BMC (a network namespace for the controller) for 2-30 min " +
    'of real time; not expressed',
  'peer-reachable-partition':
    'needs the host cut off from the controller only (a network namespace per host) for 2-30 min of real time; not expressed',
};

/** Variants of a covered class the lab cannot express, with the reason. */
export function skippedVariant(cls: ClassName, variant: string): string | null {
  if (cls === 'correlated' && variant.startsWith('isolate')) return SKIPPED['host-partition'] ?? 'isolate';
  return null;
}
