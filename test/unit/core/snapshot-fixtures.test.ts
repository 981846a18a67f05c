/**
 * Persisted machine snapshots written by earlier versions must still restore: a controller upgraded
 * in the middle of an incident picks it up where the old one left it. New versions add a folder.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createActor } from 'xstate';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import { createRecoveryMachine } from '../../../src/core/recovery-machine.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures', 'snapshots');
const machine = createRecoveryMachine(DEFAULT_POLICY);

for (const version of readdirSync(root).sort()) {
  test(`snapshots of ${version} restore and go on`, () => {
    const vm = JSON.parse(readFileSync(join(root, version, 'vm-recovering.json'), 'utf8'));
    const vmActor = createActor(machine, { snapshot: vm, input: { targetId: 'vm:t1', kind: 'vm', at: 0 } }).start();
    assert.deepEqual(vmActor.getSnapshot().value, { recovering: 'acting' });
    const action = vmActor.getSnapshot().context.pendingAction!;
    assert.equal(action.kind, 'vm-restart');
    vmActor.send({ type: 'ACTION_DONE', at: action.issuedAt + 1000, actionId: action.id, result: { outcome: 'ok' } });
    assert.deepEqual(vmActor.getSnapshot().value, { recovering: 'verifying' });

    const host = JSON.parse(readFileSync(join(root, version, 'host-awaiting-operator.json'), 'utf8'));
    const hostActor = createActor(machine, { snapshot: host, input: { targetId: 'host:t1', kind: 'host', at: 0 } }).start();
    assert.equal(hostActor.getSnapshot().value, 'awaitingOperator');
    hostActor.send({ type: 'CONFIRM_OFF', at: 100_000 });
    assert.equal(hostActor.getSnapshot().context.pendingAction?.operatorConfirmedOff, true);
  });
}
