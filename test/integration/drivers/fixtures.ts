/** Specs, a silent logger and assertions shared by the driver integration tests. */
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/env/env.js';
import type { HostSpec, VmSpec } from '../../../src/core/types.js';
import { isRrcError, type ErrorCode } from '../../../src/errors.js';
import { execBounded, type ExecFn, type ExecRequest } from '../../../src/drivers/exec.js';

export function hostSpec(over: Partial<HostSpec> = {}): HostSpec {
  return {
    name: 'h1',
    role: 'primary',
    macs: ['52:54:00:00:00:01'],
    ip: '127.0.0.1',
    hypervisorUri: 'test:///default',
    capacity: { cores: 8, ramGb: 16, diskTb: 1 },
    ...over,
  };
}

export function vmSpec(over: Partial<VmSpec> = {}): VmSpec {
  return {
    name: 'vm1',
    uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f',
    homeHost: 'h1',
    currentHost: 'h1',
    priority: 1,
    resources: { cores: 1, ramGb: 1, diskGb: 10 },
    ...over,
  };
}

export const silentLog: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

/** Awaits `p`, expects an RrcError with one of `codes`; returns it and the time taken. */
export async function expectRrc(p: Promise<unknown>, codes: ErrorCode[]): Promise<{ err: Error; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (e) {
    const ms = Date.now() - started;
    assert.ok(
      codes.some((c) => isRrcError(e, c)),
      `expected ${codes.join(' or ')}, got ${e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)}`,
    );
    return { err: e as Error, ms };
  }
  assert.fail(`expected ${codes.join(' or ')}, but it resolved`);
}

/** Wraps the real exec to record every spawn (argv and env), e.g. to count BMC calls per probe. */
export function recordingExec(): { exec: ExecFn; calls: ExecRequest[] } {
  const calls: ExecRequest[] = [];
  return {
    calls,
    exec: (req) => {
      calls.push({ ...req, args: [...req.args], ...(req.env ? { env: { ...req.env } } : {}) });
      return execBounded(req);
    },
  };
}
