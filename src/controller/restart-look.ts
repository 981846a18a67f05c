/**
 * The look at the world a restart takes before it decides what to do with an action that was in
 * flight (restart-decision.ts): the host's power and boot progress from its BMC and whether it
 * answers (one probe), and where each VM concerned runs, by UUID, on every hypervisor that
 * answers. Read-only; every call is bounded in time.
 */
import type { PendingAction } from '../core/context.js';
import type { HostSpec, VmSpec } from '../core/types.js';
import type { Env } from '../env/env.js';
import { withTimeout } from '../env/timing.js';
import type { HostLook, RestartLook, VmLook } from './restart-decision.js';
import { DEFAULT_LOCATOR_OPTIONS, listRack, liveCopies } from './vm-locator.js';

/** What the look needs from the inventory. */
export interface LookInventory {
  host(name: string): HostSpec | undefined;
  vm(name: string): VmSpec | undefined;
  vmsOn(hostName: string): VmSpec[];
  /** Every host, sorted by name. */
  hosts(): HostSpec[];
}

const VM_ACTIONS: ReadonlySet<PendingAction['kind']> = new Set(['service-restart', 'vm-reboot', 'vm-restart', 'vm-move']);

export async function lookAfterRestart(env: Env, inv: LookInventory, action: PendingAction, targetName: string, probeTimeoutMs: number): Promise<RestartLook> {
  const vmAction = VM_ACTIONS.has(action.kind);
  const vm = vmAction ? inv.vm(targetName) : undefined;
  const host = inv.host(vmAction ? (vm?.currentHost ?? '') : targetName);
  if (!host || (vmAction && !vm)) return { host: null, vms: [], silentHosts: [] };
  const concerned = vm ? [vm] : action.kind === 'fence-migrate' ? inv.vmsOn(host.name) : [];
  const [hostLook, rack] = await Promise.all([
    lookAtHost(env, host, probeTimeoutMs),
    concerned.length > 0 ? listRack(env, inv.hosts(), DEFAULT_LOCATOR_OPTIONS) : Promise.resolve(null),
  ]);
  const vms: VmLook[] = rack ? concerned.map((v) => ({ vm: v.name, recordedOn: v.currentHost, runsOn: liveCopies(rack, v).map((c) => c.host) })) : [];
  return { host: hostLook, vms, silentHosts: rack?.silent ?? [] };
}

async function lookAtHost(env: Env, host: HostSpec, timeoutMs: number): Promise<HostLook> {
  try {
    const o = await withTimeout(env.clock, env.probes.probeHost(host), timeoutMs, `probe of ${host.name}`);
    return {
      name: host.name,
      bmcReachable: o.bmcReachable,
      power: o.power,
      answers: o.reachable || o.hypervisorOk,
      hypervisorOk: o.hypervisorOk,
      bootProgress: o.bootProgress ?? 'unknown',
    };
  } catch {
    // A probe that does not come back tells nothing: nothing answers, the BMC's word unknown.
    return { name: host.name, bmcReachable: false, power: 'unknown', answers: false, hypervisorOk: false, bootProgress: 'unknown' };
  }
}
