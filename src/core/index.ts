/**
 * The core: pure decisions, no I/O. Entry point of the folder.
 *
 * Glossary
 *   target     a physical host or a VM the controller watches (id `host:<name>` / `vm:<name>`)
 *   probe      one observation of a target; folded into a failure signature
 *   signature  the verdict naming what is broken (signature.ts), which picks the entry rung
 *   rung       a remedy of the ladder, 0..6 (service restart ... reinstall, quarantine)
 *   ladder     the rungs that apply to a target kind, in order (ladder.ts)
 *   incident   one failure of a target, from detection to healthy / quarantine / cancel
 *   penalty    flap-damping score (penalty.ts); high penalty -> higher entry rung or quarantine
 *   evacuate   fence a host (BMC power off, confirmed) and start its VMs on another host
 *   BMC        baseboard management controller (IPMI): out-of-band power control
 */
export * from './rungs.js';
export * from './action-result.js';
export * from './types.js';
export * from './signature.js';
export * from './policy.js';
export * from './penalty.js';
export * from './ladder.js';
export * from './placement.js';
export * from './recovery-context.js';
export * from './recovery-machine.js';
