/**
 * The import boundaries of eslint.config.js still fire: each case lints a virtual file placed in
 * the tree (ESLint's Node API, the repository's own config) and expects the rule that guards it.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** Rule ids reported for `code` as if it were the file at `path` (relative to the root). */
async function rulesFired(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

test('the controller may not import a driver', async () => {
  const fired = await rulesFired('src/controller/boundary-probe.ts', "import { IpmiPowerDriver } from '../drivers/ipmi.js';\nexport const d = IpmiPowerDriver;\n");
  assert.equal(fired.length, 1, fired.join('\n'));
  assert.match(fired[0]!, /^import-x\/no-restricted-paths: .*never a driver/);
});

test('src/core imports only src/core and xstate', async () => {
  const pure = await rulesFired('src/core/boundary-probe.ts', "import { setup } from 'xstate';\nimport { DEFAULT_POLICY } from './policy.js';\nexport const x = [setup, DEFAULT_POLICY];\n");
  assert.deepEqual(pure, [], 'xstate and core itself are allowed');
  const io = await rulesFired('src/core/boundary-probe.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
  assert.match(io.join('\n'), /^no-restricted-imports: .*src\/core is pure/);
  const store = await rulesFired('src/core/boundary-probe.ts', "import { openStore } from '../store/index.js';\nexport const o = openStore;\n");
  assert.match(store.join('\n'), /^import-x\/no-restricted-paths: .*src\/core is pure/);
});

test('src never imports bench/ or test/; test/lab never imports bench/', async () => {
  const src = await rulesFired('src/service/boundary-probe.ts', "import { runBench } from '../../bench/runner.js';\nexport const r = runBench;\n");
  assert.match(src.join('\n'), /no-restricted-paths: .*src never imports bench/);
  const lab = await rulesFired('test/lab/boundary-probe.ts', "import { runBench } from '../../bench/runner.js';\nexport const r = runBench;\n");
  assert.match(lab.join('\n'), /no-restricted-paths: .*test\/lab is used by the bench/);
  const bench = await rulesFired('bench/boundary-probe.ts', "import { startSimLab } from '../test/lab/sim-lab.js';\nexport const s = startSimLab;\n");
  assert.deepEqual(bench, [], 'bench may use test/lab');
});

test('an import cycle is reported', async () => {
  // sim-rack/index.ts re-exports silent-logger.ts: importing the index back closes a cycle.
  const fired = await rulesFired('src/sim-rack/silent-logger.ts', "import { buildSimRack } from './index.js';\nexport const b = buildSimRack;\n");
  assert.match(fired.join('\n'), /^import-x\/no-cycle:/);
});
