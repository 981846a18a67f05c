/**
 * Shared plumbing for real-peer harnesses: binary checks that name the Debian package, free
 * ports on 127.0.0.1, temp dirs, bounded waits, and child processes that are always killed
 * (by `stop()`, and as a last resort when the test process exits).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

/** Absolute path of a program, or an error telling which Debian package provides it. */
export function requireBinary(name: string, debianPackage: string): string {
  const dirs = isAbsolute(name) ? [''] : (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) {
    const p = d ? join(d, name) : name;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next directory
    }
  }
  throw new Error(`${name} not found: install Debian package ${debianPackage} (apt-get install ${debianPackage})`);
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `3rc-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The process exists (EPERM: it exists but belongs to someone else). For leftovers of a killed run. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true; bounded by `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await delay(opts.intervalMs ?? 100);
  }
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Spawns a peer process that is tracked until it exits; stderr is kept for error messages. */
export function spawnPeer(file: string, args: string[], opts: SpawnOptions = {}): { child: ChildProcess; output: () => string } {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort only: a test that forgot stop() must not leave daemons behind.
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return { child, output: () => out };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGCONT'); // a frozen (SIGSTOPped) peer cannot act on SIGTERM
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Rejects if the child exits before `ready` resolves (with its output for the message). */
export async function untilReady(
  name: string,
  peer: { child: ChildProcess; output: () => string },
  ready: Promise<void>,
): Promise<void> {
  let onExit: (() => void) | undefined;
  const died = new Promise<never>((_, reject) => {
    onExit = () => reject(new Error(`${name} exited early (code ${peer.child.exitCode}): ${peer.output().trim()}`));
    peer.child.once('exit', onExit);
  });
  try {
    await Promise.race([ready, died]);
  } finally {
    if (onExit) peer.child.off('exit', onExit);
  }
}
