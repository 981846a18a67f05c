/**
 * `3rc bench` runs bench/crash-bench.ts as a child process (src never imports bench/): arguments
 * go through unchanged, the bench's exit code comes back, and a missing bench says so.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runBenchChild } from '../../../src/cli/commands/bench.js';
import { RrcError } from '../../../src/errors.js';

const BIN = fileURLToPath(new URL('../../../bin/3rc.js', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', timeout: 120_000 });

test('3rc bench passes its arguments to the bench and its output through', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: npm run bench -- \[options\]/);
});

test("3rc bench exits with the bench's own code and message on a usage error", () => {
  const r = cli(['--injections', 'many']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--injections must be a non-negative integer, not "many"/);
  assert.doesNotMatch(r.stderr, /RRC_ERR_INTERNAL/, 'no second line from the CLI');
});

test('3rc bench without bench/ fails with a clear error', async () => {
  await assert.rejects(runBenchChild([], '/nonexistent/bench/crash-bench.ts'), (e: unknown) => {
    assert.ok(e instanceof RrcError);
    assert.equal(e.code, 'RRC_ERR_MISSING_DEPENDENCY');
    assert.match(e.message, /benchmark is not installed: \/nonexistent\/bench\/crash-bench.ts is absent/);
    return true;
  });
});
