/**
 * The real lab's rack: hosts and VMs by name, role and size (which VMs can restart their
 * service), the parts of their specs both sides of a `--real` comparison share, and the real
 * drivers' deadlines in the lab.
 */
import type { HostRole, HostSpec, VmSpec } from '../../../src/core/types.js';
import type { RealTimeouts } from '../../../src/env/real/real-env.js';
import { testDomainXml } from '../peers/libvirt-xml.js';

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
