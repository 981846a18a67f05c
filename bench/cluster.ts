/**
 * The bench's rack: `hosts` primaries and `spares` spare hosts of one server model, `vms` VMs
 * spread round-robin over the primaries, every VM with a TCP service check (most with a restart
 * command, so a dead service is restarted in place; the rest get a guest reboot). Deterministic
 * from the seed.
 */
import type { HostSpec, VmSpec } from '../src/core/types.js';
import type { Random } from '../src/env/sim/index.js';

export interface ClusterSize {
  hosts: number;
  spares: number;
  vms: number;
}

/** Rack server: 64 cores, 512 GB; a primary carries about 10 VMs at the default size. */
export const HOST_CAPACITY = { cores: 64, ramGb: 512, diskTb: 8 } as const;
/** VM sizes (cores, GB) and their weights: mostly small services, a few large ones. */
const VM_SIZES: ReadonlyArray<readonly [number, number, number]> = [
  [2, 4, 30],
  [4, 8, 40],
  [4, 16, 20],
  [8, 32, 10],
];
/** Share of VMs whose service check has a restart command (rung 0 applies). */
const RESTARTABLE_SHARE = 0.8;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function ipOf(base: number, index: number): string {
  // 10.<base>.x.y: room for 65,534 addresses per base.
  const n = index + 1;
  return `10.${base}.${(n >> 8) & 255}.${n & 255}`;
}

function macOf(index: number): string {
  const b = [0x52, 0x54, 0x00, (index >> 16) & 255, (index >> 8) & 255, index & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function hostName(i: number, total: number, spare: boolean): string {
  return spare ? `spare${pad(i + 1, String(total).length)}` : `hv${pad(i + 1, String(total).length)}`;
}

export function buildCluster(size: ClusterSize, random: Random): { hosts: HostSpec[]; vms: VmSpec[] } {
  if (size.hosts < 1 || size.spares < 0 || size.vms < 0) throw new RangeError('cluster: need at least one host');
  const hosts: HostSpec[] = [];
  const total = size.hosts + size.spares;
  for (let i = 0; i < total; i++) {
    const spare = i >= size.hosts;
    const name = spare ? hostName(i - size.hosts, size.spares, true) : hostName(i, size.hosts, false);
    const ip = ipOf(1, i);
    hosts.push({
      name,
      role: spare ? 'spare' : 'primary',
      macs: [macOf(i)],
      ip,
      bmc: { address: ipOf(2, i), port: 623, user: 'admin', secretRef: 'bench-bmc' },
      hypervisorUri: `qemu+ssh://root@${ip}/system`,
      ssh: { host: ip, port: 22, user: 'root' },
      capacity: { ...HOST_CAPACITY },
    });
  }
  const totalWeight = VM_SIZES.reduce((s, [, , w]) => s + w, 0);
  const vms: VmSpec[] = [];
  const width = String(size.vms).length;
  for (let i = 0; i < size.vms; i++) {
    let roll = random.next() * totalWeight;
    const [cores, ramGb] = VM_SIZES.find(([, , w]) => (roll -= w) < 0) ?? VM_SIZES[0]!;
    const home = hosts[i % size.hosts]!.name;
    const guest = ipOf(3, i);
    const restartable = random.chance(RESTARTABLE_SHARE);
    vms.push({
      name: `vm${pad(i + 1, width)}`,
      uuid: `b0000000-0000-4000-8000-${pad(i + 1, 12)}`,
      homeHost: home,
      currentHost: home,
      priority: random.int(0, 100),
      diskPath: `/shared/vm${pad(i + 1, width)}.qcow2`,
      resources: { cores, ramGb, diskGb: 40 },
      guestAddress: guest,
      ssh: { host: guest, port: 22, user: 'root' },
      serviceCheck: restartable
        ? { kind: 'tcp', port: 8080, restartCommand: 'systemctl restart app' }
        : { kind: 'tcp', port: 8080 },
    });
  }
  return { hosts, vms };
}
