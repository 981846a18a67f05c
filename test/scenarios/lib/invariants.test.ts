/**
 * The invariant checker must fire: each violation is built on purpose (a fake world, a fake event
 * stream, fake incidents) so a broken checker cannot let every scenario pass silently.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostServing, InvariantChecker, vmServing, type GroundTruth } from './invariants.js';

type FakeHost = ReturnType<GroundTruth['host']>;
type FakeDomain = { state: string; guest: string; service: string };

const running: FakeDomain = { state: 'running', guest: 'up', service: 'up' };

function fakeWorld(hosts: Record<string, Partial<FakeHost> & { vms?: Record<string, FakeDomain> }>): GroundTruth {
  const table = new Map<string, FakeHost>();
  for (const [name, h] of Object.entries(hosts)) {
    table.set(name, { power: h.power ?? 'on', os: h.os ?? 'up', hypervisor: h.hypervisor ?? 'up', isolated: h.isolated ?? false, domains: new Map(Object.entries(h.vms ?? {})) });
  }
  return {
    hostNames: () => [...table.keys()].sort(),
    host: (name) => table.get(name)!,
    runningCopies: (vm) => [...table.keys()].sort().filter((h) => ['running', 'paused', 'crashed'].includes(table.get(h)!.domains.get(vm)?.state ?? '')),
  };
}

const START = 1_000_000;
const at = (seconds: number) => START + seconds * 1000;

function requested(targetId: string, kind: string, rung = 4) {
  return { type: 'emitted', targetId, event: { type: 'action.requested', at: 0, reason: 'test', action: { kind, rung, id: 'x', incidentId: 'x', attempt: 1 } } };
}

describe('invariant 1: no VM live on two hosts', () => {
  test('a VM running on two hosts for three seconds is one violation naming both hosts and the stretch', () => {
    const world = fakeWorld({ hv1: { vms: { web1: running } }, spare1: { vms: { web1: running } } });
    const checker = new InvariantChecker(world, ['web1'], START);
    for (let s = 10; s <= 12; s++) checker.checkSecond(at(s));
    const [v, ...rest] = checker.violations();
    assert.equal(rest.length, 0);
    assert.equal(v?.invariant, 'two-copies');
    assert.equal(v?.at, 10);
    assert.match(v!.message, /web1 live on hv1 and spare1 from 10 s to 12 s \(3 s\)/);
  });

  test('a crashed copy still counts (its qemu process holds the disk); a shut-off copy does not', () => {
    const crashed = fakeWorld({ hv1: { vms: { db1: { state: 'crashed', guest: 'panicked', service: 'up' } } }, hv2: { vms: { db1: running } } });
    const c1 = new InvariantChecker(crashed, ['db1'], START);
    c1.checkSecond(at(1));
    assert.equal(c1.violations().length, 1);
    const stopped = fakeWorld({ hv1: { vms: { db1: { state: 'shutoff', guest: 'off', service: 'up' } } }, hv2: { vms: { db1: running } } });
    const c2 = new InvariantChecker(stopped, ['db1'], START);
    c2.checkSecond(at(1));
    assert.deepEqual(c2.violations(), []);
  });
});

describe('invariant 2: no destructive action on a serving target', () => {
  test('a fence requested on a host that is up (the controller merely cannot reach it) fires', () => {
    const world = fakeWorld({ hv1: { vms: { web1: running } } });
    const checker = new InvariantChecker(world, ['web1'], START);
    checker.onControllerEvent(requested('host:hv1', 'fence-migrate'), at(18));
    const [v] = checker.violations();
    assert.equal(v?.invariant, 'harm-to-serving');
    assert.equal(v?.at, 18);
    assert.match(v!.message, /fence-migrate \(rung 4\) requested on host:hv1/);
  });

  test('a VM restart requested while its service answers fires; a service restart does not', () => {
    const world = fakeWorld({ hv1: { vms: { web1: running } } });
    const checker = new InvariantChecker(world, ['web1'], START);
    checker.onControllerEvent(requested('vm:web1', 'service-restart', 0), at(5));
    assert.equal(checker.violations().length, 0, 'a service restart is not destructive');
    checker.onControllerEvent(requested('vm:web1', 'vm-restart', 2), at(6));
    assert.equal(checker.violations().length, 1);
  });

  test('the same requests on targets that are down are fine', () => {
    const world = fakeWorld({
      hv1: { os: 'hung', vms: { web1: running } },
      hv2: { power: 'off' },
      hv3: { vms: { db1: { state: 'running', guest: 'hung', service: 'up' } } },
    });
    const checker = new InvariantChecker(world, ['web1', 'db1'], START);
    checker.onControllerEvent(requested('host:hv1', 'fence-migrate'), at(1));
    checker.onControllerEvent(requested('host:hv2', 'host-reboot', 1), at(1));
    checker.onControllerEvent(requested('vm:web1', 'vm-move'), at(1));
    checker.onControllerEvent(requested('vm:db1', 'vm-restart', 2), at(1));
    assert.deepEqual(checker.violations(), []);
  });

  test('the serving definitions', () => {
    const world = fakeWorld({
      up: {},
      hyp: { hypervisor: 'down' },
      hypGuests: { hypervisor: 'down', vms: { web1: running } },
      booting: { os: 'booting' },
      hv: { vms: { dead: { state: 'running', guest: 'up', service: 'down' } } },
      cutOff: { isolated: true, vms: { lonely: running } },
    });
    assert.equal(hostServing(world, 'up'), true);
    assert.equal(hostServing(world, 'hyp'), false, 'hypervisor down, no guest running');
    assert.equal(hostServing(world, 'hypGuests'), true, 'hypervisor down but its guests still answer');
    assert.equal(hostServing(world, 'booting'), false);
    assert.equal(vmServing(world, 'dead'), false, 'a VM whose service is dead is not serving');
    assert.equal(hostServing(world, 'cutOff'), false, 'an isolated host reaches nobody: not serving');
    assert.equal(vmServing(world, 'lonely'), false, 'nor do the guests of an isolated host');
  });
});

describe('invariant 3: every incident ends resolved or handed over with a reason', () => {
  test('open, recovering and reasonless hand-overs fire; resolved and reasoned ones do not', () => {
    const checker = new InvariantChecker(fakeWorld({}), [], START);
    checker.checkIncidents(
      [
        { targetId: 'host:a', state: 'resolved', note: null },
        { targetId: 'host:b', state: 'awaiting-operator', note: 'BMC does not confirm power off' },
        { targetId: 'host:c', state: 'quarantined', note: 'flapping' },
        { targetId: 'vm:d', state: 'recovering', note: null },
        { targetId: 'vm:e', state: 'open', note: null },
        { targetId: 'host:f', state: 'quarantined', note: null },
        { targetId: 'host:g', state: 'awaiting-operator', note: ' ' },
      ],
      at(900),
    );
    const messages = checker.violations().map((v) => `${v.invariant}: ${v.message}`);
    assert.deepEqual(messages, [
      'incident-unfinished: incident of vm:d left recovering at the end',
      'incident-unfinished: incident of vm:e left open at the end',
      'incident-unfinished: incident of host:f is quarantined without a reason',
      'incident-unfinished: incident of host:g is awaiting-operator without a reason',
    ]);
  });
});
