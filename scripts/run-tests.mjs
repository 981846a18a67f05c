#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner through tsx.
// Node 20 neither expands globs nor finds .ts files itself, so the list is built here.
// Usage: node scripts/run-tests.mjs [folder-or-file ...]   (default: test/)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// `*.slow.test.ts` (a whole npm pack + global install) run after the rest, with a longer per-file timeout.
const slow = files.filter((f) => f.endsWith('.slow.test.ts'));
const normal = files.filter((f) => !f.endsWith('.slow.test.ts'));
let status = 0;
// The per-file limits catch hangs; they are not performance checks: a loaded 2-core CI machine ran
// the 70 scenarios and the QEMU boots of a single file in over 300 s.
for (const [list, timeout] of [[normal, 600_000], [slow, 900_000]]) {
  if (list.length === 0) continue;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${timeout}`, ...list],
    { stdio: 'inherit' },
  );
  if ((result.status ?? 1) !== 0) status = result.status ?? 1;
}
process.exit(status);
