/**
 * Rung 4, fence-migrate: power a host off (confirmed by its BMC, a person or its watchdog), then
 * start its VMs on other hosts; and moving one VM (the VM's rung 4, `3rc vm move`). Never two
 * copies of a VM: the old one is confirmed stopped before the new one starts, and the VM's new
 * host is recorded before it is started there.
 */
import { ACTION_OK, actionFailed, actionResultProblem, type ActionResult } from '../core/action-result.js';
import type { Policy } from '../core/policy.js';
import { freeOf, placeVm, type PlacementCandidate } from '../core/placement.js';
import type { HostSpec, VmSpec } from '../core/types.js';
import type { Env } from '../env/env.js';
import { sleep } from '../env/timing.js';
import { errorText, isRrcError, RrcError } from '../errors.js';
import type { Inventory, Timeline } from './executor-types.js';
import { fenceHost, type FenceOptions } from './fence.js';

export class Evacuation {
  constructor(
    private readonly env: Env,
    private readonly policy: Policy,
    private readonly inv: Inventory,
    private readonly fenceOptions: FenceOptions,
  ) {}

  private requireHost(name: string): HostSpec {
    const h = this.inv.host(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `host ${name}`);
    return h;
  }

  /**
   * Fence first (confirmed off, or a person said so), then start every VM of the host elsewhere.
   * Placement is checked before the fence: a host is never powered off when none of its VMs
   * could go anywhere (that would turn a false alarm into an outage). It is planned again after
   * the fence, which can take a minute (a dead BMC, the watchdog wait): a host that was healthy
   * before may have failed meanwhile.
   */
  async fenceAndMigrate(host: HostSpec, operatorConfirmedOff: boolean, timeline: Timeline): Promise<ActionResult> {
    const vms = [...this.inv.vmsOn(host.name)].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    const before = this.inv.placementCandidates(host.name);
    if (vms.length > 0 && vms.every((vm) => placeVm(vm.resources, before) === null)) {
      return { outcome: 'no-room', reason: `no healthy host has room for any VM of ${host.name}; not fencing it` };
    }
    if (operatorConfirmedOff) {
      timeline('fence', `${host.name}: an operator confirmed the host is off; BMC confirmation skipped`);
    } else {
      const since = this.inv.hostSilentSince(host.name);
      const limit = this.policy.selfFenceAfterSeconds;
      // Stop asking a BMC that does not confirm once the watchdog has fenced the host anyway.
      const watchdogDone = () => limit !== null && since !== null && this.inv.hostSilentSince(host.name) === since && this.env.clock.now() >= since + limit * 1000;
      try {
        await fenceHost(this.env.power, host, this.env.clock, { ...this.fenceOptions, giveUp: watchdogDone });
        timeline('fence', `${host.name}: BMC confirms power off`);
      } catch (e) {
        if (!isRrcError(e, 'RRC_ERR_FENCE_UNCONFIRMED')) throw e;
        await this.selfFenced(host, e, timeline);
      }
    }
    await this.inv.markHostFenced(host.name);
    const candidates = this.inv.placementCandidates(host.name);
    const plan = vms.map((vm) => ({ vm, target: placeVm(vm.resources, candidates) }));
    const failures: string[] = [];
    const answers = new Map<string, Promise<boolean>>();
    await Promise.all(
      plan.map(async ({ vm, target }) => {
        const result = await this.startSomewhere(vm, target, candidates, answers, host, timeline);
        if (result.outcome !== 'ok') failures.push(`${vm.name}: ${actionResultProblem(result)}`);
      }),
    );
    if (failures.length) return actionFailed(`some VMs could not be moved: ${failures.sort().join('; ')}`);
    return ACTION_OK;
  }

  /**
   * The configured alternative to BMC confirmation: a host silent for longer than its storage-lease
   * watchdog timeout has reset itself. Throws the original "unconfirmed" error when not configured
   * or when the host answered again meanwhile.
   */
  private async selfFenced(host: HostSpec, unconfirmed: RrcError, timeline: Timeline): Promise<void> {
    const limit = this.policy.selfFenceAfterSeconds;
    const since = this.inv.hostSilentSince(host.name);
    if (limit === null || since === null) throw unconfirmed;
    const bmcProblem = unconfirmed.message;
    const fencedAt = since + limit * 1000;
    const wait = fencedAt - this.env.clock.now();
    timeline('fence', `${host.name}: ${bmcProblem}; waiting ${Math.max(0, Math.round(wait / 1000))} s for its storage-lease watchdog (silent since ${new Date(since).toISOString()})`);
    if (wait > 0) await sleep(this.env.clock, wait);
    if (this.inv.hostSilentSince(host.name) !== since) {
      throw new RrcError('RRC_ERR_FENCE_UNCONFIRMED', `${host.name} answered again while waiting for its watchdog: not fenced`);
    }
    timeline('fence', `${host.name}: silent for ${limit} s: reset by its watchdog (self-fenced)`);
  }

  /**
   * Rung 4 for one VM (and `3rc vm move`): stop it where it is (confirmed), then start it on
   * `toHost` or the best other host.
   */
  async moveVm(vm: VmSpec, timeline: Timeline, toHost?: string): Promise<ActionResult> {
    const current = this.requireHost(vm.currentHost);
    if (toHost === current.name) return actionFailed(`${vm.name} already lives on ${toHost}`);
    const state = await this.env.hypervisor.domainState(current, vm);
    if (state === 'missing' && toHost === undefined) {
      // The host lost the definition (reinstalled, or a fresh hypervisor): put the VM back there.
      return this.startOn(vm, current, timeline, false);
    }
    await this.env.hypervisor.destroy(current, vm);
    const after = await this.env.hypervisor.domainState(current, vm);
    if (after === 'running' || after === 'paused' || after === 'unknown') {
      return actionFailed(`${vm.name} still ${after} on ${current.name}: not starting a second copy`);
    }
    await this.env.hypervisor.undefine(current, vm);
    const candidates = this.inv.placementCandidates(current.name).filter((c) => toHost === undefined || c.host.name === toHost);
    if (toHost !== undefined && candidates.length === 0) return actionFailed(`unknown host ${toHost}`);
    const target = placeVm(vm.resources, candidates);
    if (!target) return actionFailed(`${vm.name}: ${toHost ? `${toHost} is not healthy or has no room` : 'no other host with room'}`);
    return this.startSomewhere(vm, target, candidates, new Map(), current, timeline);
  }

  /**
   * Starts a VM whose old copy is stopped on `source` on `first` (already reserved), else on the
   * next candidate. A target is asked first whether it answers: the controller's view of a host is
   * one probe cycle old, and a VM recorded on a host that has just died would wait for that host's
   * own repair. When the start fails on a host that answers and holds no live copy, the VM goes
   * back on `source` in the store and the next candidate is tried; when that host cannot say (it
   * stopped answering mid-call), the VM stays recorded there: that host's incident owns it, and it
   * is fenced before anything else starts the VM (never two copies).
   */
  private async startSomewhere(
    vm: VmSpec,
    first: PlacementCandidate | null,
    candidates: PlacementCandidate[],
    answers: Map<string, Promise<boolean>>,
    source: HostSpec,
    timeline: Timeline,
  ): Promise<ActionResult> {
    const tried: string[] = [];
    let target = first;
    while (target !== null) {
      const host = target.host;
      tried.push(host.name);
      let reachable = answers.get(host.name);
      if (reachable === undefined) {
        reachable = this.env.hypervisor.ping(host).then(() => true, () => false);
        answers.set(host.name, reachable);
      }
      if (await reachable) {
        const result = await this.startOn(vm, host, timeline);
        if (result.outcome === 'ok') return result;
        if (!(await this.holdsNoCopy(host, vm))) return result;
        await this.inv.moveVm(vm.name, source.name);
      } else {
        timeline('migrate', `${host.name} does not answer: not starting ${vm.name} there`, { vm: vm.name, host: host.name });
      }
      // Give back the reservation and never try that host again in this action.
      release(target, vm);
      target.usable = false;
      target = placeVm(vm.resources, candidates);
    }
    const room = roomSummary(vm, candidates);
    return actionFailed(tried.length ? `no healthy host could start it (tried ${tried.join(', ')}; ${room})` : `no host with room (${room})`);
  }

  /** The host answers and has no live copy of the VM (removing a leftover definition). */
  private async holdsNoCopy(host: HostSpec, vm: VmSpec): Promise<boolean> {
    try {
      const state = await this.env.hypervisor.domainState(host, vm);
      if (state === 'running' || state === 'paused' || state === 'crashed' || state === 'unknown') return false;
      if (state !== 'missing') await this.env.hypervisor.undefine(host, vm);
      return true;
    } catch {
      return false;
    }
  }

  private async startOn(vm: VmSpec, host: HostSpec, timeline: Timeline, record = true): Promise<ActionResult> {
    try {
      if (record) await this.inv.moveVm(vm.name, host.name);
      await this.env.hypervisor.defineAndStart(host, vm);
      timeline('migrate', `${vm.name} started on ${host.name}`, { vm: vm.name, host: host.name });
      return ACTION_OK;
    } catch (e) {
      timeline('migrate', `${vm.name} could not start on ${host.name}: ${errorText(e)}`, { vm: vm.name, host: host.name });
      return actionFailed(errorText(e));
    }
  }
}

/** For the timeline: what the VM needs and the most any usable host has free. */
function roomSummary(vm: VmSpec, candidates: PlacementCandidate[]): string {
  let cores = 0;
  let ramGb = 0;
  let usable = 0;
  for (const c of candidates) {
    if (!c.usable) continue;
    usable++;
    const free = freeOf(c);
    cores = Math.max(cores, free.cores);
    ramGb = Math.max(ramGb, free.ramGb);
  }
  return `needs ${vm.resources.cores} cores / ${vm.resources.ramGb} GB; ${usable} healthy hosts, at most ${cores} cores / ${ramGb} GB free`;
}

/** Undoes placeVm's reservation of the VM on a candidate. */
function release(c: PlacementCandidate, vm: VmSpec): void {
  c.used = {
    cores: c.used.cores - vm.resources.cores,
    ramGb: c.used.ramGb - vm.resources.ramGb,
    diskGb: c.used.diskGb - vm.resources.diskGb,
  };
}
