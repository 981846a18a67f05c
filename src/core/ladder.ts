/**
 * The ladders: which rungs of the table (rungs.ts) apply to a target, in which order, and which
 * concrete action each rung means. Every ladder here is derived from the table; where an incident
 * enters a ladder is the escalation policy's business (escalation/).
 */
import { RUNG, RUNGS, rungsFor, type RungName, type RungNumber } from './rungs.js';
import type { SignatureCode } from './signature.js';
import type { ActionKind, TargetKind } from './types.js';

/** Rungs of a physical host, classic order: every host rung of the table. */
export const HOST_LADDER: RungNumber[] = rungsFor('host');

/** Rungs of a VM: its service, the guest, the domain, then moving it to another host. */
export function vmLadder(canRestartService: boolean): RungNumber[] {
  const rungs = rungsFor('vm');
  // Without a restart command in its service check there is no service to restart.
  return canRestartService ? rungs : rungs.filter((r) => r !== RUNG.serviceRestart);
}

/** The ladder of a target: its kind's rungs, less those its configuration rules out. */
export function ladderFor(target: { kind: TargetKind; canRestartService: boolean }): RungNumber[] {
  return target.kind === 'vm' ? vmLadder(target.canRestartService) : HOST_LADDER;
}

/**
 * After its VMs were evacuated, a host is only repaired: power it back, else reinstall it (given
 * evidence of a broken installation: escalation/reinstall-evidence.ts). No
 * hypervisor restart (no guest left to keep running) and no second evacuation.
 */
export const HOST_REPAIR_LADDER: RungNumber[] = HOST_LADDER.filter((r) => r !== RUNG.restartHypervisor && r !== RUNG.fenceMigrate);

/** A host whose VMs went down with it: move them first, then repair the host. */
export const EVACUATE_THEN_REPAIR_LADDER: RungNumber[] = [RUNG.fenceMigrate, ...HOST_REPAIR_LADDER];

/** A flapping host whose VMs went down with it: move them, then quarantine the host. */
export const EVACUATE_THEN_QUARANTINE_LADDER: RungNumber[] = [RUNG.fenceMigrate, RUNG.quarantine];

/**
 * A host that keeps its VMs (no room elsewhere): every host rung but the evacuation and the
 * reinstall (it would wipe the VMs still aboard).
 */
export const IN_PLACE_LADDER: RungNumber[] = HOST_LADDER.filter((r) => r !== RUNG.fenceMigrate && r !== RUNG.reinstall);

/** Rungs an operator may run by hand on a target kind: its rungs, less the quarantine (not an action). */
export function operatorRungs(kind: TargetKind): RungNumber[] {
  return rungsFor(kind).filter((r) => r !== RUNG.quarantine);
}

/** Signatures that mean "another incident owns this": the VM waits for its host. */
export function isBlockedSignature(code: SignatureCode): boolean {
  return code === 'vm-host-down' || code === 'vm-hypervisor-down';
}

export function actionFor(kind: TargetKind, rung: RungNumber, code: SignatureCode | null): ActionKind {
  const name: RungName = RUNGS[rung];
  switch (name) {
    case 'service-restart':
      return 'service-restart';
    case 'reboot':
      if (kind === 'vm') return 'vm-reboot';
      return code === 'host-power-off' ? 'host-power-on' : 'host-reboot';
    case 'restart-vm':
      return 'vm-restart';
    case 'restart-hypervisor':
      return 'hypervisor-restart';
    case 'fence-migrate':
      return kind === 'vm' ? 'vm-move' : 'fence-migrate';
    case 'reinstall':
      return 'reinstall';
    case 'quarantine':
      return 'quarantine';
  }
}
