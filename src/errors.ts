/**
 * Every error the project raises on purpose, in one table: code, HTTP status, message template.
 * The API maps `RrcError.status` to the response; the CLI prints `code: message` and exits non-zero.
 */

export const ERRORS = {
  RRC_ERR_VALIDATION: { status: 400, message: 'invalid input: %s' },
  RRC_ERR_CONFIG_INVALID: { status: 400, message: 'invalid configuration: %s' },
  RRC_ERR_UNAUTHENTICATED: { status: 401, message: 'not authenticated: %s' },
  RRC_ERR_FORBIDDEN: { status: 403, message: 'forbidden: %s' },
  RRC_ERR_NOT_FOUND: { status: 404, message: '%s not found' },
  RRC_ERR_MISDIRECTED: { status: 421, message: 'misdirected request: %s' },
  RRC_ERR_CONFLICT: { status: 409, message: 'conflict: %s' },
  RRC_ERR_INVALID_STATE: { status: 409, message: 'not allowed in the current state: %s' },
  RRC_ERR_STALE_EPOCH: { status: 409, message: 'stale leader epoch: %s' },
  RRC_ERR_FENCE_UNCONFIRMED: { status: 409, message: 'fencing could not be confirmed: %s' },
  RRC_ERR_NO_CAPACITY: { status: 409, message: 'no host has capacity: %s' },
  RRC_ERR_QUOTA: { status: 409, message: 'over quota: %s' },
  RRC_ERR_DRIVER_TIMEOUT: { status: 504, message: 'timed out: %s' },
  RRC_ERR_ABORTED: { status: 504, message: 'aborted: %s' },
  RRC_ERR_DRIVER: { status: 502, message: 'driver error: %s' },
  RRC_ERR_AUTH: { status: 502, message: 'authentication refused: %s' },
  RRC_ERR_UNREACHABLE: { status: 502, message: 'unreachable: %s' },
  RRC_ERR_MISSING_DEPENDENCY: { status: 500, message: 'missing dependency: %s' },
  RRC_ERR_STORE: { status: 500, message: 'store error: %s' },
  RRC_ERR_CONTROLLER_UNREACHABLE: { status: 503, message: 'controller not reachable: %s' },
  RRC_ERR_INTERNAL: { status: 500, message: 'internal error: %s' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class RrcError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, detail: string, opts: { details?: unknown; cause?: unknown } = {}) {
    super(ERRORS[code].message.replace('%s', detail), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RrcError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = opts.details;
  }
}

export function isRrcError(e: unknown, code?: ErrorCode): e is RrcError {
  return e instanceof RrcError && (code === undefined || e.code === code);
}

/** One line for logs and the CLI, whatever was thrown. */
export function errorText(e: unknown): string {
  if (e instanceof RrcError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
