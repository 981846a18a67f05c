/**
 * The lab used when `3rc controller` starts without a config file: four primaries and a spare in
 * the simulator, ten VMs, and a crash injected about every 45 s, so a first run shows recoveries.
 * Kept as config *input* so it goes through exactly the validation a file does.
 */
import type { ConfigFileInput } from './schema.js';

type HostIn = NonNullable<NonNullable<ConfigFileInput['inventory']>['hosts']>[number];
type VmIn = NonNullable<NonNullable<ConfigFileInput['inventory']>['vms']>[number];

function host(name: string, n: number, role: 'primary' | 'spare'): HostIn {
  const ip = `10.10.0.${n}`;
  return {
    name,
    role,
    macs: [`52:54:00:10:00:${n.toString(16).padStart(2, '0')}`],
    ip,
    bmc: { address: `10.10.1.${n}`, user: 'admin', secretRef: 'lab-bmc' },
    hypervisorUri: `qemu+ssh://root@${ip}/system`,
    ssh: { host: ip, user: 'root', keyRef: 'lab-ssh' },
    capacity: role === 'spare' ? { cores: 48, ramGb: 384, diskTb: 8 } : { cores: 32, ramGb: 256, diskTb: 4 },
  };
}

interface VmDef {
  name: string;
  host: string;
  cores: number;
  ramGb: number;
  priority?: number;
  check?: VmIn['serviceCheck'];
}

const VMS: VmDef[] = [
  { name: 'web1', host: 'hv1', cores: 2, ramGb: 4, check: { kind: 'http', port: 80, path: '/healthz', restartCommand: 'systemctl restart nginx' } },
  { name: 'web2', host: 'hv1', cores: 2, ramGb: 4, check: { kind: 'tcp', port: 80, restartCommand: 'systemctl restart nginx' } },
  { name: 'db1', host: 'hv2', cores: 8, ramGb: 32, priority: 100, check: { kind: 'tcp', port: 5432, restartCommand: 'systemctl restart postgresql' } },
  { name: 'cache1', host: 'hv2', cores: 2, ramGb: 8, priority: 50, check: { kind: 'tcp', port: 6379, restartCommand: 'systemctl restart redis' } },
  { name: 'app1', host: 'hv3', cores: 4, ramGb: 8, priority: 60, check: { kind: 'tcp', port: 8080, restartCommand: 'systemctl restart app' } },
  { name: 'app2', host: 'hv3', cores: 4, ramGb: 8, priority: 60, check: { kind: 'tcp', port: 8080, restartCommand: 'systemctl restart app' } },
  { name: 'queue1', host: 'hv3', cores: 2, ramGb: 4, priority: 40, check: { kind: 'tcp', port: 5672 } },
  { name: 'dns1', host: 'hv4', cores: 1, ramGb: 2, priority: 90, check: { kind: 'tcp', port: 53, restartCommand: 'systemctl restart unbound' } },
  { name: 'mail1', host: 'hv4', cores: 2, ramGb: 4, check: { kind: 'tcp', port: 25 } },
  { name: 'build1', host: 'hv4', cores: 8, ramGb: 16, priority: -10 },
];

function vm(d: VmDef, i: number): VmIn {
  const guest = `10.10.2.${11 + i}`;
  return {
    name: d.name,
    uuid: `3c0ffee0-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
    homeHost: d.host,
    priority: d.priority ?? 0,
    diskPath: `/srv/shared/vms/${d.name}.qcow2`,
    resources: { cores: d.cores, ramGb: d.ramGb, diskGb: 40 },
    guestAddress: guest,
    ...(d.check?.restartCommand ? { ssh: { host: guest, user: 'root', keyRef: 'lab-ssh' } } : {}),
    ...(d.check ? { serviceCheck: d.check } : {}),
  };
}

export function defaultDemoInput(): ConfigFileInput {
  return {
    environment: { kind: 'sim' },
    inventory: {
      hosts: [host('hv1', 11, 'primary'), host('hv2', 12, 'primary'), host('hv3', 13, 'primary'), host('hv4', 14, 'primary'), host('spare1', 21, 'spare')],
      vms: VMS.map(vm),
    },
    demo: { crashEverySeconds: 45, seed: 1 },
    // A local scraper reads the counters without a token; everything else needs one, as in production.
    api: { metricsOpen: true },
    // Host on demand (README "Host on demand"): real qemu-img overlays over a base image in
    // .3rc/on-demand/base/ that the walk-through creates; the lent VM itself is simulated.
    catalogue: {
      os: [{ name: 'debian-12', description: 'Debian 12 cloud image (demo: an empty base disk)', kind: 'image', baseImage: '.3rc/on-demand/base/debian-12.qcow2' }],
      middleware: [
        { name: 'htcondor', description: 'HTCondor execute node', packages: ['htcondor'], firstBoot: ['systemctl enable --now condor'] },
        { name: 'cvmfs', description: 'CernVM-FS client', packages: ['cvmfs'], firstBoot: ['cvmfs_config setup'] },
      ],
    },
    onDemand: { storageDir: '.3rc/on-demand' },
    // The simulator never reads these; they show where a real lab's secrets would come from.
    secrets: { 'lab-bmc': { env: 'RRC_LAB_BMC_PASSWORD' }, 'lab-ssh': { env: 'RRC_LAB_SSH_KEY' } },
  };
}
