/**
 * QEMU's machine protocol (QMP) on a unix socket, read for its events only: a test learns from
 * QEMU itself why a machine stopped (e.g. {"event": "WATCHDOG", "data": {"action": "poweroff"}})
 * rather than guessing from its exit. QEMU must run with qmpArgs(path); connect once it started.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { delay } from '../peers/common.js';

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** QEMU's own timestamp of the event, ms since the epoch. */
  at: number;
}

export interface QmpEvents {
  events(): QmpEvent[];
  close(): void;
}

/** QEMU arguments for a QMP server on `path` that does not wait for its client. */
export const qmpArgs = (path: string): string[] => [
  '-chardev', `socket,id=qmp0,path=${path.replace(/,/g, ',,')},server=on,wait=off`,
  '-mon', 'chardev=qmp0,mode=control',
];

interface QmpLine {
  QMP?: unknown;
  event?: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** Connects (retrying until the socket exists, at most timeoutMs) and leaves command mode negotiation done. */
export async function watchQmpEvents(path: string, timeoutMs: number): Promise<QmpEvents> {
  const deadline = Date.now() + timeoutMs;
  let socket: Socket | undefined;
  let lastError: unknown;
  while (!socket && Date.now() < deadline) {
    if (existsSync(path)) {
      try {
        socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        });
      } catch (e) {
        lastError = e;
      }
    }
    if (!socket) await delay(100);
  }
  if (!socket) throw new Error(`no QMP socket at ${path} within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
  const s = socket;
  const events: QmpEvent[] = [];
  let buffered = '';
  s.on('error', () => {
    // QEMU exiting closes the socket; the events read so far stay.
  });
  s.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as QmpLine;
      // The greeting: events flow only after qmp_capabilities.
      if (msg.QMP) s.write('{"execute":"qmp_capabilities"}\n');
      if (msg.event) {
        const ts = msg.timestamp;
        events.push({ event: msg.event, data: msg.data ?? {}, at: ts ? ts.seconds * 1000 + ts.microseconds / 1000 : Date.now() });
      }
    }
  });
  return { events: () => [...events], close: () => s.destroy() };
}
