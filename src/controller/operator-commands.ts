/**
 * What a person can ask of the controller through the API and the CLI: inventory changes, the
 * machine's operator events (maintenance, release, a rung by hand, a confirmed power-off) and
 * driver commands on hosts and VMs. Each is validated, audited, and goes through the same code
 * paths as the ladder; none races an action the ladder is running on the same target.
 */
import {
  classifyHost,
  classifyVm,
  operatorRungs,
  rungName,
  actionResultProblem,
  targetId,
  type HostObservation,
  type HostSpec,
  type HostWatchdog,
  type Policy,
  type PowerState,
  type RecoveryEvent,
  type RungNumber,
  type Signature,
  type TargetId,
  type VmObservation,
  type VmSpec,
} from '../core/index.js';
import type { BootDevice, Env } from '../env/env.js';
import { RrcError } from '../errors.js';
import type { HostRecord, Store, VmRecord } from '../store/types.js';
import type { ActionLocks } from './action-locks.js';
import type { ControllerEvents } from './controller-events.js';
import type { ActionExecutor } from './executor.js';
import { DEFAULT_FENCE_OPTIONS, fenceHost, type FenceOptions } from './fence.js';
import type { InventoryIndex } from './inventory.js';
import type { TargetRuntime, TargetRuntimes } from './target-runtime.js';
import { targetStatusOf } from './target-status.js';
import type { HostPowerOp, TargetStatus } from './types.js';

export interface OperatorCommandDeps {
  env: Env;
  store: Store;
  policy: Policy;
  index: InventoryIndex;
  runtimes: TargetRuntimes;
  executor: ActionExecutor;
  events: ControllerEvents;
  /** The same locks the ladder's dispatch takes: a command never runs beside an action on its target. */
  locks: ActionLocks;
  fence?: FenceOptions;
}

export class OperatorCommands {
  constructor(private readonly deps: OperatorCommandDeps) {}

  // ---- inventory ------------------------------------------------------------------------------

  async addHost(spec: HostSpec, actor: string): Promise<HostRecord> {
    const { store, index, runtimes } = this.deps;
    const record = await store.addHost(spec);
    index.hosts.set(record.name, record);
    runtimes.add('host', record.name);
    this.inventoryChanged();
    await this.audit(actor, 'host.add', targetId('host', record.name), { role: record.role, macs: record.macs });
    return record;
  }

  /**
   * A host's install callback reported the watchdog its new system runs (null: none). Recorded
   * for that host only; a lease the fence-migrate rung could not wait out is refused (logged,
   * the host then counts as having none).
   */
  async recordWatchdog(name: string, reported: HostWatchdog | null, actor: string): Promise<HostRecord> {
    const { store, index, policy } = this.deps;
    const limit = policy.rungs['fence-migrate'].timeoutSeconds;
    const tooLong = reported !== null && reported.leaseTimeoutSeconds >= limit;
    const watchdog = tooLong ? null : reported;
    const record = await store.updateHost(name, { watchdog });
    index.hosts.set(name, record);
    await this.audit(actor, 'host.watchdog', targetId('host', name), {
      watchdog: watchdog ?? 'none',
      ...(tooLong ? { refused: `lease ${reported.leaseTimeoutSeconds} s is not below the fence-migrate timeout (${limit} s)` } : {}),
    });
    return record;
  }

  async removeHost(name: string, actor: string): Promise<void> {
    const { store, index, runtimes } = this.deps;
    await store.removeHost(name);
    runtimes.drop(targetId('host', name));
    index.hosts.delete(name);
    await store.deleteTargetState(targetId('host', name));
    this.inventoryChanged();
    await this.audit(actor, 'host.remove', targetId('host', name));
  }

  async addVm(spec: VmSpec, actor: string): Promise<VmRecord> {
    const { store, index, runtimes } = this.deps;
    const record = await store.addVm(spec);
    index.vms.set(record.name, record);
    runtimes.add('vm', record.name);
    await this.audit(actor, 'vm.add', targetId('vm', record.name), { host: record.currentHost });
    return record;
  }

  async removeVm(name: string, actor: string): Promise<void> {
    const { store, index, runtimes } = this.deps;
    await store.removeVm(name);
    runtimes.drop(targetId('vm', name));
    index.vms.delete(name);
    await store.deleteTargetState(targetId('vm', name));
    await this.audit(actor, 'vm.remove', targetId('vm', name));
  }

  // ---- the machine's operator events ---------------------------------------------------------

  async setMaintenance(id: TargetId, on: boolean, actor: string): Promise<TargetStatus> {
    const rt = this.deps.runtimes.require(id);
    if (on && rt.phase === 'maintenance') return this.statusOf(rt);
    if (!on && rt.phase !== 'maintenance') throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is not in maintenance`);
    if (on && rt.runningActionId) throw new RrcError('RRC_ERR_INVALID_STATE', `${id} has an action running; wait for it to finish`);
    return this.sendAudited(rt, { type: 'MAINTENANCE', at: this.now(), on }, actor, on ? 'maintenance.on' : 'maintenance.off');
  }

  async release(id: TargetId, actor: string): Promise<TargetStatus> {
    const rt = this.deps.runtimes.require(id);
    if (rt.phase !== 'quarantined' && rt.phase !== 'awaiting-operator') {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is ${rt.phase}, not quarantined or waiting for an operator`);
    }
    return this.sendAudited(rt, { type: 'RELEASE', at: this.now() }, actor, 'release');
  }

  async triggerRung(id: TargetId, rung: RungNumber, actor: string): Promise<TargetStatus> {
    const rt = this.deps.runtimes.require(id);
    const allowed = operatorRungs(rt.kind);
    if (!allowed.includes(rung)) {
      throw new RrcError('RRC_ERR_VALIDATION', `rung ${rung} (${rungName(rung)}) does not apply to a ${rt.kind}; allowed: ${allowed.join(', ')}`);
    }
    const event: RecoveryEvent = { type: 'TRIGGER_RUNG', at: this.now(), rung };
    if (!rt.actor.getSnapshot().can(event) || rt.runningActionId) {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is ${rt.phase}${rt.runningActionId ? ' with an action running' : ''}`);
    }
    return this.sendAudited(rt, event, actor, 'rung.trigger', { rung });
  }

  async confirmHostOff(hostName: string, actor: string): Promise<TargetStatus> {
    const rt = this.deps.runtimes.require(targetId('host', hostName));
    if (rt.phase !== 'awaiting-operator') {
      throw new RrcError('RRC_ERR_INVALID_STATE', `host ${hostName} is ${rt.phase}; nothing waits for a power-off confirmation`);
    }
    return this.sendAudited(rt, { type: 'CONFIRM_OFF', at: this.now() }, actor, 'host.confirm-off');
  }

  // ---- driver commands ------------------------------------------------------------------------

  async hostPower(name: string, op: HostPowerOp, actor: string): Promise<{ host: string; power: PowerState }> {
    const { env, index } = this.deps;
    const host = index.requireHost(name);
    if (op !== 'status') {
      const id = targetId('host', name);
      await this.exclusive([id], actor, `host power ${op}`, async () => {
        await this.audit(actor, `host.power.${op}`, id);
        await env.power[op](host);
      });
    }
    return { host: name, power: await env.power.status(host) };
  }

  async hostBootDevice(name: string, device: BootDevice, actor: string): Promise<{ host: string; device: BootDevice }> {
    const host = this.deps.index.requireHost(name);
    const id = targetId('host', name);
    await this.exclusive([id], actor, `host bootdev ${device}`, async () => {
      await this.audit(actor, 'host.bootdev', id, { device });
      await this.deps.env.power.setBootDevice(host, device);
    });
    return { host: name, device };
  }

  async hostFence(name: string, actor: string): Promise<{ host: string; confirmedAt: number; offAttempts: number }> {
    const { env, store, index } = this.deps;
    const host = index.requireHost(name);
    const id = targetId('host', name);
    return this.exclusive([id], actor, 'host fence', async () => {
      await this.audit(actor, 'host.fence', id);
      const r = await fenceHost(env.power, host, env.clock, this.deps.fence ?? DEFAULT_FENCE_OPTIONS);
      const updated = await store.updateHost(name, { state: 'fenced' });
      index.hosts.set(name, updated);
      return { host: name, confirmedAt: r.confirmedAt, offAttempts: r.offAttempts };
    });
  }

  async hostProbe(name: string): Promise<{ host: string; observation: HostObservation; signature: Signature }> {
    const observation = await this.deps.env.probes.probeHost(this.deps.index.requireHost(name));
    return { host: name, observation, signature: classifyHost(observation) };
  }

  async vmProbe(name: string): Promise<{ vm: string; host: string; observation: VmObservation; signature: Signature }> {
    const { env, index } = this.deps;
    const vm = index.requireVm(name);
    const host = index.requireHost(vm.currentHost);
    const observation = { ...(await env.probes.probeVm(vm, host)), hostDown: false };
    return { vm: name, host: host.name, observation, signature: classifyVm(observation) };
  }

  async vmPower(name: string, op: 'reboot' | 'restart', actor: string): Promise<{ vm: string; host: string }> {
    const { env, index, policy } = this.deps;
    const vm = index.requireVm(name);
    const host = index.requireHost(vm.currentHost);
    const id = targetId('vm', name);
    await this.exclusive([id], actor, `vm ${op}`, async () => {
      await this.audit(actor, `vm.${op}`, id, { host: host.name });
      if (op === 'reboot') await env.hypervisor.reboot(host, vm, { shutdownTimeoutMs: policy.vmShutdownTimeoutSeconds * 1000 });
      else await env.hypervisor.restart(host, vm);
    });
    return { vm: name, host: host.name };
  }

  async vmMove(name: string, toHost: string, actor: string): Promise<VmRecord> {
    const { env, index, executor } = this.deps;
    const vm = index.requireVm(name);
    index.requireHost(toHost);
    const id = targetId('vm', name);
    return this.exclusive([id], actor, `vm move to ${toHost}`, async () => {
      await this.audit(actor, 'vm.move', id, { from: vm.currentHost, to: toHost });
      const log = env.log.child({ target: id, actor });
      const result = await executor.moveVm(vm, (_kind, message) => log.info({}, message), toHost);
      if (result.outcome !== 'ok') throw new RrcError('RRC_ERR_INVALID_STATE', actionResultProblem(result) ?? `moving ${name} failed`);
      return index.requireVm(name);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  statusOf(rt: TargetRuntime): TargetStatus {
    return targetStatusOf(rt, this.now(), this.deps.policy);
  }

  private now(): number {
    return this.deps.env.clock.now();
  }

  /** Sends an operator event, audits it, and answers once its store writes are done. */
  private async sendAudited(rt: TargetRuntime, event: RecoveryEvent, actor: string, action: string, details?: Record<string, unknown>): Promise<TargetStatus> {
    this.deps.runtimes.send(rt, event);
    await this.audit(actor, action, rt.id, details);
    await rt.chain;
    return this.statusOf(rt);
  }

  /**
   * An operator command must not race an action on the same target (the ladder's, the stale-copy
   * removal, another person's): it holds the targets' locks while it runs, and is refused with
   * RRC_ERR_INVALID_STATE naming the running action when one holds them.
   */
  private exclusive<T>(ids: TargetId[], actor: string, what: string, work: () => Promise<T>): Promise<T> {
    for (const id of ids) this.deps.runtimes.require(id);
    return this.deps.locks.with(ids, `operator ${actor}: ${what}`, work);
  }

  private inventoryChanged(): void {
    this.deps.events.notify({ type: 'inventory', hosts: [...this.deps.index.hosts.values()] });
  }

  private async audit(actor: string, action: string, target: string | null, details: Record<string, unknown> | null = null): Promise<void> {
    await this.deps.store.addAudit({ at: this.now(), actor, action, target, details });
  }
}
