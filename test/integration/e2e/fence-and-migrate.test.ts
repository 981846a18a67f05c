/**
 * End to end, simulated-plus-real mix: the real controller on the wall clock over the real Env
 * (ipmitool -> ipmi_sim, ssh2 -> sshd, libvirt -> test:///<file>.xml). hv1 carries two running
 * domains, spare1 none. hv1 "fails" (its sshd stops: the host does not answer, its BMC still says
 * on). The controller must declare it failed, fence it through IPMI, confirm the power off by
 * reading the BMC back, start both VMs on spare1's hypervisor, record the new placement, and write
 * every step to the incident timeline in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ActionResult } from '../../../src/core/action-result.js';
import { fenceRackOptions, inOrder, settled, startRack, until, type Rack } from '../../lab/e2e-rack.js';

let rack: Rack | undefined;

before(async () => {
  rack = await startRack(fenceRackOptions());
});

after(async () => {
  await rack?.cleanup();
});

test('hv1 unreachable, BMC on: fenced through IPMI (confirmed off), both VMs started on spare1, timeline in order', async (t) => {
  const r = rack!;
  const hv1 = r.host('hv1');
  const spare1 = r.host('spare1');

  assert.ok(await settled(r), `rack did not settle healthy:\n${await r.dump()}`);
  // Baseline: the VMs run on hv1's hypervisor, nothing on the spare's.
  const before = await r.env.hypervisor.listDomains(hv1.spec);
  assert.deepEqual(before.map((d) => `${d.name}:${d.state}`), ['db1:running', 'web1:running']);
  assert.deepEqual(await r.env.hypervisor.listDomains(spare1.spec), []);
  assert.equal(hv1.sim.powerState(), 'on');

  // The BMC's chassis power at the moment the fence-migrate action reported its result (the
  // repair rung that follows powers the host on again, so it is read here, synchronously).
  let powerWhenFenceDone: string | null = null;
  let fenceResult: ActionResult | null = null;
  r.controller.onEvent((e) => {
    if (e.type === 'action-done' && e.targetId === 'host:hv1' && e.action.kind === 'fence-migrate' && fenceResult === null) {
      powerWhenFenceDone = hv1.sim.powerState();
      fenceResult = e.result;
    }
  });

  const brokenAt = Date.now();
  await hv1.sshd!.stop();

  const moved = await until(async () => {
    if (fenceResult === null) return false;
    const vms = await r.store.listVms();
    return (
      vms.every((v) => v.currentHost === 'spare1') &&
      ['vm:web1', 'vm:db1'].every((id) => r.controller.targetStatus(id as 'vm:web1')?.phase === 'healthy')
    );
  }, 30_000);
  const movedAfterMs = Date.now() - brokenAt;
  assert.ok(moved, `VMs not recovered on spare1 within 30 s:\n${await r.dump()}`);

  // Fenced through IPMI, and confirmed off before anything moved.
  assert.deepEqual(fenceResult, { outcome: 'ok' });
  assert.equal(powerWhenFenceDone, 'off', 'ipmi_sim must read power off when the fence-migrate action ends');
  assert.equal(hv1.sim.calls()[0], 'power 0', `first chassis command must be power off: ${hv1.sim.calls().join(', ')}`);
  assert.deepEqual(spare1.sim.calls(), [], 'the spare BMC is not touched');

  // Running on the spare's hypervisor, checked through the controller's own driver (one
  // test:/// connection per URI holds that hypervisor's state).
  const onSpare = await r.env.hypervisor.listDomains(spare1.spec);
  assert.deepEqual(onSpare.map((d) => `${d.name}:${d.state}`), ['db1:running', 'web1:running']);
  for (const name of ['web1', 'db1']) {
    const vm = (await r.store.getVm(name))!;
    assert.equal(vm.currentHost, 'spare1');
    assert.equal(vm.homeHost, 'hv1');
    assert.equal(await r.env.hypervisor.domainState(spare1.spec, vm), 'running');
  }

  // The incident: opened on hv1 with the right signature, entering at rung 4 (service first).
  const [incident] = await r.store.listIncidents({ targetId: 'host:hv1' });
  assert.ok(incident, 'an incident was opened for hv1');
  assert.equal(incident.signature, 'host-unreachable');
  assert.equal(incident.entryRung, 4);
  const detail = (await r.store.getIncident(incident.id))!;
  const lines = detail.events.map((e) => `${e.kind}: ${e.message}`);
  const expected = [
    /^opened: host does not answer on the network; BMC reports power on/,
    /^rung: rung 4 fence-migrate: fence-migrate, attempt 1/,
    /^action-start: fence-migrate started/,
    /^fence: hv1: BMC confirms power off/,
    /^migrate: (web1|db1) started on spare1/,
    /^migrate: (web1|db1) started on spare1/,
    /^action-end: fence-migrate ok after/,
  ];
  const order = inOrder(lines, expected);
  assert.ok(order.ok, `timeline misses ${String(order.missing)} (in order):\n${lines.join('\n')}`);
  const started = lines.filter((l) => /started on spare1/.test(l));
  assert.deepEqual(started.map((l) => /(web1|db1)/.exec(l)?.[1]).sort(), ['db1', 'web1']);
  // The fence is confirmed before any VM starts elsewhere, and nothing failed to start.
  assert.ok(lines.findIndex((l) => /BMC confirms power off/.test(l)) < lines.findIndex((l) => /started on spare1/.test(l)));
  assert.ok(!lines.some((l) => /could not start/.test(l)), lines.join('\n'));
  const fenceAction = detail.actions.find((a) => a.kind === 'fence-migrate');
  assert.equal(fenceAction?.outcome, 'ok');
  assert.equal(fenceAction?.rung, 4);

  t.diagnostic(`VMs healthy on spare1 ${movedAfterMs} ms after hv1's sshd stopped`);
});
