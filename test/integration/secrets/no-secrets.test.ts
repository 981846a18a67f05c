/**
 * No secret in any child's argv nor in the logs (issue 13): a real rack runs in a child process
 * with the controller logging at trace level; every program the controller spawned (ipmitool,
 * virsh) and every log line are scanned for the BMC passwords and the SSH private keys.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { RackRunResult } from './rack-run.js';

const SCRIPT = fileURLToPath(new URL('./rack-run.ts', import.meta.url));

/** The secret itself and, for a key, every line of its body (a log could cut it into lines). */
function needles(secret: string): string[] {
  const lines = secret.split('\n').map((l) => l.trim()).filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [secret.trim(), ...lines];
}

test('a fence on a real rack: no configured secret in any spawned argv or in the log', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), '3rc-secrets-'));
  try {
    const outFile = join(dir, 'result.json');
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', SCRIPT],
        { env: { ...process.env, RRC_TEST_LOG: 'trace', RRC_SECRETS_OUT: outFile }, timeout: 100_000, maxBuffer: 64 * 1024 * 1024 },
        (err, out, errOut) => resolve({ stdout: out, stderr: errOut, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    assert.equal(code, 0, `rack run failed:\n${stderr.slice(-4000)}`);
    const result = JSON.parse(await readFile(outFile, 'utf8')) as RackRunResult;

    // The run did what it is meant to exercise: the BMC and SSH were used, and ipmitool was spawned.
    assert.ok(result.fenced, 'hv1 was fenced through its BMC');
    assert.ok(result.argv.some(([file]) => /ipmitool$/.test(file ?? '')), `ipmitool spawned: ${JSON.stringify(result.argv.slice(0, 3))}`);
    assert.ok(result.secrets.length >= 4, 'two BMC passwords and two SSH keys');
    assert.ok(stdout.split('\n').filter(Boolean).length > 20, 'the controller logged at trace level');

    const log = stdout + stderr;
    for (const secret of result.secrets) {
      for (const needle of needles(secret)) {
        const inArgv = result.argv.find((a) => a.some((arg) => arg.includes(needle)));
        assert.equal(inArgv, undefined, `a secret is in the argv of ${inArgv?.[0]}`);
        assert.ok(!log.includes(needle), 'a secret is in the log');
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
