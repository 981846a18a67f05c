/** A small simulated rack for the env tests: two primaries, one spare, three VMs. */
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import type { SimEnv, SimLatency, SimTimings, VirtualClock, World } from '../../../src/env/sim/index.js';
import { buildSimWorld } from '../../../src/sim-rack/index.js';

export { silentLogger } from '../../../src/sim-rack/index.js';

export function hostSpec(name: string, index: number, role: HostSpec['role'] = 'primary'): HostSpec {
  return {
    name,
    role,
    macs: [`52:54:00:00:00:0${index}`],
    ip: `10.0.0.${index}`,
    bmc: { address: `10.0.1.${index}`, port: 623, user: 'admin', secretRef: 'BMC_PASSWORD' },
    hypervisorUri: `qemu+ssh://root@10.0.0.${index}/system`,
    ssh: { host: `10.0.0.${index}`, port: 22, user: 'root' },
    capacity: { cores: 32, ramGb: 64, diskTb: 2 },
  };
}

export function vmSpec(name: string, index: number, host: string, extra: Partial<VmSpec> = {}): VmSpec {
  return {
    name,
    uuid: `00000000-0000-4000-8000-00000000000${index}`,
    homeHost: host,
    currentHost: host,
    priority: 10,
    resources: { cores: 2, ramGb: 8, diskGb: 40 },
    guestAddress: `10.0.2.${index}`,
    ...extra,
  };
}

export const HOSTS: HostSpec[] = [hostSpec('h1', 1), hostSpec('h2', 2), hostSpec('s1', 3, 'spare')];
export const VMS: VmSpec[] = [
  vmSpec('v1', 1, 'h1', { serviceCheck: { kind: 'tcp', port: 80, restartCommand: 'systemctl restart nginx' } }),
  vmSpec('v2', 2, 'h1'),
  vmSpec('v3', 3, 'h2', { serviceCheck: { kind: 'ssh', command: 'systemctl is-active postgresql' } }),
];

export interface Rig {
  clock: VirtualClock;
  world: World;
  env: SimEnv;
  host(name: string): HostSpec;
  vm(name: string): VmSpec;
}

export function makeRig(
  opts: { seed?: number; timings?: Partial<SimTimings>; latency?: Partial<SimLatency>; autostart?: string[]; bootProgress?: boolean } = {},
): Rig {
  const { clock, world, env } = buildSimWorld({
    hosts: HOSTS,
    vms: VMS,
    start: 0,
    seed: opts.seed ?? 7,
    world: { timings: opts.timings, autostart: opts.autostart },
    simEnv: { latency: opts.latency, bootProgress: opts.bootProgress !== false },
  });
  const find = <T extends { name: string }>(list: T[], name: string): T => {
    const item = list.find((x) => x.name === name);
    if (!item) throw new Error(`no ${name} in the fixture`);
    return item;
  };
  return { clock, world, env, host: (n) => find(HOSTS, n), vm: (n) => find(VMS, n) };
}

/** Start a promise, drive the clock until it settles, return its outcome. */
export async function drive<T>(clock: VirtualClock, run: () => Promise<T>, maxSeconds = 3600): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  run().then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  await clock.runUntil(() => outcome !== undefined, { maxTime: clock.now() + maxSeconds * 1000 });
  if (outcome === undefined) throw new Error(`did not settle within ${maxSeconds} virtual seconds`);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
