/**
 * Independent evidence that a host the controller cannot use is really down, before anything is
 * done that would take it down if it were not: "the controller cannot reach it" is never enough.
 * Evidence is the BMC reporting power off or a failed boot, or healthy peers that tried and could
 * not reach it either. Peers that could not be asked count for nothing; a peer that reaches it
 * means the controller's own path is down.
 */
import type { HostObservation } from '../../core/signature.js';
import type { HostSpec } from '../../core/types.js';
import type { Witnesses } from '../../env/env.js';

export type HostEvidence =
  | { found: true; what: string }
  /** `pathDown`: peers reach the host: the controller's path to it is what is broken. */
  | { found: false; reason: string; pathDown: boolean };

/** The host answered the controller's last probe on some path: a BMC that says off then is lying, no evidence. */
export function answersController(obs: HostObservation): boolean {
  return obs.reachable || obs.shellOk === true || obs.hypervisorOk;
}

/** The BMC reads off and the host does not contradict it: evidence that it is off. */
export function bmcReportsOff(obs: HostObservation | null): boolean {
  return obs !== null && obs.power === 'off' && !answersController(obs);
}

/** The BMC reads off while the host still answers: the BMC is lying. */
export function bmcContradicted(obs: HostObservation | null): boolean {
  return obs !== null && obs.power === 'off' && answersController(obs);
}

/** What the BMC said at the last probe, when it is evidence by itself. */
export function bmcEvidence(obs: HostObservation | null): string | null {
  if (obs === null) return null;
  if (bmcReportsOff(obs)) return 'BMC reports power off';
  if (obs.power === 'on' && obs.bootProgress === 'boot-failed') return 'BMC reports a failed boot';
  return null;
}

export async function gatherHostEvidence(
  host: HostSpec,
  obs: HostObservation | null,
  peers: readonly HostSpec[],
  witnesses: Witnesses,
): Promise<HostEvidence> {
  const bmc = bmcEvidence(obs);
  if (bmc !== null) return { found: true, what: bmc };
  if (peers.length === 0) return { found: false, reason: `no peer could be asked whether it reaches ${host.name} (no healthy peer)`, pathDown: false };
  const reports = await witnesses.peersReach(host, [...peers]);
  const asked = reports.filter((r) => r.asked);
  const reached = asked.filter((r) => r.reached);
  if (reached.length > 0) {
    const peersSay = `${reached.length} of ${asked.length} peers reach it`;
    // It answers the controller too (only part of it is broken): it may well be serving.
    if (obs?.reachable === true) return { found: false, reason: `${host.name} still answers; ${peersSay}`, pathDown: false };
    return { found: false, reason: `controller's path to ${host.name} is down; ${peersSay}`, pathDown: true };
  }
  if (asked.length === 0) {
    const why = [...new Set(reports.map((r) => r.detail))].sort().join(', ');
    return { found: false, reason: `no peer could be asked whether it reaches ${host.name} (${why})`, pathDown: false };
  }
  return { found: true, what: `${asked.length} of ${asked.length} peers cannot reach it either` };
}
