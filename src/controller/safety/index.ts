/** Do no harm (issue 9): the safety gate every action passes, and what feeds it. */
export { classifyAction, type Classification, type LimitedKind } from './classify.js';
export { DestructiveLimits } from './destructive-limits.js';
export { bmcEvidence, gatherHostEvidence, type HostEvidence } from './evidence.js';
export { SafetyGate, type Admission, type SafetyView } from './safety-gate.js';
export { StormGuard, type GuardState } from './storm-guard.js';
export { SelfCheckRunner } from './self-check.js';
