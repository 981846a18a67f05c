/**
 * The boot services of a reinstall test, running in the server network namespace (a child
 * process: Node cannot bind a socket in another namespace), seen from the test process as the
 * handle PxeProvisioner takes: `events` ('milestone'), `setNetboot`, `issueToken`.
 *
 * This is a transport, not a fake: every call goes to the real startBootServices in the child
 * over its stdin, in order, and every milestone it emits comes back with the child's timestamp
 * (same wall clock). Calls are fire-and-forget like the in-process ones, so `issueToken` returns
 * a placeholder (the token itself stays in the child, where the kickstart embeds it); a failed
 * call shows up in `errors()`. The child is killed by `stop()` and by the namespace's destroy().
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BootMilestone, BootServicesConfig } from '../../../src/drivers/pxe/index.js';
import type { BootServicesHandle } from '../../../src/drivers/pxe/provisioner.js';
import type { NetnsPair } from './netns.js';

export type RemoteBootConfig = Omit<BootServicesConfig, 'log' | 'clock'>;

export interface RemoteBootServices extends BootServicesHandle {
  readonly ports: { dhcp: number; tftp: number; http: number };
  readonly baseUrl: string;
  /** Every milestone the child emitted, oldest first. */
  readonly milestones: BootMilestone[];
  /** Errors the child reported (a refused command, a crash), oldest first. */
  errors(): string[];
  /** The child's own answer: is netboot on for this MAC now? */
  netbootOf(mac: string): Promise<boolean>;
  stats(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const CHILD = join(import.meta.dirname, 'boot-services-child.ts');

export async function startRemoteBootServices(ns: NetnsPair, cfg: RemoteBootConfig, timeoutMs = 30_000): Promise<RemoteBootServices> {
  const child = ns.spawn(ns.serverNs, process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(cfg)]);
  const events = new EventEmitter();
  const milestones: BootMilestone[] = [];
  const errors: string[] = [];
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
    if (process.env['PXE_TEST_LOG'] === '1') process.stderr.write(d);
  });

  let onReady: (v: { ports: RemoteBootServices['ports']; baseUrl: string }) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<{ ports: RemoteBootServices['ports']; baseUrl: string }>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = typeof msg['id'] === 'number' ? msg['id'] : undefined;
    switch (msg['event']) {
      case 'ready':
        return onReady(msg as unknown as { ports: RemoteBootServices['ports']; baseUrl: string });
      case 'milestone': {
        const { event: _e, ...m } = msg;
        milestones.push(m as unknown as BootMilestone);
        events.emit('milestone', m);
        return;
      }
      case 'reply':
        if (id !== undefined) waiting.get(id)?.resolve(msg['result']);
        if (id !== undefined) waiting.delete(id);
        return;
      case 'error': {
        const text = String(msg['error']);
        errors.push(text);
        onFail(new Error(`boot services: ${text}`));
        if (id !== undefined) waiting.get(id)?.reject(new Error(text));
        if (id !== undefined) waiting.delete(id);
        return;
      }
    }
  });
  child.once('exit', (code, signal) => {
    const e = new Error(`boot services child exited (${code ?? signal}): ${stderr.trim().slice(-500)}`);
    onFail(e);
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });

  const send = (cmd: Record<string, unknown>): number => {
    const id = nextId++;
    child.stdin?.write(`${JSON.stringify({ id, ...cmd })}\n`);
    return id;
  };
  const ask = <T>(cmd: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = send(cmd);
      const t = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`boot services did not answer ${JSON.stringify(cmd)}`));
      }, 5000);
      waiting.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });

  let timer: NodeJS.Timeout | undefined;
  const started = await Promise.race([
    ready,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`boot services did not start within ${timeoutMs} ms: ${stderr.trim().slice(-500)}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  onFail = () => undefined;

  let stopped = false;
  return {
    ports: started.ports,
    baseUrl: started.baseUrl,
    events,
    milestones,
    errors: () => [...errors],
    setNetboot: (mac, on) => void send({ cmd: 'netboot', mac, on }),
    issueToken: (host) => {
      send({ cmd: 'token', host });
      return '(kept by the boot services child)';
    },
    netbootOf: (mac) => ask<boolean>({ cmd: 'netboot?', mac }),
    stats: () => ask<Record<string, unknown>>({ cmd: 'stats' }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((res) => child.once('exit', () => res()));
      child.stdin?.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}
