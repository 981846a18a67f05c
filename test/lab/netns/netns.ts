/**
 * Network namespaces, the one helper of the tests and the PXE bench: real DHCP ports (67/68) and
 * broadcasts without touching the host's network, addressed in the RFC 2544 benchmarking range
 * 198.18.0.0/15, with no default route: nothing can leave the machine.
 *
 * - `createNetnsPair` (tests): a server namespace and a client namespace joined by a veth pair.
 *   `destroy()` kills what was spawned inside, then deletes both namespaces (the veth goes with
 *   them); call it from after() so that it runs even when a test fails.
 * - `BenchNet` (bench/pxe): the same pair with a bridge on the client side, 198.19.0.0/16, and
 *   `addHosts` for one namespace per simulated host of a PXE storm (its own MAC on its own veth,
 *   plugged into the bridge, so each host broadcasts and receives like a machine on a switch).
 *   Its children are process groups; `installExitHandlers` tears it down on Ctrl-C, SIGTERM,
 *   uncaught errors and process exit.
 *
 * Names carry the creating PID (`<prefix>-<pid>-<rand>-s|c|hNNN`), so `cleanupStaleNetns` removes
 * only namespaces whose creator is dead (a crashed earlier run), never those of a concurrent run.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pidAlive } from '../peers/common.js';

export const NETNS_PREFIX = 'rrcpxe';
/** The PXE bench's namespaces. */
export const BENCH_NETNS_PREFIX = 'rrcpxb';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** Runs a program (no shell) with a hard timeout, optionally feeding `input`; never rejects. */
export function run(file: string, args: readonly string[], timeoutMs = 10_000, input?: string): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown; killed?: boolean }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout: String(stdout),
        stderr: String(stderr) + (e && typeof e.code === 'string' ? ` (${e.code})` : ''),
        timedOut: Boolean(e?.killed),
        ms: performance.now() - t0,
      });
    });
    if (input !== undefined) c.stdin?.end(input);
  });
}

/** `run` that throws with the program's stderr unless it exits 0. */
export async function must(file: string, args: readonly string[], timeoutMs = 10_000, input?: string): Promise<string> {
  const r = await run(file, args, timeoutMs, input);
  if (r.code !== 0) throw new Error(`${file} ${args.slice(0, 12).join(' ')} failed (${r.code}): ${r.stderr.trim().slice(0, 500)}`);
  return r.stdout;
}

/** Fails loudly (with the Debian package to install) when a peer program is missing or we are not root. */
export async function requirePeers(tools: Array<{ cmd: string; args: string[]; pkg: string }>): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root');
  for (const t of tools) {
    const r = await run(t.cmd, t.args, 5000);
    if (r.code === null && /ENOENT/.test(r.stderr)) throw new Error(`${t.cmd} not found: install Debian package ${t.pkg}`);
  }
}

/** Deletes `<prefix>-<pid>-...` namespaces whose creating process no longer exists. */
export async function cleanupStaleNetns(prefix = NETNS_PREFIX): Promise<string[]> {
  const out = await must('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = new RegExp(`^${prefix}-(\\d+)-[0-9a-f]+-(s|c|h\\d+)$`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    await run('ip', ['netns', 'delete', name]);
    removed.push(name);
  }
  return removed;
}

export interface NetnsPair {
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
  serverIp: string;
  clientIp: string;
  prefixLen: number;
  /** Runs a program inside a namespace with a hard timeout. */
  exec(ns: string, file: string, args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Starts a long-running program inside a namespace; killed by destroy() if still running. */
  spawn(ns: string, file: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  setClientMac(mac: string): Promise<void>;
  destroy(): Promise<void>;
}

export async function createNetnsPair(prefix = NETNS_PREFIX): Promise<NetnsPair> {
  await cleanupStaleNetns(prefix);
  const id = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const serverNs = `${id}-s`;
  const clientNs = `${id}-c`;
  const net = randomBytes(1)[0]!;
  const pair = {
    serverNs,
    clientNs,
    serverIf: 'veth-srv',
    clientIf: 'veth-cli',
    serverIp: `198.18.${net}.1`,
    clientIp: `198.18.${net}.2`,
    prefixLen: 24,
  };
  const children = new Set<ChildProcess>();
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(
      [...children].map((c) =>
        c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((res) => c.once('exit', res)),
      ),
    );
    await run('ip', ['netns', 'delete', serverNs]);
    await run('ip', ['netns', 'delete', clientNs]);
  };
  try {
    await must('ip', ['netns', 'add', serverNs]);
    await must('ip', ['netns', 'add', clientNs]);
    // Created directly inside the namespaces: no name can clash with the host's interfaces.
    await must('ip', ['link', 'add', pair.serverIf, 'netns', serverNs, 'type', 'veth', 'peer', 'name', pair.clientIf, 'netns', clientNs]);
    for (const ns of [serverNs, clientNs]) await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', serverNs, 'addr', 'add', `${pair.serverIp}/${pair.prefixLen}`, 'dev', pair.serverIf]);
    await must('ip', ['-n', serverNs, 'link', 'set', pair.serverIf, 'up']);
    await must('ip', ['-n', clientNs, 'link', 'set', pair.clientIf, 'up']);
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    ...pair,
    exec: (ns, file, args, timeoutMs = 10_000) => run('ip', ['netns', 'exec', ns, file, ...args], timeoutMs),
    spawn: (ns, file, args, env) => {
      const c = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
      children.add(c);
      c.once('exit', () => children.delete(c));
      return c;
    },
    setClientMac: async (mac) => {
      await must('ip', ['-n', clientNs, 'link', 'set', pair.clientIf, 'address', mac]);
    },
    destroy,
  };
}

// --- the PXE bench's network ---------------------------------------------------------------------

export const NET = { server: '198.19.0.1', client: '198.19.0.2', prefixLen: 16, netmask: '255.255.0.0' } as const;

/** Namespace set-up under the bench's load takes longer than a test's: 15 s per command by default. */
const SLOW_MS = 15_000;
const runSlow = (file: string, args: readonly string[], timeoutMs = SLOW_MS, input?: string) => run(file, args, timeoutMs, input);
const mustSlow = (file: string, args: readonly string[], timeoutMs = SLOW_MS, input?: string) => must(file, args, timeoutMs, input);

export interface StormHost {
  index: number;
  ns: string;
  mac: string;
}

export class BenchNet {
  readonly id = `${BENCH_NETNS_PREFIX}-${process.pid}-${randomBytes(3).toString('hex')}`;
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
    await cleanupStaleNetns(BENCH_NETNS_PREFIX);
    const ns = (n: string) => {
      this.namespaces.push(n);
      return mustSlow('ip', ['netns', 'add', n]);
    };
    await ns(this.serverNs);
    await ns(this.clientNs);
    await mustSlow('ip', ['link', 'add', this.serverIf, 'netns', this.serverNs, 'type', 'veth', 'peer', 'name', this.clientIf, 'netns', this.clientNs]);
    for (const n of [this.serverNs, this.clientNs]) await mustSlow('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    await mustSlow('ip', ['-n', this.serverNs, 'addr', 'add', `${this.serverIp}/${NET.prefixLen}`, 'dev', this.serverIf]);
    await mustSlow('ip', ['-n', this.serverNs, 'link', 'set', this.serverIf, 'up']);
    // The client side is a bridge (a switch): the veth to the server, later the storm hosts, and
    // the address perfdhcp and the TFTP clients use.
    await mustSlow('ip', ['-n', this.clientNs, 'link', 'add', this.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await mustSlow('ip', ['-n', this.clientNs, 'link', 'set', this.clientIf, 'master', this.bridge]);
    await mustSlow('ip', ['-n', this.clientNs, 'link', 'set', this.clientIf, 'up']);
    await mustSlow('ip', ['-n', this.clientNs, 'addr', 'add', `${this.clientIp}/${NET.prefixLen}`, 'dev', this.bridge]);
    await mustSlow('ip', ['-n', this.clientNs, 'link', 'set', this.bridge, 'up']);
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
    await mustSlow('ip', ['-batch', '-'], 120_000, `${root.join('\n')}\n`);
    const inClient = hosts.flatMap((h) => [`link set vh${h.index} master ${this.bridge}`, `link set vh${h.index} up`]);
    await mustSlow('ip', ['-n', this.clientNs, '-batch', '-'], 120_000, `${inClient.join('\n')}\n`);
    for (let i = 0; i < hosts.length; i += 16) {
      await Promise.all(
        hosts.slice(i, i + 16).map((h) => mustSlow('ip', ['-n', h.ns, '-batch', '-'], 15_000, 'link set lo up\nlink set eth0 up\n')),
      );
    }
    return hosts;
  }

  /** Runs a program in a namespace with a hard timeout. */
  exec(ns: string, file: string, args: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
    return runSlow('ip', ['netns', 'exec', ns, file, ...args], timeoutMs);
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
      await runSlow('ip', ['-force', '-batch', '-'], 60_000, `${names.slice(i, i + 32).map((n) => `netns delete ${n}`).join('\n')}\n`);
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
