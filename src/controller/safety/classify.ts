/**
 * Which actions can take a serving machine down, judged by the action's kind and what was last
 * observed of the target: a `host-reboot` of a host whose BMC reports it off is a power-on; a
 * fence of a host already off powers nothing down and no VM can still run there.
 */
import type { PendingAction } from '../../core/context.js';
import type { HostObservation } from '../../core/signature.js';
import type { MaxConcurrentPolicy } from '../../core/policy.js';
import { bmcReportsOff } from './evidence.js';

/** Destructive actions counted against `safety.maxConcurrent`. */
export type LimitedKind = keyof MaxConcurrentPolicy;

export interface Classification {
  destructive: boolean;
  /** Which concurrency limit it counts against (destructive actions only). */
  limit: LimitedKind | null;
}

const SAFE: Classification = { destructive: false, limit: null };

export function classifyAction(action: PendingAction, hostObservation: HostObservation | null): Classification {
  switch (action.kind) {
    case 'host-reboot':
      return bmcReportsOff(hostObservation) ? SAFE : { destructive: true, limit: 'powerCycle' };
    case 'fence-migrate':
      return bmcReportsOff(hostObservation) ? SAFE : { destructive: true, limit: 'fence' };
    case 'reinstall':
      return { destructive: true, limit: 'reinstall' };
    case 'vm-reboot':
    case 'vm-restart':
    case 'vm-move':
      return { destructive: true, limit: null };
    case 'host-power-on':
    case 'hypervisor-restart':
    case 'service-restart':
    case 'quarantine':
    case 'remove-stale-copies': // stale copies: domains of VMs that live (and serve) elsewhere
      return SAFE;
  }
}
