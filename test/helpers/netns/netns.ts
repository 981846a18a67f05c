/**
 * Network namespaces for tests that need real DHCP ports (67/68) and broadcasts without touching
 * the host's network: a server namespace and a client namespace joined by a veth pair, addressed
 * in 198.18.0.0/15 (RFC 2544 benchmarking range), with no default route.
 *
 * Names carry the creating PID (`rrcpxe-<pid>-<rand>-s|c`), so `cleanupStaleNetns` removes only
 * namespaces whose creator is dead (a crashed earlier run), never those of a concurrent run.
 * `destroy()` kills what was spawned inside, then deletes both namespaces (the veth goes with them);
 * call it from after() so that it runs even when a test fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const NETNS_PREFIX = 'rrcpxe';

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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes `<prefix>-<pid>-...` namespaces whose creating process no longer exists. */
export async function cleanupStaleNetns(prefix = NETNS_PREFIX): Promise<string[]> {
  const out = await must('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = new RegExp(`^${prefix}-(\\d+)-[0-9a-f]+-[sc]$`).exec(name);
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
