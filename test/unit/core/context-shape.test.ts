/**
 * The machine's context stays a fast (hidden-class) object in V8 through XState's copies at every
 * assign, fresh and restored from a persisted snapshot (fastShape in core/context.ts): as a
 * dictionary, each copy of the 31-field context costs about 15 times more, at every probe of every
 * target in an incident. V8's %HasFastProperties needs --allow-natives-syntax: checked in a child.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const script = `
import { readFileSync } from 'node:fs';
import { createActor } from 'xstate';
import { fastShape } from './src/core/context.ts';
import { DEFAULT_POLICY } from './src/core/policy.ts';
import { createRecoveryMachine } from './src/core/recovery-machine.ts';
const isFast = new Function('o', 'return %HasFastProperties(o)');
const machine = createRecoveryMachine(DEFAULT_POLICY);
const bad = (at) => ({ type: 'PROBE', at, signature: { code: 'vm-hung', healthy: false, summary: 'hung' } });
const fresh = createActor(machine, { input: { targetId: 'vm:t1', kind: 'vm', at: 0 } }).start();
for (let i = 1; i <= 5; i++) fresh.send(bad(i * 5000));
const persisted = JSON.parse(JSON.stringify(fresh.getPersistedSnapshot()));
const restored = createActor(machine, { snapshot: { ...persisted, context: fastShape(persisted.context) }, input: { targetId: 'vm:t1', kind: 'vm', at: 0 } }).start();
restored.send({ type: 'TICK', at: 40000 });
restored.send(bad(45000));
console.log(JSON.stringify({ fresh: isFast(fresh.getSnapshot().context), restored: isFast(restored.getSnapshot().context), phase: fresh.getSnapshot().value }));
`;

test('the recovery context stays a fast object through assigns, fresh and restored', () => {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { fresh: boolean; restored: boolean; phase: unknown };
  assert.deepEqual(r.phase, { recovering: 'acting' }, 'the probes moved the machine (its context was assigned)');
  assert.equal(r.fresh, true);
  assert.equal(r.restored, true);
});
