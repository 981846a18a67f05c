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
import { sleepUnlessAborted } from '../env/abort.js';
import { errorText, isRrcError, RrcError } from '../errors.js';
import type { Inventory, Timeline } from './executor-types.js';
import { fenceHost, isBmcContradicted, type FenceOptions } from './fence.js';
import { selfFenceWait } from './self-fence.js';
import { DEFAULT_LOCATOR_OPTIONS, listRack, liveCopies, type RackListing } from './vm-locator.js';

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
  async fenceAndMigrate(host: HostSpec, operatorConfirmedOff: boolean, timeline: Timeline, signal?: AbortSignal): Promise<ActionResult> {
    const vms = [...this.inv.vmsOn(host.name)].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    const before = this.inv.placementCandidates(host.name);
    if (vms.length > 0 && vms.every((vm) => placeVm(vm.resources, before) === null)) {
      return { outcome: 'no-room', reason: `no healthy host has room for any VM of ${host.name}; not fencing it` };
    }
    if (operatorConfirmedOff) {
      timeline('fence', `${host.name}: an operator confirmed the host is off; BMC confirmation skipped`);
    } else {
      const since = this.inv.hostSilentSince(host.name);
      const wait = selfFenceWait(host, this.policy);
      // Stop asking a BMC that does not confirm once the watchdog has fenced the host anyway.
      const margin = this.fenceOptions.silenceMarginMs ?? 0;
      const watchdogDone = () => wait !== null && since !== null && this.inv.hostSilentSince(host.name) === since && this.env.clock.now() >= since + wait.seconds * 1000 + margin;
      const probeHost = (h: HostSpec) => this.env.probes.probeHost(h);
      try {
        await fenceHost(this.env.power, host, this.env.clock, { ...this.fenceOptions, giveUp: watchdogDone, probeHost }, signal);
        timeline('fence', `${host.name}: BMC confirms power off on two reads and the host answers on no path`);
      } catch (e) {
        // A BMC contradicted by the host itself is not waited out: a person looks.
        if (!isRrcError(e, 'RRC_ERR_FENCE_UNCONFIRMED') || isBmcContradicted(e)) throw e;
        await this.selfFenced(host, e, timeline, signal);
      }
    }
    signal?.throwIfAborted();
    await this.inv.markHostFenced(host.name);
    const candidates = this.inv.placementCandidates(host.name);
    const plan = vms.map((vm) => ({ vm, target: placeVm(vm.resources, candidates) }));
    // One look at every other hypervisor for all the VMs: where does each already run?
    const listing = await listRack(this.env, candidates.map((c) => c.host), { ...DEFAULT_LOCATOR_OPTIONS, signal });
    const failures: string[] = [];
    const holds: string[] = [];
    const answers = new Map<string, Promise<boolean>>();
    await Promise.all(
      plan.map(async ({ vm, target }) => {
        const found = await this.alreadyRunning(vm, listing, timeline);
        if (found !== null) {
          if (target) release(target, vm);
          if (found.outcome !== 'ok') holds.push(`${vm.name}: ${actionResultProblem(found)}`);
          return;
        }
        const result = await this.startSomewhere(vm, target, candidates, answers, host, timeline, signal);
        if (result.outcome !== 'ok') failures.push(`${vm.name}: ${actionResultProblem(result)}`);
      }),
    );
    if (holds.length) return { outcome: 'blocked', reason: [...holds, ...failures].sort().join('; ') };
    if (failures.length) return actionFailed(`some VMs could not be moved: ${failures.sort().join('; ')}`);
    return ACTION_OK;
  }

  /**
   * null: the VM runs on no other hypervisor that answered, start it. Otherwise it is not started:
   * one live copy is adopted (its host recorded; that copy is the VM), several wait for a person.
   */
  private async alreadyRunning(vm: VmSpec, listing: RackListing, timeline: Timeline): Promise<ActionResult | null> {
    const copies = liveCopies(listing, vm);
    if (copies.length === 0) return null;
    const where = copies.map((c) => c.host).join(', ');
    if (copies.length > 1) {
      timeline('migrate', `${vm.name} (uuid ${vm.uuid}) already runs on ${where}: not starting it; a person must choose`, { vm: vm.name, hosts: where });
      return { outcome: 'blocked', reason: `${vm.name} runs on ${where} at once: a person must stop all but one` };
    }
    const host = copies[0]!.host;
    await this.inv.moveVm(vm.name, host);
    timeline('migrate', `${vm.name} (uuid ${vm.uuid}) already runs on ${host}: recorded there, not started again`, { vm: vm.name, host });
    return ACTION_OK;
  }

  /**
   * The configured alternative to BMC confirmation, only for a host that declares a watchdog: silent
   * since its last successful contact for longer than its lease timeout (and the policy's time), it
   * has reset itself. Throws "unconfirmed" (a person confirms) without a declared watchdog, without
   * the policy, or when the host answered again meanwhile.
   */
  private async selfFenced(host: HostSpec, unconfirmed: RrcError, timeline: Timeline, signal?: AbortSignal): Promise<void> {
    const rule = selfFenceWait(host, this.policy);
    const since = this.inv.hostSilentSince(host.name);
    if (rule === null) {
      if (this.policy.selfFenceAfterSeconds !== null) {
        const detail = unconfirmed.message.replace(/^fencing could not be confirmed: /, '');
        throw new RrcError('RRC_ERR_FENCE_UNCONFIRMED', `${detail}; ${host.name} declares no watchdog, so it is not assumed to have fenced itself: confirm by hand`);
      }
      throw unconfirmed;
    }
    if (since === null) throw unconfirmed;
    // The host may have renewed its lease until the probe that found it silent: the margin.
    const margin = this.fenceOptions.silenceMarginMs ?? 0;
    const fencedAt = since + rule.seconds * 1000 + margin;
    const wait = fencedAt - this.env.clock.now();
    timeline('fence', `${host.name}: ${unconfirmed.message}; waiting ${Math.max(0, Math.round(wait / 1000))} s for its ${rule.kind} watchdog (${rule.seconds} s + ${Math.round(margin / 1000)} s margin since the last contact at ${new Date(since).toISOString()})`);
    if (wait > 0) await sleepUnlessAborted(this.env.clock, wait, signal, `waiting for the watchdog of ${host.name}`);
    if (this.inv.hostSilentSince(host.name) !== since) {
      throw new RrcError('RRC_ERR_FENCE_UNCONFIRMED', `${host.name} answered again while waiting for its watchdog: not fenced`);
    }
    timeline('fence', `${host.name}: silent for ${rule.seconds} s since the last contact: reset by its ${rule.kind} watchdog (self-fenced)`);
  }

  /**
   * Rung 4 for one VM (and `3rc vm move`): stop it where it is (confirmed), then start it on
   * `toHost` or the best other host.
   */
  async moveVm(vm: VmSpec, timeline: Timeline, toHost?: string, signal?: AbortSignal): Promise<ActionResult> {
    const current = this.requireHost(vm.currentHost);
    if (toHost === current.name) return actionFailed(`${vm.name} already lives on ${toHost}`);
    const call = { signal };
    const state = await this.env.hypervisor.domainState(current, vm, call);
    if (state === 'missing' && toHost === undefined) {
      // The host lost the definition (reinstalled, or a fresh hypervisor): put the VM back there.
      return this.startOn(vm, current, timeline, false, signal);
    }
    await this.env.hypervisor.destroy(current, vm, call);
    const after = await this.env.hypervisor.domainState(current, vm, call);
    if (after === 'running' || after === 'paused' || after === 'unknown') {
      return actionFailed(`${vm.name} still ${after} on ${current.name}: not starting a second copy`);
    }
    await this.env.hypervisor.undefine(current, vm, call);
    const everyOther = this.inv.placementCandidates(current.name);
    const found = await this.alreadyRunning(vm, await listRack(this.env, everyOther.map((c) => c.host), { ...DEFAULT_LOCATOR_OPTIONS, signal }), timeline);
    if (found !== null) return found;
    const candidates = everyOther.filter((c) => toHost === undefined || c.host.name === toHost);
    if (toHost !== undefined && candidates.length === 0) return actionFailed(`unknown host ${toHost}`);
    const target = placeVm(vm.resources, candidates);
    if (!target) return actionFailed(`${vm.name}: ${toHost ? `${toHost} is not healthy or has no room` : 'no other host with room'}`);
    return this.startSomewhere(vm, target, candidates, new Map(), current, timeline, signal);
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
    signal?: AbortSignal,
  ): Promise<ActionResult> {
    const tried: string[] = [];
    let target = first;
    while (target !== null) {
      // Aborted (rung timeout): no further host is tried; where it stopped is recorded in the store.
      signal?.throwIfAborted();
      const host = target.host;
      tried.push(host.name);
      let reachable = answers.get(host.name);
      if (reachable === undefined) {
        reachable = this.env.hypervisor.ping(host, { signal }).then(() => true, () => false);
        answers.set(host.name, reachable);
      }
      if (await reachable) {
        const result = await this.startOn(vm, host, timeline, true, signal);
        if (result.outcome === 'ok') return result;
        if (!(await this.holdsNoCopy(host, vm, signal))) return result;
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
  private async holdsNoCopy(host: HostSpec, vm: VmSpec, signal?: AbortSignal): Promise<boolean> {
    try {
      const state = await this.env.hypervisor.domainState(host, vm, { signal });
      if (state === 'running' || state === 'paused' || state === 'crashed' || state === 'unknown') return false;
      if (state !== 'missing') await this.env.hypervisor.undefine(host, vm, { signal });
      return true;
    } catch {
      return false;
    }
  }

  private async startOn(vm: VmSpec, host: HostSpec, timeline: Timeline, record = true, signal?: AbortSignal): Promise<ActionResult> {
    try {
      signal?.throwIfAborted();
      if (record) await this.inv.moveVm(vm.name, host.name);
      await this.env.hypervisor.defineAndStart(host, vm, { signal });
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
