/**
 * The request life cycle, written once: queued -> placing -> provisioning -> ready -> expiring ->
 * erased, with released and failed as the other ends. Every change of state goes through
 * `checkTransition`, so a state cannot be reached by a path not listed here.
 */
import { RrcError } from '../errors.js';
import { CLOSED_REQUEST_STATES, type RequestState } from '../store/types.js';

const NEXT: Record<RequestState, readonly RequestState[]> = {
  // A queued request waits for room; released (cancelled) before it got any.
  queued: ['placing', 'released'],
  // A host is chosen (its capacity is promised); provisioning starts at the next sweep.
  placing: ['provisioning', 'expiring'],
  provisioning: ['ready', 'expiring'],
  ready: ['expiring'],
  // The ending: domain, inventory, overlay and seed removed, then closed by why it ended.
  expiring: ['erased', 'released', 'failed'],
  erased: [],
  released: [],
  failed: [],
};

export function isClosed(state: RequestState): boolean {
  return CLOSED_REQUEST_STATES.includes(state);
}

/** States holding capacity on a host (placed and not yet ended). */
export function holdsCapacity(state: RequestState): boolean {
  return state === 'placing' || state === 'provisioning' || state === 'ready' || state === 'expiring';
}

export function checkTransition(id: string, from: RequestState, to: RequestState): void {
  if (!NEXT[from].includes(to)) {
    throw new RrcError('RRC_ERR_INVALID_STATE', `request ${id} is ${from}; it cannot become ${to}`);
  }
}
