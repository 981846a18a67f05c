/**
 * Autostart drift (issue 9): a managed domain with libvirt autostart on would be started again by
 * libvirtd at the next boot of its host, maybe while the VM runs elsewhere. The controller turns it
 * off at the next probe that reaches the hypervisor, logs it at warn, and counts it as no action:
 * no incident, no action record, the host stays healthy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../../src/env/env.js';
import { buildSimRack, labHosts, labVms, silentLogger } from '../../../src/sim-rack/index.js';

function capturingLogger(warnings: Array<{ obj: object; msg: string }>): Logger {
  const log: Logger = { ...silentLogger, warn: (obj, msg) => void warnings.push({ obj, msg: msg ?? '' }), child: () => log };
  return log;
}

test('autostart left on for a managed VM is switched off at the next probe, logged, not an action', async () => {
  const warnings: Array<{ obj: object; msg: string }> = [];
  const rack = await buildSimRack({ hosts: labHosts(), vms: labVms(), start: 0, world: { autostart: ['web1', 'ce1'] }, log: capturingLogger(warnings) });
  assert.equal(rack.world.host('hv1').domains.get('web1')?.autostart, true);
  await rack.start();
  await rack.runFor(30);

  assert.equal(rack.world.host('hv1').domains.get('web1')?.autostart, false, 'web1 on hv1');
  assert.equal(rack.world.host('hv2').domains.get('ce1')?.autostart, false, 'ce1 on hv2');
  assert.equal(rack.world.host('hv1').domains.get('db1')?.autostart, false, 'db1 was never on');
  assert.deepEqual(rack.world.runningCopies('web1'), ['hv1'], 'the domain keeps running');
  const drift = warnings.filter((w) => (w.obj as { drift?: string }).drift === 'autostart').map((w) => w.msg).sort();
  assert.deepEqual(drift, [
    'autostart of ce1 on hv2 was on: switched off (drift corrected)',
    'autostart of web1 on hv1 was on: switched off (drift corrected)',
  ], 'logged once each');
  assert.deepEqual(await rack.store.listIncidents(), [], 'no incident');
  assert.deepEqual(await rack.store.listActions(), [], 'no action recorded');
  for (const h of ['hv1', 'hv2']) assert.equal(rack.controller.targetStatus(`host:${h}`)?.phase, 'healthy');
  await rack.stop();
});
