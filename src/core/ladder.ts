/**
 * The ladder: which rungs apply to which target kind, where an incident enters it (from the
 * failure signature and the flap penalty), and which concrete action each rung means.
 */
import type { SignatureCode } from './signature.js';
import { RUNG as R, RUNGS, type RungName, type RungNumber } from './rungs.js';
import type { ActionKind, TargetKind } from './types.js';

/** Rungs of a VM: its service, the guest, the domain, then moving it to another host. */
export function vmLadder(canRestartService: boolean): RungNumber[] {
  return canRestartService
    ? [R.serviceRestart, R.reboot, R.restartVm, R.fenceMigrate, R.quarantine]
    : [R.reboot, R.restartVm, R.fenceMigrate, R.quarantine];
}

/** Rungs of a physical host, classic order. */
export const HOST_LADDER: RungNumber[] = [R.reboot, R.restartHypervisor, R.fenceMigrate, R.reinstall, R.quarantine];

/** After its VMs were evacuated, a host is only repaired: power it back, else reinstall it. */
export const HOST_REPAIR_LADDER: RungNumber[] = [R.reboot, R.reinstall, R.quarantine];

/** Signatures that mean "another incident owns this": the VM waits for its host. */
export function isBlockedSignature(code: SignatureCode): boolean {
  return code === 'vm-host-down' || code === 'vm-hypervisor-down';
}

/** Host signatures after which the host's VMs are no longer running (or cannot be trusted). */
export function hostLostItsVms(code: SignatureCode): boolean {
  return (
    code === 'host-power-off' ||
    code === 'host-unreachable' ||
    code === 'host-unreachable-os-running' ||
    code === 'host-boot-failed' ||
    code === 'host-os-hung' ||
    code === 'host-and-bmc-unreachable'
  );
}

/** The rung the evidence points to, before any penalty boost. */
export function entryRungFor(kind: TargetKind, code: SignatureCode, canRestartService: boolean): RungNumber {
  if (kind === 'host') {
    switch (code) {
      case 'hypervisor-down':
        return R.restartHypervisor;
      case 'host-and-bmc-unreachable':
        return R.fenceMigrate;
      case 'host-boot-failed':
        // The installed system does not boot: rebooting it again cannot help.
        return R.reinstall;
      default:
        return R.reboot;
    }
  }
  switch (code) {
    case 'vm-service-dead':
      return canRestartService ? R.serviceRestart : R.reboot;
    case 'vm-missing':
      return R.fenceMigrate;
    case 'vm-crashed':
    case 'vm-hung':
    case 'vm-paused':
      // A hung or crashed guest will not honour an ACPI shutdown: restart the domain.
      return R.restartVm;
    default:
      return R.reboot;
  }
}

/** Index in `ladder` where an incident starts: the evidence's rung lifted by `boost`, never to quarantine. */
export function entryIndex(ladder: RungNumber[], evidenceRung: RungNumber, boost: number): number {
  let index = ladder.findIndex((r) => r >= evidenceRung);
  if (index < 0) index = ladder.length - 2;
  return Math.min(index + boost, ladder.length - 2);
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
