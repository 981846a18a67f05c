/**
 * The machine's context stays a fast (hidden-class) object in V8 through XState's copies at every
 * assign, fresh and restored from a persisted snapshot (fastShape in core/context.ts): as a
 * dictionary, each copy of the 35-field context costs about 15 times more, at every probe of every
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
// A host probe that sets vmDisksShared, on a snapshot of a version without the later optional fields.
const hostBad = (at) => ({ type: 'PROBE', at, signature: { code: 'host-os-hung', healthy: false, summary: 'hung' }, hasVms: true, vmDisksShared: true });
const host = createActor(machine, { input: { targetId: 'host:h1', kind: 'host', at: 0 } }).start();
host.send(hostBad(5000));
const old = JSON.parse(JSON.stringify(host.getPersistedSnapshot()));
for (const key of ['vmDisksShared', 'noRoomForVms', 'rungSpent', 'spentRungReruns', 'holdReason', 'holdUntil', 'holdCount', 'heldSince']) delete old.context[key];
const oldRestored = createActor(machine, { snapshot: { ...old, context: fastShape(old.context) }, input: { targetId: 'host:h1', kind: 'host', at: 0 } }).start();
for (let i = 2; i <= 5; i++) oldRestored.send(hostBad(i * 5000));
console.log(JSON.stringify({
  fresh: isFast(fresh.getSnapshot().context), restored: isFast(restored.getSnapshot().context), phase: fresh.getSnapshot().value,
  host: isFast(host.getSnapshot().context), oldRestored: isFast(oldRestored.getSnapshot().context),
  oldShared: oldRestored.getSnapshot().context.vmDisksShared, oldPhase: oldRestored.getSnapshot().value,
}));
`;

test('the recovery context stays a fast object through assigns, fresh and restored', () => {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.deepEqual(r['phase'], { recovering: 'acting' }, 'the probes moved the machine (its context was assigned)');
  assert.equal(r['fresh'], true);
  assert.equal(r['restored'], true);
  // An optional field set by a probe (vmDisksShared) adds no key: the copy stays fast.
  assert.equal(r['host'], true);
  assert.deepEqual(r['oldPhase'], { recovering: 'acting' });
  assert.equal(r['oldShared'], true);
  assert.equal(r['oldRestored'], true, 'a snapshot of an earlier version gets the later fields filled in');
});
