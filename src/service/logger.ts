/**
 * pino, one JSON line per event, stamped with the injected clock (virtual seconds in the bench,
 * wall time in the service). Secrets never reach a log line: known secret-bearing keys are redacted.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Clock } from '../env/env.js';

export function createLogger(opts: { level: string; clock: Clock; destination?: DestinationStream; name?: string }): PinoLogger {
  return pino(
    {
      name: opts.name ?? '3rc',
      level: opts.level,
      base: undefined,
      timestamp: () => `,"time":"${new Date(opts.clock.now()).toISOString()}"`,
      redact: { paths: ['password', '*.password', 'secret', '*.secret', 'privateKey', '*.privateKey'], censor: '[redacted]' },
    },
    opts.destination,
  );
}
