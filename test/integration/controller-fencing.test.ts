/**
 * Fencing rules through the whole controller on the simulated rack: no VM of a host that cannot be
 * confirmed off is started elsewhere; a person's confirmation (or a configured watchdog) unblocks it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFaultLine } from '../../src/env/sim/index.js';
import { openStore } from '../../src/store/index.js';
import { startSimLab } from '../lab/sim-lab.js';

test('host and BMC dead: the incident waits for an operator, nothing moves, then confirm-off moves the VMs', async () => {
  const store = await openStore('memory:');
  const lab = await startSimLab(store);
  try {
    await lab.runFor(30);
    applyFaultLine(lab.world, 'host hv2 bmc-dead');
    applyFaultLine(lab.world, 'host hv2 hang');
    const waiting = await lab.runUntil(() => lab.controller.targetStatus('host:hv2')?.phase === 'awaiting-operator', 300);
    assert.ok(waiting, `hv2 is ${lab.controller.targetStatus('host:hv2')?.phase}`);
    assert.match(lab.controller.targetStatus('host:hv2')!.reason!, /not confirmed off|unreachable|power/i);
    await lab.runFor(120);
    for (const vm of ['ce1', 'ui1']) {
      assert.equal((await store.getVm(vm))!.currentHost, 'hv2', `${vm} was not moved without a confirmed fence`);
      assert.deepEqual(lab.world.runningCopies(vm), ['hv2']);
    }
    const [incident] = await store.listIncidents({ targetId: 'host:hv2' });
    assert.equal(incident!.state, 'awaiting-operator');

    // The operator pulls the plug, then says so.
    applyFaultLine(lab.world, 'host hv2 power-loss');
    await lab.controller.confirmHostOff('hv2', 'alice');
    const moved = await lab.runUntil(() => ['vm:ce1', 'vm:ui1'].every((id) => lab.controller.targetStatus(id as 'vm:ce1')?.phase === 'healthy'), 300);
    assert.ok(moved, JSON.stringify(lab.controller.status().filter((s) => s.phase !== 'healthy')));
    for (const vm of ['ce1', 'ui1']) assert.deepEqual(lab.world.runningCopies(vm), ['spare1']);
    const detail = await store.getIncident(incident!.id);
    assert.match(detail!.events.map((e) => e.message).join('\n'), /operator confirmed the host is off/);
    const audit = await store.listAudit();
    assert.ok(audit.some((a) => a.action === 'host.confirm-off' && a.actor === 'alice'));
  } finally {
    await lab.stop();
    await store.close();
  }
});

test('confirm-off is refused when nothing waits for it', async () => {
  const store = await openStore('memory:');
  const lab = await startSimLab(store);
  try {
    await lab.runFor(10);
    await assert.rejects(lab.controller.confirmHostOff('hv1', 'bob'), /RRC_ERR_INVALID_STATE|nothing waits/);
    assert.equal((await store.listAudit()).filter((a) => a.action === 'host.confirm-off').length, 0);
  } finally {
    await lab.stop();
    await store.close();
  }
});

test('an evacuation does not start VMs on a host that died a moment ago (not yet detected): the next host takes them', async () => {
  const store = await openStore('memory:');
  // The spare (first choice) hangs at the last moment: when the evacuation, hv1 confirmed off,
  // lists the hypervisors to see where each VM already runs. The controller still sees it healthy.
  let evacuating = false;
  let hung = false;
  const lab = await startSimLab(store, {
    wrapEnv: (env) => {
      const hypervisor = new Proxy(env.hypervisor, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (prop !== 'listDomains' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
          return (host: { name: string }, ...rest: unknown[]) => {
            if (evacuating && !hung && host.name === 'spare1') {
              hung = true;
              applyFaultLine(lab.world, 'host spare1 hang');
            }
            return (value as (...a: unknown[]) => unknown).call(target, host, ...rest);
          };
        },
      });
      return { name: env.name, clock: env.clock, log: env.log, probes: env.probes, power: env.power, hypervisor, shell: env.shell, provisioner: env.provisioner, witnesses: env.witnesses };
    },
  });
  try {
    await lab.runFor(30);
    lab.controller.onEvent((e) => {
      if (e.type === 'emitted' && e.targetId === 'host:hv1' && e.event.type === 'action.requested' && e.event.action.kind === 'fence-migrate') evacuating = true;
    });
    applyFaultLine(lab.world, 'host hv1 hang');
    const moved = (vm: string) => lab.world.runningCopies(vm).some((h) => h !== 'hv1') && lab.controller.targetStatus(`vm:${vm}`)?.phase === 'healthy';
    const ok = await lab.runUntil(() => moved('web1') && moved('db1'), 300);
    assert.ok(ok, JSON.stringify(lab.controller.status().filter((s) => s.phase !== 'healthy')));
    for (const vm of ['web1', 'db1']) {
      assert.deepEqual(lab.world.runningCopies(vm), ['hv2']);
      assert.equal((await store.getVm(vm))!.currentHost, 'hv2');
    }
    const [incident] = await store.listIncidents({ targetId: 'host:hv1' });
    const detail = await store.getIncident(incident!.id);
    assert.deepEqual(detail!.actions.map((a) => [a.kind, a.outcome]).slice(0, 1), [['fence-migrate', 'ok']], 'moved on the first attempt');
    const messages = detail!.events.map((e) => e.message).join('\n');
    assert.match(messages, /spare1 does not answer: not starting (web1|db1) there/);
    assert.doesNotMatch(messages, /could not start on spare1/);
  } finally {
    await lab.stop();
    await store.close();
  }
});
