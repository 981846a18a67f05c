/**
 * The scenario runner: every folder of test/scenarios/ (README, world.json, faults, expect.log) is
 * played on the virtual clock against the real controller, its invariants checked every simulated
 * second, and its log compared with expect.log. Format and fault language: lib/ and README.md here.
 *
 * RRC_SCENARIO_UPDATE=1 (re)writes missing or differing expect.log files; review them in git diff.
 * RRC_SCENARIO=<regular expression> plays only the folders whose name matches it.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatViolations } from './lib/invariants.js';
import { lineDiff } from './lib/line-diff.js';
import { playScenario } from './lib/play.js';
import { loadScenario } from './lib/scenario-spec.js';

const ROOT = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.RRC_SCENARIO_UPDATE === '1';
/** Folders here that are not scenarios. */
const NOT_SCENARIOS = new Set(['lib']);

const ONLY = process.env.RRC_SCENARIO ? new RegExp(process.env.RRC_SCENARIO) : null;

const folders = readdirSync(ROOT)
  .filter((name) => !NOT_SCENARIOS.has(name) && statSync(join(ROOT, name)).isDirectory())
  .sort();

test('the scenario folders are there', () => {
  assert.ok(folders.length >= 32, `expected at least 32 scenario folders, found ${folders.length}`);
});

for (const name of folders.filter((n) => !ONLY || ONLY.test(n))) {
  test(name, async () => {
    const scenario = loadScenario(join(ROOT, name), name);
    const { lines, violations } = await playScenario(scenario);
    const actual = `${lines.join('\n')}\n`;
    assert.equal(violations.length, 0, `${name}: invariants violated (${scenario.readme}):\n${formatViolations(violations)}`);
    if (scenario.expected === actual) return;
    if (UPDATE) {
      writeFileSync(scenario.expectPath, actual);
      return;
    }
    if (scenario.expected === null) {
      assert.fail(`${name}: no expect.log. Run with RRC_SCENARIO_UPDATE=1 to write it, then review it before committing.`);
    }
    const diff = lineDiff(scenario.expected.trimEnd().split('\n'), lines);
    assert.fail(`${name}: the log differs from expect.log (- expected, + actual; RRC_SCENARIO_UPDATE=1 rewrites it):\n${diff}`);
  });
}
