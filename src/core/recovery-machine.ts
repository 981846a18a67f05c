/** The recovery machine moved to machine/; this path stays for its importers (and old fixtures' tests). */
export { createRecoveryMachine, type RecoveryMachine } from './machine/recovery-machine.js';
export type { RecoveryEmitted, RecoveryEvent } from './machine/events.js';
