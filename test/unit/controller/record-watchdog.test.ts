/**
 * The watchdog a reinstalled host reports in its install callback (kickstart/rrc-watchdog.sh):
 * recorded for that host in the store and in the controller's inventory, audited, cleared when the
 * new system runs none, and refused when its lease could not be waited out inside the fence rung.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selfFenceWait } from '../../../src/controller/self-fence.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import { buildSimRack, labHosts, labVms } from '../../../src/sim-rack/index.js';

test('recordWatchdog: store, inventory and audit follow the callback; a too long lease counts as none', async () => {
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0 });
  await rack.start();
  try {
    const declared = { kind: 'rrc-agent' as const, leaseTimeoutSeconds: 53 };
    await rack.controller.recordWatchdog('hv1', declared, 'install-callback');
    assert.deepEqual((await rack.store.getHost('hv1'))?.watchdog, declared);
    const spec = (await rack.store.getHost('hv1'))!;
    assert.deepEqual(selfFenceWait(spec, DEFAULT_POLICY), { kind: 'rrc-agent', seconds: 60 }, 'the shipped policy trusts it after max(60, 53) s');

    await rack.controller.recordWatchdog('hv1', null, 'install-callback');
    assert.equal((await rack.store.getHost('hv1'))?.watchdog, undefined, 'reinstalled without the agent: none');

    const tooLong = { kind: 'rrc-agent' as const, leaseTimeoutSeconds: DEFAULT_POLICY.rungs['fence-migrate'].timeoutSeconds };
    await rack.controller.recordWatchdog('hv2', tooLong, 'install-callback');
    assert.equal((await rack.store.getHost('hv2'))?.watchdog, undefined);

    const audit = (await rack.store.listAudit()).filter((a) => a.action === 'host.watchdog').reverse(); // newest first
    assert.deepEqual(audit.map((a) => [a.target, a.actor]), [['host:hv1', 'install-callback'], ['host:hv1', 'install-callback'], ['host:hv2', 'install-callback']]);
    assert.match(JSON.stringify(audit[2]!.details), /lease 300 s is not below the fence-migrate timeout \(300 s\)/);
    await assert.rejects(rack.controller.recordWatchdog('nobody', declared, 'install-callback'), /nobody/);
  } finally {
    await rack.stop();
  }
});
