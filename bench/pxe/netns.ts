/**
 * The benchmark's own network: a server namespace and a client namespace joined by a veth pair,
 * addressed in 198.19.0.0/16 (inside the RFC 2544 benchmarking range 198.18.0.0/15), with no
 * default route: nothing can leave the machine. For the PXE storm, `addHosts` adds one namespace
 * per simulated host (its own MAC on its own veth), all plugged into a bridge in the client
 * namespace, so each host broadcasts and receives exactly like a machine on a switch.
 *
 * Names carry the creating PID (`rrcpxb-<pid>-<rand>-s|c|hNNN`): `cleanupStale` removes only those
 * whose creator is dead. Every child started here is its own process group and is killed by
 * `destroy()`, which also deletes every namespace; `installExitHandlers` runs it on Ctrl-C,
 * SIGTERM and uncaught errors, and a synchronous last resort runs on process exit.
 */
import { must as mustProgram, run as runProgram } from '../../test/helpers/netns/netns.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const PREFIX = 'rrcpxb';
export const NET = { server: '198.19.0.1', client: '198.19.0.2', prefixLen: 16, netmask: '255.255.0.0' } as const;

import type { RunResult } from '../../test/helpers/netns/netns.js';
export type { RunResult };

/** The shared runner, with the bench's longer default timeout (namespace set-up under load). */
export function run(file: string, args: readonly string[], timeoutMs = 15_000, input?: string) {
  return runProgram(file, args, timeoutMs, input);
}

export function must(file: string, args: readonly string[], timeoutMs = 15_000, input?: string): Promise<string> {
  return mustProgram(file, args, timeoutMs, input);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces of earlier runs whose creating process is dead. */
export async function cleanupStale(): Promise<string[]> {
  const out = await must('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = new RegExp(`^${PREFIX}-(\\d+)-[0-9a-f]+-(s|c|h\\d+)$`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    await run('ip', ['netns', 'delete', name]);
    removed.push(name);
  }
  return removed;
}

export interface StormHost {
  index: number;
  ns: string;
  mac: string;
}

export class BenchNet {
  readonly id = `${PREFIX}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly serverNs = `${this.id}-s`;
  readonly clientNs = `${this.id}-c`;
  readonly serverIf = 'veth-srv';
  readonly clientIf = 'veth-cli';
  /** Bridge in the client namespace; carries the client address. */
  readonly bridge = 'br0';
  readonly serverIp = NET.server;
  readonly clientIp = NET.client;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;
  private hostsNs: string[] = [];

  async create(): Promise<void> {
    await cleanupStale();
    const ns = (n: string) => {
      this.namespaces.push(n);
      return must('ip', ['netns', 'add', n]);
    };
    await ns(this.serverNs);
    await ns(this.clientNs);
    await must('ip', ['link', 'add', this.serverIf, 'netns', this.serverNs, 'type', 'veth', 'peer', 'name', this.clientIf, 'netns', this.clientNs]);
    for (const n of [this.serverNs, this.clientNs]) await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', this.serverNs, 'addr', 'add', `${this.serverIp}/${NET.prefixLen}`, 'dev', this.serverIf]);
    await must('ip', ['-n', this.serverNs, 'link', 'set', this.serverIf, 'up']);
    // The client side is a bridge (a switch): the veth to the server, later the storm hosts, and
    // the address perfdhcp and the TFTP clients use.
    await must('ip', ['-n', this.clientNs, 'link', 'add', this.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await must('ip', ['-n', this.clientNs, 'link', 'set', this.clientIf, 'master', this.bridge]);
    await must('ip', ['-n', this.clientNs, 'link', 'set', this.clientIf, 'up']);
    await must('ip', ['-n', this.clientNs, 'addr', 'add', `${this.clientIp}/${NET.prefixLen}`, 'dev', this.bridge]);
    await must('ip', ['-n', this.clientNs, 'link', 'set', this.bridge, 'up']);
  }

  /**
   * One namespace per storm host, interface `eth0` with the host's MAC, its peer in the bridge of
   * the client namespace (with the veth to the server). No address: the host gets it by DHCP.
   */
  async addHosts(macs: readonly string[]): Promise<StormHost[]> {
    const hosts = macs.map((mac, index) => ({ index, mac, ns: `${this.id}-h${index}` }));
    this.hostsNs = hosts.map((h) => h.ns);
    this.namespaces.push(...this.hostsNs);
    const root = hosts.flatMap((h) => [
      `netns add ${h.ns}`,
      `link add eth0 address ${h.mac} netns ${h.ns} type veth peer name vh${h.index} netns ${this.clientNs}`,
    ]);
    await must('ip', ['-batch', '-'], 120_000, `${root.join('\n')}\n`);
    const inClient = hosts.flatMap((h) => [`link set vh${h.index} master ${this.bridge}`, `link set vh${h.index} up`]);
    await must('ip', ['-n', this.clientNs, '-batch', '-'], 120_000, `${inClient.join('\n')}\n`);
    for (let i = 0; i < hosts.length; i += 16) {
      await Promise.all(
        hosts.slice(i, i + 16).map((h) => must('ip', ['-n', h.ns, '-batch', '-'], 15_000, 'link set lo up\nlink set eth0 up\n')),
      );
    }
    return hosts;
  }

  /** Runs a program in a namespace with a hard timeout. */
  exec(ns: string, file: string, args: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, file, ...args], timeoutMs);
  }

  /** Starts a program in a namespace as its own process group; destroy() kills the group. */
  spawn(ns: string, file: string, args: readonly string[], stdio: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
    if (this.destroyed) throw new Error('network already destroyed');
    const c = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: stdio === 'pipe' ? ['pipe', 'pipe', 'pipe'] : 'ignore', detached: true });
    this.children.add(c);
    c.once('exit', () => this.children.delete(c));
    c.on('error', () => undefined);
    return c;
  }

  /** Kills a child's process group (it was started here) and waits for it, bounded. */
  async kill(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    try {
      process.kill(-c.pid, signal);
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs + 2000))]);
    clearTimeout(t);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.children].map((c) => this.kill(c, 'SIGKILL', 1000)));
    const names = [...this.namespaces].reverse();
    for (let i = 0; i < names.length; i += 32) {
      await run('ip', ['-force', '-batch', '-'], 60_000, `${names.slice(i, i + 32).map((n) => `netns delete ${n}`).join('\n')}\n`);
    }
    this.namespaces.length = 0;
  }

  /** Synchronous last resort for process exit: kill groups, delete namespaces. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      try {
        if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const names = [...this.namespaces].reverse();
    if (names.length) spawnSync('ip', ['-force', '-batch', '-'], { input: `${names.map((n) => `netns delete ${n}`).join('\n')}\n`, timeout: 60_000 });
    this.namespaces.length = 0;
  }

  get hostNamespaces(): readonly string[] {
    return this.hostsNs;
  }
}

/**
 * Ctrl-C, SIGTERM, uncaught errors and plain exit all tear the network down, then run `cleanup`
 * (synchronous: temporary folders). Returns a function that removes the handlers (normal end of
 * the run, after an awaited destroy()).
 */
export function installExitHandlers(net: BenchNet, log: (s: string) => void, cleanup: () => void = () => undefined): () => void {
  const tidy = () => {
    try {
      cleanup();
    } catch {
      /* best effort on the way out */
    }
  };
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`\n${sig}: removing the benchmark namespaces...`);
    const hard = setTimeout(() => {
      net.destroySync();
      tidy();
      process.exit(130);
    }, 20_000);
    void net.destroy().finally(() => {
      clearTimeout(hard);
      tidy();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  const onFatal = (e: unknown) => {
    log(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    net.destroySync();
    tidy();
    process.exit(1);
  };
  const onExit = () => {
    net.destroySync();
    tidy();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  process.on('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    process.off('exit', onExit);
  };
}
