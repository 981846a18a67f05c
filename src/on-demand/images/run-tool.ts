/**
 * Runs the image tools (qemu-img, genisoimage) through the bounded exec seam: argv only, no shell,
 * a hard timeout and an AbortSignal. Every failure becomes an RrcError naming the tool and its
 * stderr; a tool that is not installed names the Debian package.
 */
import { execBounded, type ExecResult } from '../../drivers/exec.js';
import { RrcError } from '../../errors.js';

export interface ToolCall {
  tool: string;
  /** Debian package that provides `tool` (for the missing-dependency error). */
  debianPackage: string;
  args: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The environment the tools see: a PATH and the C locale (stable messages), nothing else. */
function toolEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

/** Runs the tool; resolves with its result only when it exited 0. */
export async function runTool(call: ToolCall): Promise<ExecResult> {
  const what = `${call.tool} ${call.args[0] ?? ''}`.trim();
  if (call.signal?.aborted) throw new RrcError('RRC_ERR_ABORTED', what);
  const res = await execBounded({
    file: call.tool,
    args: call.args,
    env: toolEnv(),
    timeoutMs: call.timeoutMs,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  if (res.spawnError?.code === 'ENOENT') {
    throw new RrcError('RRC_ERR_MISSING_DEPENDENCY', `${call.tool} not found: install Debian package ${call.debianPackage}`);
  }
  if (res.spawnError) throw new RrcError('RRC_ERR_DRIVER', `${what}: ${res.spawnError.message}`, { cause: res.spawnError });
  if (res.aborted) throw new RrcError('RRC_ERR_ABORTED', what);
  if (res.timedOut) throw new RrcError('RRC_ERR_DRIVER_TIMEOUT', `${what} after ${call.timeoutMs} ms`);
  if (res.code !== 0) {
    const detail = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new RrcError('RRC_ERR_DRIVER', `${what} exited ${res.code ?? res.signal}: ${detail}`);
  }
  return res;
}
