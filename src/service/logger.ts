/**
 * pino, one JSON line per event, stamped with the injected clock (virtual seconds in the bench,
 * wall time in the service). Secrets never reach a log line: known secret-bearing keys are redacted.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Clock } from '../env/env.js';

/** Keys that carry secrets wherever a log line might hold them (request headers, bodies, errors). */
export const REDACTED_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'privateKey', '*.privateKey', 'token', '*.token',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', '*.headers.authorization',
];

export function createLogger(opts: { level: string; clock: Clock; destination?: DestinationStream; name?: string }): PinoLogger {
  return pino(
    {
      name: opts.name ?? '3rc',
      level: opts.level,
      base: undefined,
      timestamp: () => `,"time":"${new Date(opts.clock.now()).toISOString()}"`,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    opts.destination,
  );
}
