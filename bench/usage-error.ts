/** A bad command line: benchMain prints the message with exit code 2 (no stack). */
export class UsageError extends Error {}
