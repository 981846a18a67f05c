import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { machineHarness } from './machine-harness.js';

describe('hysteresis', () => {
  test('fails only after failAfter consecutive bad probes', () => {
    const h = machineHarness('vm', { failAfter: 3, recoverAfter: 5 });
    h.probes(2, 'vm-crashed');
    assert.equal(h.state, 'suspect');
    assert.equal(h.requested().length, 0);
    h.probe('ok');
    assert.equal(h.state, 'healthy', 'one good probe clears a suspicion');
    h.probes(2, 'vm-crashed');
    assert.equal(h.state, 'suspect');
    h.probe('vm-crashed');
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.emitted[0]?.type, 'incident.opened');
  });

  test('recovers only after recoverAfter consecutive good probes, a bad one restarts the count', () => {
    const h = machineHarness('vm', { failAfter: 2, recoverAfter: 4 });
    h.probes(2, 'vm-crashed').done();
    assert.deepEqual(h.state, { recovering: 'verifying' });
    h.probes(3, 'ok');
    assert.deepEqual(h.state, { recovering: 'verifying' });
    h.probe('vm-crashed');
    h.probes(3, 'ok');
    assert.deepEqual(h.state, { recovering: 'verifying' }, 'the bad probe reset the good count');
    h.probe('ok');
    assert.equal(h.state, 'healthy');
    const resolved = h.emitted.find((e) => e.type === 'incident.resolved');
    assert.ok(resolved);
    assert.equal(h.ctx.incidentId, null);
  });

  test('failAfter of 1 fails on the first bad probe', () => {
    const h = machineHarness('host', { failAfter: 1, recoverAfter: 2 });
    h.probe('host-power-off');
    assert.deepEqual(h.state, { recovering: 'acting' });
  });
});

describe('entry rung from the failure signature', () => {
  const cases: Array<[kind: 'host' | 'vm', code: Parameters<ReturnType<typeof machineHarness>['probe']>[0], rung: number, action: string, opts?: { canRestartService?: boolean }]> = [
    ['host', 'host-power-off', 1, 'host-power-on'],
    ['host', 'host-unreachable', 1, 'host-reboot'],
    ['host', 'host-os-hung', 1, 'host-reboot'],
    ['host', 'hypervisor-down', 3, 'hypervisor-restart'],
    ['host', 'host-and-bmc-unreachable', 4, 'fence-migrate'],
    ['host', 'host-unreachable-os-running', 1, 'host-reboot'],
    ['host', 'host-boot-failed', 5, 'reinstall'],
    ['vm', 'vm-crashed', 2, 'vm-restart'],
    ['vm', 'vm-hung', 2, 'vm-restart'],
    ['vm', 'vm-missing', 4, 'vm-move'],
    ['vm', 'vm-service-dead', 0, 'service-restart', { canRestartService: true }],
    ['vm', 'vm-service-dead', 1, 'vm-reboot', { canRestartService: false }],
  ];
  for (const [kind, code, rung, action, opts] of cases) {
    test(`${kind} ${code} -> rung ${rung} (${action})`, () => {
      const h = machineHarness(kind, { evacuateFirst: false });
      h.probes(3, code, opts);
      const [first] = h.requested();
      assert.equal(first?.rung, rung);
      assert.equal(first?.kind, action);
    });
  }

  test('a host with VMs that went down evacuates first, then is repaired', () => {
    const h = machineHarness('host', { evacuateFirst: true });
    h.probes(3, 'host-unreachable', { hasVms: true });
    assert.equal(h.requested()[0]?.kind, 'fence-migrate');
    h.done();
    const second = h.requested()[1];
    assert.equal(second?.kind, 'host-reboot', 'after the VMs moved, the host itself is rebooted');
    assert.equal(h.ctx.evacuated, true);
    h.done().probes(5, 'ok');
    assert.equal(h.state, 'healthy');
  });

  test('a host without VMs is not fenced first', () => {
    const h = machineHarness('host', { evacuateFirst: true });
    h.probes(3, 'host-unreachable', { hasVms: false });
    assert.equal(h.requested()[0]?.kind, 'host-reboot');
  });

  test('a VM whose host is down waits (blocked), no action, no incident', () => {
    const h = machineHarness('vm');
    h.probes(5, 'vm-host-down');
    assert.equal(h.state, 'blocked');
    assert.equal(h.requested().length, 0);
    assert.equal(h.emitted.length, 0);
    h.probes(5, 'ok');
    assert.equal(h.state, 'healthy');
  });

  test('a blocked VM whose host came back but is itself still down gets its own incident after its boot grace', () => {
    const h = machineHarness('vm', { blockedGraceSeconds: 60 });
    h.probes(3, 'vm-host-down').probes(12, 'vm-hung');
    assert.equal(h.state, 'blocked', 'still within the 60 s grace (a booting guest does not answer yet)');
    h.probe('vm-hung');
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.requested()[0]?.kind, 'vm-restart');
  });

  test('a VM suspected because of its host and moved by that host before it was blocked gets the boot grace too', () => {
    const h = machineHarness('vm');
    // Two probes blame the host; the host evacuates; the third probe sees the guest booting on the spare.
    h.probes(2, 'vm-hypervisor-down').probe('vm-hung');
    assert.equal(h.state, 'blocked', 'not failed: the bad streak was its host\'s');
    h.probes(3, 'vm-hung');
    assert.equal(h.requested().length, 0, 'not restarted while it boots');
    h.probes(5, 'ok');
    assert.equal(h.state, 'healthy');
    assert.equal(h.ctx.penalty, 0, 'no incident');
  });

  test('a blocked VM whose domain is not running once its host is back is not booting: no grace', () => {
    const h = machineHarness('vm', { blockedGraceSeconds: 120 });
    h.probes(3, 'vm-host-down').probes(2, 'vm-crashed');
    assert.equal(h.state, 'blocked', 'failAfter probes first, as for any failure');
    h.probe('vm-crashed');
    assert.deepEqual(h.state, { recovering: 'acting' }, 'shut off with its host: restarted after failAfter probes, not after the 120 s grace');
    assert.equal(h.requested()[0]?.kind, 'vm-restart');
    const m = machineHarness('vm', { blockedGraceSeconds: 120 });
    m.probes(3, 'vm-host-down').probe('vm-missing').probes(10, 'vm-hung');
    assert.equal(m.state, 'blocked', 'seen missing once (just before its start), then booting: the grace applies');
  });

  test('a VM booting on a spare after its host failed is not restarted while it boots', () => {
    const h = machineHarness('vm');
    h.probes(4, 'vm-host-down').probes(6, 'vm-hung').probes(5, 'ok');
    assert.equal(h.state, 'healthy');
    assert.equal(h.requested().length, 0);
    assert.equal(h.ctx.penalty, 0, 'no incident, no flap penalty');
  });
});

describe('hosts carrying VMs', () => {
  test('a host whose BMC reports a failed boot evacuates, then goes straight to the reinstall', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-boot-failed', { hasVms: true });
    assert.equal(h.requested()[0]?.kind, 'fence-migrate');
    h.done();
    assert.equal(h.requested()[1]?.kind, 'reinstall', 'no reboot first: the installed system does not boot');
  });

  test('however high its penalty, a host that still runs VMs is not reinstalled before they moved', () => {
    const h = machineHarness('host');
    // Two recent incidents: the third starts two rungs higher (restart-hypervisor -> reinstall).
    for (let i = 0; i < 2; i++) {
      h.probes(3, 'hypervisor-down', { hasVms: true });
      while (h.ctx.pendingAction) h.done();
      h.probes(5, 'ok', { hasVms: true });
    }
    const before = h.requested().length;
    h.probes(3, 'hypervisor-down', { hasVms: true });
    assert.equal(h.requested()[before]?.kind, 'fence-migrate', 'evacuate first');
    h.done();
    assert.equal(h.requested()[before + 1]?.kind, 'host-reboot', 'then a repair, never a reinstall without evidence of a broken installation');
  });

  test('an evacuation that finds no room for any VM repairs in place: the hypervisor restart, not a reinstall', () => {
    const h = machineHarness('host');
    h.probes(3, 'hypervisor-down', { hasVms: true });
    h.done().probes(5, 'ok', { hasVms: true });
    h.probes(3, 'hypervisor-down', { hasVms: true });
    const before = h.requested().length;
    assert.equal(h.requested()[before - 1]?.kind, 'fence-migrate', 'the penalty lifted it to the evacuation');
    h.done({ outcome: 'no-room', reason: 'no healthy host has room for any VM' });
    assert.equal(h.requested()[before]?.kind, 'hypervisor-restart', 'in place, where the evidence points; its VMs keep running');
    h.done().probes(5, 'ok', { hasVms: true });
    assert.equal(h.state, 'healthy');
  });

  test('a host that booted but stays silent after its reboot is handed to a person, not reinstalled', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-unreachable-os-running', { hasVms: true });
    h.done(); // VMs moved
    assert.equal(h.requested()[1]?.kind, 'host-reboot');
    h.done();
    h.advance(h.policy.rungs.reboot.timeoutSeconds);
    h.probe('host-unreachable-os-running');
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /OS running.*reinstall would not help/);
    assert.equal(h.requested().length, 2, 'no reinstall');
    h.probes(5, 'ok');
    assert.equal(h.state, 'healthy', 'its network back, it closes by itself');
    assert.ok(h.emitted.some((e) => e.type === 'incident.resolved'));

    const u = machineHarness('host');
    u.probes(3, 'host-unreachable', { hasVms: true });
    u.done().done();
    u.advance(u.policy.rungs.reboot.timeoutSeconds);
    u.probe('host-unreachable');
    assert.equal(u.requested().length, 2, 'without word from the BMC: no reinstall either');
    assert.equal(u.state, 'awaitingOperator');
    assert.match(u.ctx.reason ?? '', /no evidence of a broken installation/);
  });
});

describe('flap damping with VMs', () => {
  const policy = { penalty: { suppressAbove: 1500 } };

  test('a flapping host that carries VMs moves them away, then is quarantined, not rebooted', () => {
    const h = machineHarness('host', policy);
    h.probes(3, 'host-unreachable-os-running', { hasVms: true });
    h.done().done().probes(5, 'ok');
    const before = h.requested().length;
    h.probes(3, 'host-unreachable-os-running', { hasVms: true });
    assert.deepEqual(h.state, { recovering: 'acting' }, 'not quarantined with its VMs on it');
    assert.equal(h.requested()[before]?.kind, 'fence-migrate');
    h.done();
    assert.equal(h.state, 'quarantined');
    assert.equal(h.requested().length, before + 1, 'no reboot: flap damping stops acting on the host');
    assert.match(h.ctx.reason ?? '', /flapping.*VMs were moved/);
  });

  test('without VMs a flapping host is quarantined at once; with its guests still running it gets only the harmless rung', () => {
    const h = machineHarness('host', policy);
    h.probes(3, 'host-unreachable-os-running', { hasVms: false });
    h.done().probes(5, 'ok');
    h.probes(3, 'host-unreachable-os-running', { hasVms: false });
    assert.equal(h.state, 'quarantined');
    const v = machineHarness('host', policy);
    v.probes(3, 'hypervisor-down', { hasVms: true });
    v.done().probes(5, 'ok', { hasVms: true });
    const before = v.requested().length;
    v.probes(3, 'hypervisor-down', { hasVms: true });
    // Flap damping stops destructive loops: restarting libvirtd takes nothing down (the guests run).
    assert.deepEqual(v.state, { recovering: 'acting' });
    assert.equal(v.requested()[before]?.kind, 'hypervisor-restart', 'its guests still run: nothing is fenced');
    for (let i = 0; i < 5 && (v.state as unknown) !== 'quarantined'; i++) v.done({ outcome: 'failed', error: 'libvirtd did not start' });
    assert.equal(v.state, 'quarantined', 'the harmless rung did not help: quarantine, no fence, no reboot');
    assert.ok(v.requested().slice(before).every((a) => a.kind === 'hypervisor-restart'));
  });

  test('a quarantined host still carrying VMs tries again to start them elsewhere, without acting on the host', () => {
    const h = machineHarness('host', policy);
    h.probes(3, 'host-power-off', { hasVms: true });
    h.done().done().probes(5, 'ok');
    h.probes(3, 'host-power-off', { hasVms: true });
    h.done({ outcome: 'failed', error: 'vm9: no host with room' }).done({ outcome: 'failed', error: 'vm9: no host with room' });
    assert.equal(h.state, 'quarantined');
    const before = h.requested().length;
    h.probes(5, 'host-power-off', { hasVms: true });
    assert.equal(h.requested().length, before, 'not before the retry time');
    h.probes(2, 'host-power-off', { hasVms: true });
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.requested()[before]?.kind, 'fence-migrate');
    h.done({ outcome: 'no-room', reason: 'no healthy host has room for any VM' });
    assert.equal(h.state, 'quarantined', 'still no room: back to waiting, once');
    assert.equal(h.requested().length, before + 1);
    h.probes(6, 'host-power-off', { hasVms: true });
    h.done();
    assert.equal(h.state, 'quarantined');
    assert.equal(h.requested().filter((a) => a.kind !== 'fence-migrate').length, 1, 'the host itself was never acted on (but the first incident)');
    h.probes(20, 'host-power-off', { hasVms: false });
    assert.equal(h.state, 'quarantined', 'nothing left on it: nothing more');
    h.send({ type: 'RELEASE' });
    assert.equal(h.state, 'healthy');
  });
});

describe('timeouts and escalation', () => {
  test('a host climbs every rung on timeouts and ends quarantined', () => {
    const h = machineHarness('host', { evacuateFirst: false });
    h.probes(3, 'host-unreachable');
    const rungs: number[] = [];
    for (let step = 0; step < 10 && h.ctx.pendingAction; step++) {
      const action = h.ctx.pendingAction;
      rungs.push(action.rung);
      h.done(); // the action "worked" but the host never comes back
      h.probe('host-unreachable');
      h.tick(h.policy.rungs.reinstall.timeoutSeconds + 1);
    }
    assert.deepEqual(rungs, [1, 3, 4], 'the ladder stops below the reinstall');
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /no evidence of a broken installation/);
  });

  test('a VM climbs its rungs: service, reboot, restart (twice), move, quarantine', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-service-dead', { canRestartService: true });
    for (let step = 0; step < 10 && h.state !== 'quarantined'; step++) {
      h.done({ outcome: 'failed', error: 'did not help' });
    }
    assert.deepEqual(h.requested().map((a) => `${a.kind}#${a.attempt}`), [
      'service-restart#1',
      'vm-reboot#1',
      'vm-restart#1',
      'vm-restart#2',
      'vm-move#1',
      'vm-move#2',
    ]);
    assert.equal(h.state, 'quarantined');
    assert.match(h.ctx.reason ?? '', /did not help/);
  });

  test('no escalation before the rung deadline', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-crashed').done();
    const deadline = h.ctx.rungDeadline;
    h.tick((deadline - h.now) / 1000 - 1);
    assert.deepEqual(h.state, { recovering: 'verifying' });
    h.tick(1);
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.attempt, 2, 'restart-vm has two attempts by default');
  });

  test('a target answering again at its rung deadline gets its recoverAfter probes, not the next rung', () => {
    const h = machineHarness('host', { evacuateFirst: false });
    h.probes(3, 'host-unreachable').done();
    h.advance((h.ctx.rungDeadline - h.now) / 1000 - 10);
    h.probes(3, 'ok');
    assert.ok(h.now >= h.ctx.rungDeadline, 'past the deadline');
    assert.deepEqual(h.state, { recovering: 'verifying' });
    h.probes(2, 'ok');
    assert.equal(h.state, 'healthy');
    assert.equal(h.requested().length, 1, 'no reinstall of a host that came back');
  });

  test('an action result for an older action is ignored', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-crashed');
    h.actor.send({ type: 'ACTION_DONE', at: h.now, actionId: 'stale', result: { outcome: 'ok' } });
    assert.deepEqual(h.state, { recovering: 'acting' });
  });

  test('a fence that cannot be confirmed waits for an operator, then goes on when confirmed off', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-and-bmc-unreachable', { hasVms: true });
    h.done({ outcome: 'blocked', reason: 'BMC unreachable: cannot confirm power off' });
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /cannot confirm/);
    h.send({ type: 'CONFIRM_OFF' });
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.pendingAction?.operatorConfirmedOff, true);
    assert.equal(h.ctx.pendingAction?.kind, 'fence-migrate');
  });
});

describe('flap damping', () => {
  test('penalty decays with its half-life', () => {
    const h = machineHarness('vm', { penalty: { perIncident: 1000, halfLifeSeconds: 600 } });
    h.probes(3, 'vm-crashed');
    const p0 = h.ctx.penalty;
    assert.equal(p0, 1000);
    h.done().probes(5, 'ok');
    h.advance(600 - 25);
    h.probes(3, 'vm-crashed');
    assert.ok(Math.abs(h.ctx.penalty - (500 * Math.pow(0.5, 15 / 600) + 1000)) < 1, `penalty ${h.ctx.penalty}`);
  });

  test('a target that failed recently starts higher on the ladder', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-service-dead', { canRestartService: true });
    assert.equal(h.requested()[0]?.rung, 0);
    h.done().probes(5, 'ok');
    h.probes(3, 'vm-service-dead', { canRestartService: true });
    assert.equal(h.requested()[1]?.rung, 1, 'second incident within minutes skips the service restart');
  });

  test('a flapping host ends quarantined instead of being rebooted again and again', () => {
    const h = machineHarness('host', { evacuateFirst: false });
    let reboots = 0;
    for (let flap = 0; flap < 10; flap++) {
      h.probes(3, 'host-unreachable');
      if (h.state === 'quarantined') break;
      reboots++;
      // Later flaps start higher (fence + reinstall): answer every action until it verifies.
      for (let i = 0; i < 5 && h.ctx.pendingAction; i++) h.done();
      h.probes(5, 'ok');
      assert.equal(h.state, 'healthy');
    }
    assert.equal(h.state, 'quarantined');
    assert.ok(reboots <= 3, `acted on ${reboots} incidents before quarantine`);
    assert.deepEqual(h.requested().map((a) => a.rung), [1, 3, 4, 1], 'each new incident started higher; after the evacuation a repair, never an unproven reinstall');
    const q = h.emitted.find((e) => e.type === 'incident.quarantined');
    assert.match(q && q.type === 'incident.quarantined' ? q.reason : '', /flapping/);
    h.probes(20, 'host-unreachable');
    assert.equal(h.state, 'quarantined', 'no more actions while quarantined');
    assert.equal(h.requested().length, 4, 'nothing requested while quarantined');
    h.send({ type: 'RELEASE' });
    assert.equal(h.state, 'healthy');
    assert.equal(h.ctx.penalty, 0);
  });
});

describe('operator controls', () => {
  test('maintenance suppresses every action and closes the open incident', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-crashed');
    h.send({ type: 'MAINTENANCE', on: true });
    assert.equal(h.state, 'maintenance');
    assert.ok(h.emitted.some((e) => e.type === 'incident.closed'));
    h.probes(20, 'vm-crashed');
    assert.equal(h.state, 'maintenance');
    assert.equal(h.requested().length, 1);
    h.send({ type: 'MAINTENANCE', on: false });
    assert.equal(h.state, 'healthy');
  });

  test('a rung triggered by hand opens an incident and requests that rung', () => {
    const h = machineHarness('host');
    h.send({ type: 'TRIGGER_RUNG', rung: 5 });
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.pendingAction?.kind, 'reinstall');
    const opened = h.emitted.find((e) => e.type === 'incident.opened');
    assert.ok(opened && opened.type === 'incident.opened' && opened.manual);
  });

  test('the persisted snapshot restores the same state and context', async () => {
    const { createActor } = await import('xstate');
    const { createRecoveryMachine } = await import('../../../src/core/recovery-machine.js');
    const h = machineHarness('vm');
    h.probes(3, 'vm-crashed');
    const snapshot = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot()));
    const restored = createActor(createRecoveryMachine(h.policy), { snapshot, input: { targetId: 'vm:t1', kind: 'vm', at: 0 } }).start();
    assert.deepEqual(restored.getSnapshot().value, { recovering: 'acting' });
    assert.deepEqual(restored.getSnapshot().context, h.ctx);
    restored.send({ type: 'ACTION_DONE', at: h.now, actionId: h.ctx.pendingAction!.id, result: { outcome: 'ok' } });
    assert.deepEqual(restored.getSnapshot().value, { recovering: 'verifying' });
  });
});
