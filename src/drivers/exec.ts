/**
 * Bounded child processes for drivers that shell out (ipmitool). Never through a shell:
 * argv goes to execFile as an array, secrets go in the child's environment only.
 * The timeout is enforced here (SIGKILL), not trusted to the tool's own retry settings.
 */
import { execFile } from 'node:child_process';

export interface ExecRequest {
  file: string;
  args: readonly string[];
  /** The complete environment of the child (not merged with process.env: nothing leaks by accident). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept per stream; more output is dropped. */
  maxOutputBytes?: number;
  /** Aborted: the child is killed (SIGKILL) at once and the result says `aborted`. */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit code, or null when the child was killed by a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The request's signal fired and the child was killed. */
  aborted?: boolean;
  /** Set when the program could not be started (ENOENT: not installed, EACCES...). */
  spawnError?: NodeJS.ErrnoException;
  durationMs: number;
}

/** The seam tests wrap to record what was spawned (argv must never hold a password). */
export type ExecFn = (req: ExecRequest) => Promise<ExecResult>;

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/** Sees the program and argv of every child about to start (never its environment). */
export type SpawnObserver = (file: string, args: readonly string[]) => void;
const spawnObservers = new Set<SpawnObserver>();

/** Tests record every spawned argv to prove no secret is in it; returns the unsubscribe. */
export function observeSpawns(observer: SpawnObserver): () => void {
  spawnObservers.add(observer);
  return () => spawnObservers.delete(observer);
}

/** Runs a program; always resolves (errors are described in the result), never rejects. */
export const execBounded: ExecFn = (req) =>
  new Promise((resolve) => {
    const started = Date.now();
    const max = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    let settled = false;
    let timedOut = false;
    let aborted = false;
    for (const observe of spawnObservers) observe(req.file, req.args);
    const child = execFile(
      req.file,
      [...req.args],
      { env: req.env, maxBuffer: max * 4, encoding: 'utf8', windowsHide: true },
      (err, stdout, stderr) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        const e = err as (NodeJS.ErrnoException & { code?: unknown; signal?: string | null }) | null;
        const spawnError = e && typeof e.code === 'string' && e.syscall?.startsWith('spawn') ? e : undefined;
        resolve({
          code: child.exitCode,
          signal: child.signalCode,
          stdout: String(stdout).slice(0, max),
          stderr: String(stderr).slice(0, max),
          timedOut,
          ...(aborted ? { aborted } : {}),
          ...(spawnError ? { spawnError } : {}),
          durationMs: Date.now() - started,
        });
      },
    );
    // Our own timer: kill hard, so a tool stuck in its retry loop cannot outlive the call.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, req.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    // Nothing is ever written to the child; close stdin so it cannot wait for input.
    child.stdin?.end();
  });
