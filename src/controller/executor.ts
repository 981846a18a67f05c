/**
 * Carries out the action a recovery machine asked for, through the Env only. Every action is
 * level-triggered and idempotent: it looks at the real state first (already off? already moved?),
 * so running it again after a controller crash does no harm. The evacuation (fence-migrate, VM
 * moves) is in evacuation.ts.
 */
import { setMaxListeners } from 'node:events';
import { ACTION_OK, actionFailed, type ActionResult } from '../core/action-result.js';
import type { PendingAction } from '../core/recovery-context.js';
import type { Policy } from '../core/policy.js';
import { RUNGS, type HostSpec, type VmSpec } from '../core/types.js';
import type { Env } from '../env/env.js';
import { errorText, isRrcError, RrcError } from '../errors.js';
import { Evacuation } from './evacuation.js';
import type { Inventory, StaleCopy, Timeline } from './executor-types.js';
import { DEFAULT_FENCE_OPTIONS, type FenceOptions } from './fence.js';
import { runWithDeadline } from './action-deadline.js';
import { reinstallAboardRefusal } from './reinstall-aboard.js';
import type { Admission, SafetyGate } from './safety/index.js';

export type { ActionResult } from '../core/action-result.js';
export type { Inventory, StaleCopy, Timeline } from './executor-types.js';


export interface ExecutorOptions {
  env: Env;
  policy: Policy;
  inventory: Inventory;
  fence?: FenceOptions;
  shellTimeoutMs?: number;
  /** How long an attempt aborted at its rung timeout may take to stop (action-deadline.ts). Default 30 s. */
  settleGraceMs?: number;
  /** Do no harm: decides before every action whether it may run (safety/safety-gate.ts). None: all run. */
  gate?: Pick<SafetyGate, 'admit'>;
}

export class ActionExecutor {
  private readonly env: Env;
  private readonly policy: Policy;
  private readonly inv: Inventory;
  private readonly evacuation: Evacuation;
  private readonly shellTimeoutMs: number;
  private readonly settleGraceMs: number;
  private readonly gate: Pick<SafetyGate, 'admit'> | undefined;

  constructor(opts: ExecutorOptions) {
    this.env = opts.env;
    this.policy = opts.policy;
    this.inv = opts.inventory;
    this.evacuation = new Evacuation(opts.env, opts.policy, opts.inventory, opts.fence ?? DEFAULT_FENCE_OPTIONS);
    this.shellTimeoutMs = opts.shellTimeoutMs ?? 60_000;
    this.settleGraceMs = opts.settleGraceMs ?? 30_000;
    this.gate = opts.gate;
  }

  /**
   * Never throws: every failure becomes a `failed` (or `blocked`, `no-room`) result. Every driver
   * call gets this attempt's AbortSignal; at the rung timeout it is aborted and waited for
   * (action-deadline.ts). `onSettled` runs once the attempt has really stopped, which can be
   * after the result (an attempt that did not stop within the settle grace): the caller's lock
   * on the target is released there, not at the result.
   */
  async execute(action: PendingAction, targetName: string, timeline: Timeline, onSettled?: () => void): Promise<ActionResult> {
    const admission: Admission = this.gate ? await this.gate.admit(action, targetName) : { admitted: true, release: () => {} };
    if (!admission.admitted) {
      onSettled?.();
      return admission.held;
    }
    const abort = new AbortController();
    // One signal per attempt is shared by every driver call of it, several at once in an
    // evacuation (VM starts, hypervisor listings): not a listener leak.
    setMaxListeners(256, abort.signal);
    const what = `${action.kind} on ${targetName}`;
    const run = this.runCatching(action, targetName, timeline, abort.signal);
    // A concurrency slot is freed when the attempt has really stopped.
    void run.then(admission.release);
    if (onSettled) void run.then(onSettled);
    return runWithDeadline(this.env.clock, run, abort, { timeoutMs: this.timeoutFor(action), settleGraceMs: this.settleGraceMs, what, timeline });
  }

  private async runCatching(action: PendingAction, targetName: string, timeline: Timeline, signal: AbortSignal): Promise<ActionResult> {
    try {
      return await this.run(action, targetName, timeline, signal);
    } catch (e) {
      if (isRrcError(e, 'RRC_ERR_FENCE_UNCONFIRMED')) return { outcome: 'blocked', reason: errorText(e) };
      return actionFailed(errorText(e));
    }
  }

  private timeoutFor(action: PendingAction): number {
    const name = RUNGS[action.rung];
    return name === 'quarantine' ? 60_000 : this.policy.rungs[name].timeoutSeconds * 1000;
  }

  private async run(action: PendingAction, targetName: string, timeline: Timeline, signal: AbortSignal): Promise<ActionResult> {
    switch (action.kind) {
      case 'service-restart':
        return this.serviceRestart(this.vm(targetName), signal);
      case 'vm-reboot': {
        const vm = this.vm(targetName);
        await this.env.hypervisor.reboot(this.host(vm.currentHost), vm, { shutdownTimeoutMs: this.policy.vmShutdownTimeoutSeconds * 1000, signal });
        return ACTION_OK;
      }
      case 'vm-restart': {
        const vm = this.vm(targetName);
        await this.env.hypervisor.restart(this.host(vm.currentHost), vm, { signal });
        return ACTION_OK;
      }
      case 'vm-move':
        return this.evacuation.moveVm(this.vm(targetName), timeline, undefined, signal);
      case 'host-power-on':
        await this.env.power.on(this.host(targetName), { signal });
        return ACTION_OK;
      case 'host-reboot':
        return this.rebootHost(this.host(targetName), timeline, signal);
      case 'hypervisor-restart':
        return this.restartHypervisor(this.host(targetName), signal);
      case 'fence-migrate':
        return this.evacuation.fenceAndMigrate(this.host(targetName), action.operatorConfirmedOff, timeline, signal);
      case 'reinstall':
        return this.reinstall(this.host(targetName), action.operatorTriggered === true, timeline, signal);
      case 'quarantine':
        return ACTION_OK;
      case 'remove-stale-copies': {
        const host = this.host(targetName);
        return this.removeStaleCopies(host, await this.staleCopiesOn(host, signal), timeline, signal);
      }
    }
  }

  /**
   * The read-only half of stale-copy removal: domains on `host` of VMs that now live on another
   * host (a host that was fenced and comes back still has the definitions of the VMs moved away).
   * Throws when the hypervisor does not answer.
   */
  async staleCopiesOn(host: HostSpec, signal?: AbortSignal): Promise<StaleCopy[]> {
    const out: StaleCopy[] = [];
    for (const d of await this.env.hypervisor.listDomains(host, { signal })) {
      const vm = this.inv.vm(d.name);
      if (vm && vm.currentHost !== host.name) out.push({ vm, state: d.state });
    }
    return out;
  }

  /**
   * A host that is back must not run a VM that now lives elsewhere (no VM on two hosts): stop
   * each copy and remove its definition. Never throws; stops at the first failure.
   */
  async removeStaleCopies(host: HostSpec, copies: StaleCopy[], timeline: Timeline, signal?: AbortSignal): Promise<ActionResult> {
    try {
      for (const { vm, state } of copies) {
        if (state === 'running' || state === 'paused') await this.env.hypervisor.destroy(host, vm, { signal });
        await this.env.hypervisor.undefine(host, vm, { signal });
        timeline('stale-copy', `removed stale copy of ${vm.name} (it lives on ${vm.currentHost})`, { vm: vm.name, livesOn: vm.currentHost });
      }
      return ACTION_OK;
    } catch (e) {
      return actionFailed(errorText(e));
    }
  }

  private host(name: string): HostSpec {
    const h = this.inv.host(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${name}`);
    return h;
  }

  private vm(name: string): VmSpec {
    const v = this.inv.vm(name);
    if (!v) throw new RrcError('RRC_ERR_NOT_FOUND', `vm ${name}`);
    return v;
  }

  private async serviceRestart(vm: VmSpec, signal: AbortSignal): Promise<ActionResult> {
    const command = vm.serviceCheck?.restartCommand;
    if (!command) return actionFailed(`vm ${vm.name} has no service restart command`);
    const endpoint = vm.ssh ?? (vm.guestAddress ? { host: vm.guestAddress, port: 22, user: 'root' } : undefined);
    if (!endpoint) return actionFailed(`vm ${vm.name} has no SSH endpoint or guest address`);
    const r = await this.env.shell.run(endpoint, command, { timeoutMs: this.shellTimeoutMs, signal });
    return r.code === 0 ? ACTION_OK : actionFailed(`"${command}" exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
  }

  private async rebootHost(host: HostSpec, timeline: Timeline, signal: AbortSignal): Promise<ActionResult> {
    if (host.bmc && (await this.env.power.status(host, { signal })) === 'off') {
      timeline('step', `BMC reports ${host.name} off: powering on`);
      await this.env.power.on(host, { signal });
      return ACTION_OK;
    }
    if (host.ssh) {
      try {
        const r = await this.env.shell.run(host.ssh, this.policy.hostRebootCommand, { timeoutMs: 15_000, signal });
        if (r.code === 0) {
          timeline('step', `clean reboot of ${host.name} over SSH`);
          return ACTION_OK;
        }
      } catch (e) {
        signal.throwIfAborted();
        timeline('step', `clean reboot over SSH failed (${errorText(e)}); using the BMC`);
      }
    }
    if (!host.bmc) return actionFailed(`${host.name}: no BMC and no working SSH: cannot reboot`);
    await this.env.power.cycle(host, { signal });
    timeline('step', `power cycle of ${host.name} through its BMC`);
    return ACTION_OK;
  }

  private async restartHypervisor(host: HostSpec, signal: AbortSignal): Promise<ActionResult> {
    if (!host.ssh) return actionFailed(`${host.name} has no SSH endpoint`);
    const command = this.policy.hypervisorRestartCommand;
    const r = await this.env.shell.run(host.ssh, command, { timeoutMs: this.shellTimeoutMs, signal });
    return r.code === 0 ? ACTION_OK : actionFailed(`"${command}" exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
  }


  private async reinstall(host: HostSpec, byPerson: boolean, timeline: Timeline, signal: AbortSignal): Promise<ActionResult> {
    // A person who asks for it is the evidence; else VMs aboard need it again now.
    const refusal = byPerson ? null : await reinstallAboardRefusal(this.env, this.inv, host);
    if (refusal !== null) return actionFailed(refusal);
    if (this.inv.vmsOn(host.name).length > 0) timeline('step', `${host.name}: reinstalled with its VMs aboard (failed boot, shared disks, no room elsewhere); they are started again afterwards`);
    const deadlineMs = this.policy.reinstallDeadlineSeconds * 1000;
    await this.env.provisioner.reinstall(host, {
      deadlineMs,
      onMilestone: (m) => timeline('milestone', `${m.name}${m.detail ? `: ${m.detail}` : ''}`, { milestone: m.name, at: m.at }),
      signal,
    });
    await this.env.hypervisor.ping(host, { signal });
    return ACTION_OK;
  }

  /** Rung 4 for one VM and `3rc vm move` (evacuation.ts). */
  moveVm(vm: VmSpec, timeline: Timeline, toHost?: string, signal?: AbortSignal): Promise<ActionResult> {
    return this.evacuation.moveVm(vm, timeline, toHost, signal);
  }
}
