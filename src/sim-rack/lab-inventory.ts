/** The small rack of the tests and examples: two primaries, one spare, four VMs (two with a service). */
import type { HostSpec, VmSpec } from '../core/index.js';

export function labHosts(): HostSpec[] {
  const host = (name: string, n: number, role: 'primary' | 'spare'): HostSpec => ({
    name,
    role,
    macs: [`52:54:00:00:00:0${n}`],
    ip: `198.18.0.${10 + n}`,
    bmc: { address: `198.18.1.${10 + n}`, port: 623, user: 'admin', secretRef: 'bmc' },
    hypervisorUri: `qemu+ssh://root@198.18.0.${10 + n}/system`,
    ssh: { host: `198.18.0.${10 + n}`, port: 22, user: 'root' },
    capacity: { cores: 32, ramGb: 128, diskTb: 4 },
  });
  return [host('hv1', 1, 'primary'), host('hv2', 2, 'primary'), host('spare1', 3, 'spare')];
}

export function labVms(): VmSpec[] {
  const vm = (name: string, n: number, home: string, withService: boolean): VmSpec => ({
    name,
    uuid: `00000000-0000-4000-8000-00000000000${n}`,
    homeHost: home,
    currentHost: home,
    priority: n,
    diskPath: `/shared/${name}.qcow2`,
    resources: { cores: 4, ramGb: 8, diskGb: 40 },
    guestAddress: `198.18.2.${n}`,
    ...(withService ? { serviceCheck: { kind: 'tcp' as const, port: 80, restartCommand: 'systemctl restart nginx' } } : {}),
  });
  return [vm('web1', 1, 'hv1', true), vm('db1', 2, 'hv1', false), vm('ce1', 3, 'hv2', false), vm('ui1', 4, 'hv2', true)];
}
