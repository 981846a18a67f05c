/** How a controller is built: its Env, store, policy and probe schedule. */
import type { Policy, TargetKind } from '../core/index.js';
import type { Env } from '../env/env.js';
import type { Store } from '../store/types.js';
import type { FenceOptions } from './fence.js';
import type { Leadership } from './leadership.js';

export interface ProbeSettings {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
}

export interface ControllerOptions {
  env: Env;
  store: Store;
  policy: Policy;
  probes: ProbeSettings;
  fence?: FenceOptions;
  /** Leader's fencing token, recorded on every action (with a leadership: its epoch). */
  fencingToken?: () => number | null;
  /** Several controllers on one database: only the lease holder acts (leadership.ts). */
  leadership?: Leadership;
  /**
   * A simulation may say that nothing a probe could see has changed since the target's last
   * probe; a settled healthy target is then not probed this cycle (virtual-time runs do not spend
   * events on targets whose probes cannot change anything). Real environments leave it out and
   * every target is probed every cycle.
   */
  unchangedSinceLastProbe?: (kind: TargetKind, name: string) => boolean;
  /**
   * With that hint: subscribes to every change behind it, as it happens. Then a VM found quiet is
   * not looked at again until something touches it (probing.ts, resting VMs).
   */
  onProbeHintChange?: ((listener: (kind: TargetKind, name: string) => void) => void) | undefined;
}
