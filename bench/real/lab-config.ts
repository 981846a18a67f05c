/**
 * What both sides of a `--real` comparison share: the rack (names, roles, sizes, which VMs can
 * restart their service), the policy and probe settings, and the timings of the lab's machines,
 * given to the simulator as constants so the sim models the same machines. Also which crash
 * classes the lab can express, and why the others are left out.
 */
import type { FenceOptions } from '../../src/controller/fence.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../../src/core/policy.js';
import type { HostRole, HostSpec, VmSpec } from '../../src/core/types.js';
import type { RealTimeouts } from '../../src/env/real/real-env.js';
import { constant, type SimLatency, type SimTimings } from '../../src/env/sim/index.js';
import { testDomainXml } from '../../test/helpers/peers/libvirt-xml.js';
import type { ClassName } from '../classes.js';
import type { LabTimings } from './lab-machines.js';

export interface LabHostPlan {
  name: string;
  role: HostRole;
  cpus: number;
  memoryMb: number;
}

export interface LabVmPlan {
  name: string;
  uuid: string;
  home: string;
  vcpus: number;
  memoryMb: number;
  /** Its service check has a restart command (rung 0 applies); otherwise a guest reboot. */
  restartable: boolean;
  priority: number;
}

export interface LabTopology {
  hosts: LabHostPlan[];
  vms: LabVmPlan[];
}

export const SERVICE_RESTART_COMMAND = 'systemctl restart app';

/**
 * `primaries` hosts carrying VMs and one spare: hv1 carries web1 (restartable) and db1 (not),
 * hv2 carries app1 (restartable), each further primary one restartable VM. The spare has room for
 * every VM (evacuations never compete for it).
 */
export function labTopology(primaries = 2): LabTopology {
  const n = Math.max(2, primaries);
  const hosts: LabHostPlan[] = [];
  for (let i = 1; i <= n; i++) hosts.push({ name: `hv${i}`, role: 'primary', cpus: 8, memoryMb: 16_384 });
  hosts.push({ name: 'spare1', role: 'spare', cpus: 16, memoryMb: 32_768 });
  const vm = (i: number, name: string, home: string, restartable: boolean, memoryMb: number, vcpus: number): LabVmPlan => ({
    name, uuid: `00000000-0000-4000-8000-0000000${String(500 + i).padStart(5, '0')}`, home, vcpus, memoryMb, restartable, priority: 10 - i,
  });
  const vms: LabVmPlan[] = [vm(1, 'web1', 'hv1', true, 1024, 1), vm(2, 'db1', 'hv1', false, 2048, 2), vm(3, 'app1', 'hv2', true, 1024, 1)];
  for (let i = 3; i <= n; i++) vms.push(vm(i + 1, `app${i - 1}`, `hv${i}`, true, 1024, 1));
  return { hosts, vms };
}

/** The part of a VM spec both sides share (addresses and ports are each side's own). */
export function vmBase(v: LabVmPlan): Omit<VmSpec, 'guestAddress' | 'ssh' | 'serviceCheck'> {
  return {
    name: v.name,
    uuid: v.uuid,
    domainXml: testDomainXml({ name: v.name, uuid: v.uuid, memoryMb: v.memoryMb, vcpus: v.vcpus }),
    homeHost: v.home,
    currentHost: v.home,
    priority: v.priority,
    resources: { cores: v.vcpus, ramGb: Math.ceil(v.memoryMb / 1024), diskGb: 10 },
  };
}

export function hostCapacity(h: LabHostPlan): HostSpec['capacity'] {
  return { cores: h.cpus, ramGb: Math.floor(h.memoryMb / 1024), diskTb: 1 };
}

export function labMac(i: number): string {
  return `52:54:00:00:20:${(i + 1).toString(16).padStart(2, '0')}`;
}

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

/**
 * Per-call deadlines of the real drivers and probes: 2 s for every check, so a probe of a silent
 * target costs 2 s whichever check waits (the simulator's probe timeout), and a healthy sshd on a
 * loaded 2-core machine (up to ~0.8 s for `true`) stays well inside.
 */
export const LAB_REAL_TIMEOUTS: RealTimeouts = {
  ipmiMs: 2_000,
  ipmiRetries: 1,
  libvirtCallMs: 2_000,
  probe: { bmcMs: 2_000, tcpMs: 2_000, sshMs: 2_000, libvirtMs: 2_000, guestMs: 2_000, serviceMs: 2_000 },
};

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
    'the partition variant is skipped (see host-partition)',
};

export const SKIPPED: Partial<Record<ClassName, string>> = {
  'host-destructive':
    'repair needs a real PXE reinstall (QEMU + iPXE in a network namespace, minutes per install under TCG); the lab hosts ' +
    'have no provisioner, and a faked reinstall would check nothing (bench/pxe measures the PXE path)',
  'host-partition':
    "needs the host cut off from the controller while it keeps running (a network namespace per host), healed after a " +
    'log-normal 7 min (sd 4 min) of real time; not expressed',
  'host-and-bmc-dead':
    'recovery rests on self-fencing by a storage-lease watchdog the lab hosts do not have, and the technician swaps the part ' +
    'after a log-normal 30 min (sd 15 min) of real time',
  'host-flapping': 'the host hangs again 3-4 times, 4-12 min apart: 10-40 min of real time per injection',
};

/** Variants of a covered class the lab cannot express, with the reason. */
export function skippedVariant(cls: ClassName, variant: string): string | null {
  if (cls === 'correlated' && variant.startsWith('partition')) return SKIPPED['host-partition'] ?? 'partition';
  return null;
}
