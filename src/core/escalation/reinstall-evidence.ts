/**
 * Reinstalling wipes the host: it needs evidence that the installed system is broken. A host whose
 * BMC reports its OS booted and running, but which does not answer on the network after a reboot,
 * has a network (or console) problem a reinstall would not fix: it is handed over to a person, and
 * closes by itself when it answers again. Its VMs were moved away before.
 */
import type { RecoveryContext } from '../context.js';
import { RUNG } from '../rungs.js';
import type { SignatureCode } from '../signature.js';

export function reinstallWontHelp(ctx: RecoveryContext, code: SignatureCode | null): boolean {
  return ctx.kind === 'host' && ctx.ladder[ctx.ladderIndex + 1] === RUNG.reinstall && code === 'host-unreachable-os-running';
}

export function osRunningReason(ctx: RecoveryContext): string {
  return `${ctx.targetId} booted (its BMC reports the OS running) but does not answer on the network: a reinstall would not help; check its network`;
}
