/**
 * Processes the real lab starts (sshd per machine, silent ports, the guests' services): each in
 * its own process group, so stopping one also ends the sessions it forked (an sshd's
 * per-connection children outlive their listener otherwise). Nothing is ever killed by name:
 *
 * - `kill()` of a group, at the end of every injection (and on failure / Ctrl-C through the run's
 *   cleanup);
 * - an exit hook kills every group still registered when this process exits;
 * - a reaper (`startReaper`, one small `sh` per run) kills them by id if this process dies
 *   without running its exit hook: `tsx` SIGKILLs its child when the child does not acknowledge
 *   Ctrl-C within 30 ms, which a busy lab on a loaded machine does not always manage. The reaper
 *   reads the ids from a registry file kept up to date here (groups, and single pids such as the
 *   ipmi_sim BMCs the test harness starts in our own group), and exits with the run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<ChildProcess>();
/** Single processes (not groups) to kill if we die: pid -> what. */
const pids = new Map<number, string>();
let hookInstalled = false;
let registry: string | null = null;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function writeRegistry(): void {
  if (registry === null) return;
  const lines = [...live].flatMap((c) => (c.pid === undefined ? [] : [`g ${c.pid}`]));
  for (const pid of pids.keys()) lines.push(`p ${pid}`);
  try {
    writeFileSync(`${registry}.tmp`, lines.map((l) => `${l}\n`).join(''));
    renameSync(`${registry}.tmp`, registry); // the reaper never reads a half-written file
  } catch {
    // best effort: the exit hook still covers a normal exit
  }
}

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c, 'SIGKILL');
    for (const pid of pids.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (registry !== null) rmSync(registry, { force: true });
  });
}

export interface GroupProcess {
  child: ChildProcess;
  /** Last 8 KiB of stdout + stderr, for error messages. */
  output(): string;
  exited(): boolean;
  /** SIGKILL to the whole group; resolves when the leader is gone (bounded: 3 s). */
  kill(): Promise<void>;
}

export function spawnGroup(file: string, args: string[], env?: NodeJS.ProcessEnv): GroupProcess {
  installHook();
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      if (live.delete(child)) writeRegistry();
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  live.add(child);
  writeRegistry();
  return {
    child,
    output: () => out,
    exited: () => exited,
    kill: async () => {
      killGroup(child, 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, 3_000)))]);
      clearTimeout(timer);
    },
  };
}

/** Registers a single process (started elsewhere, e.g. by a test harness) for the hook and the reaper. */
export function registerPid(pid: number, what: string): void {
  installHook();
  pids.set(pid, what);
  writeRegistry();
}

export function unregisterPid(pid: number): void {
  if (pids.delete(pid)) writeRegistry();
}

/** Our direct child whose command line contains `marker` (e.g. a peer's temp dir), or null. */
export function childPid(marker: string): number | null {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m && m[2]!.includes(marker)) return Number(m[1]);
    }
  } catch {
    // no ps: the exit hook still covers a normal exit
  }
  return null;
}

const REAPER_SH = `p="$1"; f="$2"
while kill -0 "$p" 2>/dev/null; do sleep 0.5; done
[ -f "$f" ] || exit 0
while read -r kind id; do
  case "$kind" in g) kill -9 "-$id" 2>/dev/null;; p) kill -9 "$id" 2>/dev/null;; esac
done < "$f"
rm -f "$f"`;

/** Starts the run's reaper; `stop()` ends it (and the registry) once the run cleaned up itself. */
export function startReaper(): { stop(): Promise<void> } {
  installHook();
  registry = join(tmpdir(), `3rc-real-reaper-${process.pid}.list`);
  writeRegistry();
  const reaper = spawn('sh', ['-c', REAPER_SH, 'reaper', String(process.pid), registry], { detached: true, stdio: 'ignore' });
  reaper.unref();
  const file = registry;
  return {
    stop: async () => {
      if (registry === file) registry = null;
      rmSync(file, { force: true });
      if (reaper.exitCode !== null || reaper.signalCode !== null || reaper.pid === undefined) return;
      const gone = new Promise<void>((r) => reaper.once('exit', () => r()));
      try {
        process.kill(reaper.pid, 'SIGKILL');
      } catch {
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
    },
  };
}

/** Lab processes still running (for the end-of-run check). */
export function liveLabProcesses(): number {
  return live.size + pids.size;
}
