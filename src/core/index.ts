/**
 * The core: pure decisions, no I/O. Entry point of the folder.
 *
 * Glossary
 *   target     a physical host or a VM the controller watches (id `host:<name>` / `vm:<name>`)
 *   probe      one observation of a target; folded into a failure signature
 *   signature  the verdict naming what is broken (signature.ts), which picks the entry rung
 *   rung       a remedy of the ladder, numbered in the one rung table (rungs.ts): service restart
 *              ... reinstall, then quarantine; `RUNG.fenceMigrate` rather than a bare number
 *   ladder     the rungs that apply to a target, in order, all derived from the table (ladder.ts)
 *   entry rung where an incident starts: its evidence, lifted by its penalty (escalation/entry-rung.ts)
 *   incident   one failure of a target, from detection to healthy / quarantine / cancel (incident.ts)
 *   penalty    flap-damping score (penalty.ts); high penalty -> higher entry rung or quarantine
 *   evacuate   fence a host (BMC power off, confirmed) and start its VMs on another host
 *              (escalation/evacuation.ts); "repair in place" keeps them aboard (escalation/host-repair.ts)
 *   leftovers  VMs still recorded on a quarantined host that found no room elsewhere yet
 *   pending action  the action the machine wants run, stored under `<incidentId>/<seq>-r<rung>`
 *   BMC        baseboard management controller (IPMI): out-of-band power control
 *
 * Layout
 *   rungs.ts, ladder.ts           the rung table and the ladders derived from it
 *   context.ts, incident.ts       the machine's context, probe counting, incident and penalty
 *   quiet-probe.ts                which probes change nothing (skipped before the machine)
 *   escalation/                   the policy: entry rung, rung steps, evacuation, host repair,
 *                                 reinstall evidence
 *   machine/                      the XState machine: events, guards, actions, shared transitions
 */
export * from './rungs.js';
export * from './action-result.js';
export * from './types.js';
export * from './signature.js';
export * from './policy.js';
export * from './penalty.js';
export * from './ladder.js';
export * from './placement.js';
export * from './context.js';
export * from './quiet-probe.js';
export * from './incident.js';
export * from './escalation/rung-step.js';
export * from './escalation/entry-rung.js';
export * from './escalation/evacuation.js';
export * from './escalation/host-repair.js';
export * from './escalation/reinstall-evidence.js';
export * from './machine/events.js';
export * from './machine/recovery-machine.js';
