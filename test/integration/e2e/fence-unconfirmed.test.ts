/**
 * End to end, real peers: hv1's BMC (ipmi_sim) accepts "power off" and keeps reporting "on"
 * (`stuckOn`). The controller must never start hv1's VMs elsewhere: the VMs stay assigned to hv1,
 * nothing is defined or running on spare1, and the host waits for an operator with a reason that
 * names the unconfirmed power-off.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fenceRackOptions, inOrder, settled, startRack, until, type Rack } from '../../lab/e2e-rack.js';

let rack: Rack | undefined;

before(async () => {
  rack = await startRack(fenceRackOptions());
});

after(async () => {
  await rack?.cleanup();
});

test('BMC stuck on: no migration, VMs stay on hv1, spare untouched, awaiting-operator with the reason', async (t) => {
  const r = rack!;
  const hv1 = r.host('hv1');
  const spare1 = r.host('spare1');

  assert.ok(await settled(r), `rack did not settle healthy:\n${await r.dump()}`);
  assert.deepEqual(await r.env.hypervisor.listDomains(spare1.spec), []);

  hv1.sim.setBehaviour({ stuckOn: true });
  const brokenAt = Date.now();
  await hv1.sshd!.stop();

  const waiting = await until(() => r.controller.targetStatus('host:hv1')?.phase === 'awaiting-operator', 30_000);
  const waitingAfterMs = Date.now() - brokenAt;
  assert.ok(waiting, `hv1 did not reach awaiting-operator within 30 s:\n${await r.dump()}`);

  // Give the controller time to do something wrong: eight more probe cycles.
  const cyclesBefore = (await r.controller.health()).probeCycles;
  await until(async () => (await r.controller.health()).probeCycles >= cyclesBefore + 8, 15_000);
  await r.controller.idle();

  const status = r.controller.targetStatus('host:hv1')!;
  assert.equal(status.phase, 'awaiting-operator', await r.dump());
  assert.match(status.reason ?? '', /RRC_ERR_FENCE_UNCONFIRMED/);
  // Up to three off commands fit in the 3 s confirmation window; on a loaded machine ipmitool is slow enough for one.
  assert.match(status.reason ?? '', /host hv1: not confirmed off within 3000 ms after [123] off command\(s\): BMC still reports power on/);

  // The BMC was asked (several times) and still reads on.
  assert.ok(hv1.sim.calls().filter((c) => c === 'power 0').length >= 1, hv1.sim.calls().join(', '));
  assert.equal(hv1.sim.powerState(), 'on');

  // Nothing moved: store, the spare's hypervisor (same driver instance), the VMs' own state.
  for (const name of ['web1', 'db1']) {
    assert.equal((await r.store.getVm(name))!.currentHost, 'hv1', `${name} must stay assigned to hv1`);
    const vmStatus = r.controller.targetStatus(`vm:${name}`)!;
    assert.ok(['blocked', 'suspect'].includes(vmStatus.phase), `vm:${name} is ${vmStatus.phase}`);
  }
  assert.deepEqual(await r.env.hypervisor.listDomains(spare1.spec), [], 'nothing defined or running on spare1');
  assert.deepEqual(spare1.sim.calls(), []);
  assert.equal((await r.store.getHost('hv1'))!.state, 'failed', 'hv1 is not recorded as fenced');

  const [incident] = await r.store.listIncidents({ targetId: 'host:hv1' });
  assert.ok(incident);
  assert.equal(incident.state, 'awaiting-operator');
  assert.match(incident.note ?? '', /not confirmed off/);
  const detail = (await r.store.getIncident(incident.id))!;
  const lines = detail.events.map((e) => `${e.kind}: ${e.message}`);
  const order = inOrder(lines, [
    /^opened: host does not answer on the network; BMC reports power on/,
    /^rung: rung 4 fence-migrate: fence-migrate, attempt 1/,
    /^action-start: fence-migrate started/,
    /^action-end: fence-migrate blocked after .*not confirmed off/,
    /^alert: waiting for an operator: .*not confirmed off/,
  ]);
  assert.ok(order.ok, `timeline misses ${String(order.missing)} (in order):\n${lines.join('\n')}`);
  assert.ok(!lines.some((l) => /^fence: .*BMC confirms power off|^migrate: /.test(l)), lines.join('\n'));
  assert.deepEqual(detail.actions.map((a) => `${a.kind}:${a.outcome}`), ['fence-migrate:blocked']);

  t.diagnostic(`hv1 awaiting-operator ${waitingAfterMs} ms after its sshd stopped`);
});
