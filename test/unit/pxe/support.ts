/** Shared bits for the PXE tests: wall clock, a logger that records, temp folders, UDP helpers. */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/env/env.js';

export { realClock as wallClock } from '../../../src/env/real/clock.js';

export interface LogRecord {
  level: string;
  msg?: string;
  obj: object;
}

/** Keeps the last `max` records; prints nothing unless PXE_TEST_LOG=1. */
export function recordingLogger(max = 2000): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (obj: object, msg?: string) => {
      if (records.length >= max) records.shift();
      records.push({ level, msg, obj: { ...bindings, ...obj } });
      if (process.env['PXE_TEST_LOG'] === '1') console.error(level, msg, JSON.stringify({ ...bindings, ...obj }));
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return Object.assign(make({}), { records });
}

export function tempDir(tag: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `rrc-pxe-${tag}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A UDP socket on 127.0.0.1 that collects what it receives. */
export async function udpPeer(): Promise<{
  sock: dgram.Socket;
  port: number;
  next(timeoutMs: number): Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo } | undefined>;
  close(): Promise<void>;
}> {
  const sock = dgram.createSocket('udp4');
  const queue: Array<{ msg: Buffer; rinfo: dgram.RemoteInfo }> = [];
  let waiter: (() => void) | undefined;
  sock.on('message', (msg, rinfo) => {
    queue.push({ msg, rinfo });
    waiter?.();
  });
  sock.on('error', () => undefined);
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  return {
    sock,
    port: sock.address().port,
    next: async (timeoutMs) => {
      if (queue.length === 0) {
        await new Promise<void>((res) => {
          const t = setTimeout(res, timeoutMs);
          waiter = () => {
            clearTimeout(t);
            res();
          };
        });
        waiter = undefined;
      }
      return queue.shift();
    },
    close: () => new Promise<void>((res) => sock.close(() => res())),
  };
}

/** Polls `cond` every 20 ms until true or `ms` elapsed; returns the last result. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
