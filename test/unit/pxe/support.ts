/** Shared bits for the PXE tests: wall clock, a logger that records, temp folders, UDP helpers. */
import { generateKeyPairSync } from 'node:crypto';
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

/** A UDP socket on `address` (default 127.0.0.1; any of 127.0.0.0/8 is local) that collects what it receives. */
export async function udpPeer(address = '127.0.0.1'): Promise<{
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
  await new Promise<void>((res) => sock.bind(0, address, () => res()));
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

/**
 * A clock that moves only when told: timers fire from `advance`, in due order (those that a
 * firing timer schedules inside the window fire too). For asserting on virtual time.
 */
export class ManualClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.t + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = target;
  }
}

/** A fresh ed25519 public key as an OpenSSH line (`ssh-ed25519 <base64> <comment>`). */
export function ed25519KeyLine(comment = 'root@test'): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(32), raw]).toString('base64')} ${comment}`;
}
