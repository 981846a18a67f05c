/** The context moved to context.ts and the escalation policy to escalation/; this path stays for its importers. */
export type { PendingAction, ProbeFacts, RecoveryContext, RecoveryInput } from './context.js';
export { currentPenalty } from './incident.js';
