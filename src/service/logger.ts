/**
 * pino, stamped with the injected clock (virtual seconds in the bench, wall time in the service).
 * Secrets never reach a log line: known secret-bearing keys are redacted.
 *
 * Format: one JSON line per event for journald, files and pipes; human-readable lines
 * (pino-pretty) when stdout is a terminal. `RRC_LOG_FORMAT=json|pretty` (or `3rc --log-format`,
 * which sets it) forces either. A caller-given destination (tests, a file) stays JSON unless
 * pretty is asked for explicitly: only a person at a terminal wants colours.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Clock } from '../env/env.js';
import { RrcError } from '../errors.js';

/** Keys that carry secrets wherever a log line might hold them (request headers, bodies, errors). */
export const REDACTED_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'privateKey', '*.privateKey', 'token', '*.token',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', '*.headers.authorization',
];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** The environment variable that forces a format. */
export const LOG_FORMAT_ENV = 'RRC_LOG_FORMAT';

export function isLogFormat(s: string): s is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(s);
}

/**
 * The format to use: `explicit`, else RRC_LOG_FORMAT, else pretty on a terminal and JSON otherwise.
 * A caller that brings its own destination gets JSON unless it asks (explicitly or by env).
 */
export function resolveLogFormat(opts: {
  explicit?: LogFormat | undefined;
  env?: NodeJS.ProcessEnv;
  isTty?: boolean;
  ownDestination?: boolean;
} = {}): LogFormat {
  if (opts.explicit) return opts.explicit;
  const fromEnv = (opts.env ?? process.env)[LOG_FORMAT_ENV]?.trim().toLowerCase();
  if (fromEnv) {
    if (!isLogFormat(fromEnv)) {
      throw new RrcError('RRC_ERR_VALIDATION', `${LOG_FORMAT_ENV}=${JSON.stringify(fromEnv)}: expected ${LOG_FORMATS.join(' or ')}`);
    }
    return fromEnv;
  }
  if (opts.ownDestination) return 'json';
  return (opts.isTty ?? process.stdout.isTTY === true) ? 'pretty' : 'json';
}

/** Human-readable lines on `out` (stdout by default): local time, level, message, then the fields. */
export function prettyDestination(opts: { colorize?: boolean; out?: NodeJS.WritableStream } = {}): DestinationStream {
  return pretty({
    colorize: opts.colorize ?? (process.stdout.isTTY === true && !process.env.NO_COLOR),
    // Synchronous like pino's own stdout destination: a line is out before a crash or exit.
    sync: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    ...(opts.out ? { destination: opts.out } : {}),
  });
}

export function createLogger(opts: {
  level: string;
  clock: Clock;
  destination?: DestinationStream;
  name?: string;
  format?: LogFormat;
}): PinoLogger {
  const format = resolveLogFormat({ explicit: opts.format, ownDestination: opts.destination !== undefined });
  const destination =
    format === 'pretty' ? prettyDestination(opts.destination ? { colorize: false, out: opts.destination as NodeJS.WritableStream } : {}) : opts.destination;
  return pino(
    {
      name: opts.name ?? '3rc',
      level: opts.level,
      base: undefined,
      timestamp: () => `,"time":"${new Date(opts.clock.now()).toISOString()}"`,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
