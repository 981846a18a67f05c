/** Every automatic action is in the audit log with who did it (controller id, epoch) and how it ended. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFaultLine } from '../../src/env/sim/index.js';
import { openStore } from '../../src/store/index.js';
import { startSimLab } from '../lab/sim-lab.js';

test('a VM panic: its restart is audited by the controller with the outcome', async () => {
  const store = await openStore('memory:');
  const lab = await startSimLab(store);
  try {
    await lab.runFor(30);
    applyFaultLine(lab.world, 'vm web1 panic');
    await lab.runFor(200); // detected, restarted, verified
    await lab.controller.idle();
    const [incident] = await store.listIncidents({ targetId: 'vm:web1' });
    assert.equal(incident?.state, 'resolved');
    const entries = (await store.listAudit()).filter((e) => e.actor.startsWith('controller:') && e.target === 'vm:web1');
    assert.equal(entries.length, 1, JSON.stringify(await store.listAudit()));
    assert.equal(entries[0]!.action, 'action.vm-restart');
    assert.equal(entries[0]!.outcome, 'ok');
    assert.match(String((entries[0]!.details as { incident?: unknown }).incident), /^vm:web1#1$/);
  } finally {
    await lab.stop();
    await store.close();
  }
});
