/**
 * What to do, after a controller restart, with an action that was in flight when the controller
 * stopped (issue 9: a restart reconciles by looking). Pure: it reads what the store recorded and
 * what the world looks like now (restart-look.ts) and names one of five ways on. Nothing
 * destructive is run again unless the look shows it never reached the world.
 */
import { ACTION_OK, actionFailed, type ActionResult } from '../core/action-result.js';
import type { PendingAction } from '../core/context.js';
import type { BootProgress, PowerState } from '../core/signature.js';
import type { ActionRecord } from '../store/types.js';

/** The action's host (its own for host actions, the VM's for VM actions) as seen at the restart. */
export interface HostLook {
  name: string;
  /** The BMC answered; null: the host has none. */
  bmcReachable: boolean | null;
  power: PowerState;
  /** The host answers on the network (TCP / SSH) or its hypervisor does. */
  answers: boolean;
  hypervisorOk: boolean;
  bootProgress: BootProgress;
}

/** Where a VM concerned by the action runs now, by UUID, on every hypervisor that answered. */
export interface VmLook {
  vm: string;
  /** Its host in the store. */
  recordedOn: string;
  /** Hosts with a live (running or paused) copy, sorted. */
  runsOn: string[];
}

export interface RestartLook {
  /** null: the host is not in the inventory any more. */
  host: HostLook | null;
  vms: VmLook[];
  /** Hypervisors that did not answer the listing: a copy there cannot be ruled out. */
  silentHosts: string[];
}

export type RestartVerdict =
  /** The store has its end: that outcome goes to the machine, nothing is run. */
  | { kind: 'replay'; result: ActionResult; note: string }
  /** It never started, or running it again is harmless (it reads before it acts). */
  | { kind: 'repeat'; note: string }
  /** Its effect is there or under way: not repeated, the verifying phase decides. */
  | { kind: 'done'; note: string }
  /** A reinstall under way: wait for its end with what is left of its deadline. */
  | { kind: 'resume-reinstall'; note: string; remainingMs: number }
  /** The look cannot tell what is safe: a person decides. */
  | { kind: 'person'; reason: string };

export interface DecisionInput {
  action: PendingAction;
  /** The store's record of the action; null when its start was never written (it never ran). */
  record: ActionRecord | null;
  /** null when the decision does not depend on the world (no record, or a recorded end). */
  look: RestartLook | null;
  now: number;
  reinstallDeadlineMs: number;
}

/** A resumed reinstall waits at least this long, even when the old deadline is nearly spent. */
export const MIN_RESUMED_REINSTALL_MS = 60_000;

/** True when the verdict needs no look at the world (the store alone decides). */
export function decidedByStore(record: ActionRecord | null): boolean {
  return record === null || (record.finishedAt !== null && record.outcome !== 'interrupted');
}

export function decideAfterRestart(input: DecisionInput): RestartVerdict {
  const { action, record, look } = input;
  if (record === null) return { kind: 'repeat', note: `${action.kind} had not started (no record of its start): nothing reached the world` };
  if (record.finishedAt !== null && record.outcome !== 'interrupted') {
    return { kind: 'replay', result: recordedResult(record), note: `${action.kind} had ended (${record.outcome}) before the restart` };
  }
  if (look === null) return { kind: 'person', reason: `${action.kind} was in flight and the world could not be looked at` };
  const h = look.host;
  if (h === null) return { kind: 'person', reason: `${action.kind} was in flight and its host is no longer in the inventory` };
  switch (action.kind) {
    case 'quarantine':
      return { kind: 'done', note: 'quarantine does nothing to repeat' };
    case 'service-restart':
    case 'hypervisor-restart':
    case 'remove-stale-copies':
      return { kind: 'repeat', note: `${action.kind} destroys nothing and reads before it acts: run again` };
    case 'host-power-on':
      if (h.power === 'on') return { kind: 'done', note: `${h.name} is on (BMC): not repeated` };
      return { kind: 'repeat', note: `${h.name} is ${h.power} (BMC): powering on again is harmless` };
    case 'vm-reboot':
    case 'vm-restart':
    case 'vm-move':
      return decideVm(action, look);
    case 'host-reboot':
      return decideReboot(h);
    case 'fence-migrate':
      return decideFence(h, look);
    case 'reinstall':
      return decideReinstall(h, record, input);
  }
}

function decideVm(action: PendingAction, look: RestartLook): RestartVerdict {
  const vm = look.vms[0];
  if (!vm) return { kind: 'person', reason: `${action.kind}: the VM is no longer in the inventory` };
  if (vm.runsOn.length > 1) return { kind: 'person', reason: `${vm.vm} runs on ${vm.runsOn.join(' and ')} at once: a person must stop all but one` };
  if (vm.runsOn.length === 1 && vm.runsOn[0] === vm.recordedOn) {
    return { kind: 'done', note: `${vm.vm} runs on ${vm.recordedOn}: not repeated` };
  }
  const where = vm.runsOn.length === 1 ? `runs on ${vm.runsOn[0]} (recorded on ${vm.recordedOn}): the move records that copy, never a second one` : `runs nowhere that answers`;
  return { kind: 'repeat', note: `${vm.vm} ${where}; ${action.kind} stops any copy before it starts one` };
}

function decideReboot(h: HostLook): RestartVerdict {
  if (h.power === 'off') return { kind: 'repeat', note: `${h.name} is off (BMC): the reboot powers it on (it reads the power state first)` };
  if (h.answers) return { kind: 'done', note: `${h.name} answers: not rebooted again` };
  if (h.bootProgress === 'booting') return { kind: 'done', note: `${h.name} already booting (BMC): not power-cycled again` };
  // The BMC says the OS runs and nothing answers: still the hang the reboot was for, the cycle never landed.
  if (h.bootProgress === 'os-running') return { kind: 'repeat', note: `${h.name}'s OS still runs (BMC) and does not answer: the power cycle had not reached it` };
  const bmc = h.bmcReachable === false ? 'its BMC does not answer' : `its BMC reads ${h.power} without boot progress`;
  return { kind: 'done', note: `cannot tell whether the power cycle reached ${h.name} (${bmc}): not repeated; verifying decides` };
}

function decideFence(h: HostLook, look: RestartLook): RestartVerdict {
  if (h.answers) {
    return { kind: 'person', reason: `${h.name} answers again after a restart interrupted its fence: a host that answers is not fenced by a resumed action` };
  }
  const bmc = h.bmcReachable === false ? 'its BMC does not answer' : `${h.name} is ${h.power} (BMC)`;
  const vms = look.vms.map((v) => (v.runsOn.length > 0 ? `${v.vm} runs on ${v.runsOn.join(', ')}` : `${v.vm} runs nowhere`));
  const silent = look.silentHosts.length > 0 ? `; silent hypervisors: ${look.silentHosts.join(', ')}` : '';
  return {
    kind: 'repeat',
    note: `${bmc}; ${vms.length > 0 ? vms.join(', ') : 'no VM recorded on it'}${silent}: the evacuation goes on (the fence reads the BMC back, VMs already running elsewhere are kept, not started again)`,
  };
}

function decideReinstall(h: HostLook, record: ActionRecord, input: DecisionInput): RestartVerdict {
  if (h.answers && h.hypervisorOk) return { kind: 'done', note: `${h.name} answers with its hypervisor up: the reinstall had finished` };
  if (h.power === 'off') return { kind: 'repeat', note: `${h.name} is off (BMC): the reinstall's power command had not reached it` };
  if (h.bootProgress === 'boot-failed') return { kind: 'repeat', note: `${h.name} still fails to boot (BMC): the reinstall's power cycle had not reached it` };
  const spent = input.now - record.startedAt;
  const remainingMs = Math.max(MIN_RESUMED_REINSTALL_MS, input.reinstallDeadlineMs - spent);
  const seen = h.bootProgress === 'booting' ? 'booting (BMC)' : h.bmcReachable === false ? 'silent, its BMC too' : `${h.power}, ${h.bootProgress} (BMC)`;
  return { kind: 'resume-reinstall', note: `${h.name} is ${seen}: the reinstall resumes, not restarted; waiting ${Math.round(remainingMs / 1000)} s more for its callback`, remainingMs };
}

function recordedResult(r: ActionRecord): ActionResult {
  const why = r.error ?? `${r.kind} ${r.outcome}`;
  switch (r.outcome) {
    case 'ok':
      return ACTION_OK;
    case 'blocked':
      return { outcome: 'blocked', reason: why };
    case 'held':
      return { outcome: 'held', reason: why, recheckAfterMs: 30_000 };
    default:
      return actionFailed(why);
  }
}
