/** Label values that must all appear (a phase with no target is 0, not a missing series). */
export { TARGET_PHASES as PHASES } from '../core/types.js';

/** Seconds from detection to healthy: 5 s (a service restart) to an hour (a reinstall that waited). */
export const RECOVERY_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600];
/** One action: a service restart takes seconds, a reinstall up to 25 minutes. */
export const ACTION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1500];
/** One probe of a target (all its checks): bounded by the probe timeout. */
export const PROBE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];
