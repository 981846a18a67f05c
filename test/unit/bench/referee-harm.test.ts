/**
 * The bench referee sees harm (issue 9): each violation built on purpose on a tiny simulated rack
 * (2 primaries, 1 spare, 4 VMs, no watchdog), fed to the real Tracker as crafted controller
 * events, shows that its counter fires; the same action on a target that is really dead does not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCluster } from '../../../bench/cluster.js';
import { CLASSES, type ClassName } from '../../../bench/classes.js';
import { emptyHarmTally } from '../../../bench/harm.js';
import { Tracker, type Injection } from '../../../bench/tracker.js';
import type { ControllerEvent } from '../../../src/controller/index.js';
import type { ActionKind, RungNumber, TargetId } from '../../../src/core/types.js';
import { RUNG } from '../../../src/core/rungs.js';
import { Random, VirtualClock, createWorld, parseFaultCommand, type World } from '../../../src/env/sim/index.js';

interface Rack {
  world: World;
  clock: VirtualClock;
  tracker: Tracker;
  /** The VMs on a host, sorted. */
  vmsOn(host: string): string[];
}

function rack(): Rack {
  const clock = new VirtualClock({ start: 0 });
  const { hosts, vms } = buildCluster({ hosts: 2, spares: 1, vms: 4 }, new Random('referee-test'));
  const world = createWorld({ hosts, vms, clock, seed: 'referee-test' });
  const tracker = new Tracker(world);
  world.onChange((e) => tracker.onWorldEvent(e));
  const vmsOn = (host: string) => [...world.host(host).domains.keys()].sort();
  return { world, clock, tracker, vmsOn };
}

/** An open injection of `cls` holding `hosts` (host classes) or `vms` (VM classes). */
function hold(r: Rack, index: number, cls: ClassName, hosts: string[], vms: string[] = []): Injection {
  const plan = CLASSES.find((c) => c.name === cls)!.plan(new Random('plan'), hosts.length > 0 ? hosts : vms);
  const inj: Injection = {
    index, cls, variant: plan.variant, at: r.clock.now(), targets: hosts.length > 0 ? hosts : vms, hosts, plan, steps: [],
    scriptDone: false, lastFaultAt: r.clock.now(), repairedAt: new Map(), operatorActions: 0, handedOverAt: null, finalizedAt: null, result: null,
    harm: emptyHarmTally(),
  };
  r.tracker.begin(inj);
  return inj;
}

const fault = (r: Rack, line: string) => r.world.applyFault(parseFaultCommand(line));

let seq = 0;
/** The controller requests `kind` on `target` and reports `outcome` (null: still in flight). */
function act(r: Rack, target: TargetId, kind: ActionKind, rung: RungNumber, outcome: 'ok' | 'failed' | 'held' | 'no-room' | null = 'ok'): void {
  const action = { id: `inc-${++seq}/1-r${rung}`, incidentId: `inc-${seq}`, rung, kind, attempt: 1, issuedAt: r.clock.now(), operatorConfirmedOff: false };
  const requested: ControllerEvent = { type: 'emitted', targetId: target, event: { type: 'action.requested', at: r.clock.now(), action, reason: 'test' } };
  r.tracker.onControllerEvent(requested, r.clock.now());
  if (outcome === null) return;
  const result =
    outcome === 'ok' ? { outcome } : outcome === 'failed' ? { outcome, error: 'test' } : outcome === 'held' ? { outcome, reason: 'no evidence', recheckAfterMs: 30_000 } : { outcome, reason: 'no room' };
  r.tracker.onControllerEvent({ type: 'action-done', targetId: target, action, result, startedAt: r.clock.now(), at: r.clock.now() }, r.clock.now());
}

test('fencing a host whose libvirtd died while its guests still serve is harm; each guest an unneeded restart', () => {
  const r = rack();
  const inj = hold(r, 0, 'hypervisor-crash', ['hv1']);
  fault(r, 'hypervisor hv1 crash');
  assert.equal(r.tracker.vmAnswers(r.vmsOn('hv1')[0]!), false, 'the controller sees the guests down...');
  assert.ok(r.world.serving('vm', r.vmsOn('hv1')[0]!), '...their users do not');
  act(r, 'host:hv1', 'hypervisor-restart', RUNG.restartHypervisor);
  assert.equal(inj.harm.harmfulActions, 0, 'restarting libvirtd is not destructive');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate);
  assert.equal(inj.harm.harmfulActions, 1);
  assert.equal(inj.harm.byReason['guests-serving'], 1);
  assert.equal(inj.harm.unneededVmRestarts, r.vmsOn('hv1').length);
  assert.equal(r.tracker.harmEvents[0]!.cls, 'hypervisor-crash');
  assert.match(r.tracker.harmEvents[0]!.detail, /fence-migrate .*serving: vm/);
});

test('an action the safety gate held, or that found no room, did nothing: no harm', () => {
  const r = rack();
  const inj = hold(r, 0, 'hypervisor-crash', ['hv1']);
  fault(r, 'hypervisor hv1 crash');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate, 'held');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate, 'no-room');
  assert.deepEqual(inj.harm, emptyHarmTally());
});

test('a destructive action still in flight at the end of the run counts; a failed one counts too', () => {
  const r = rack();
  const inj = hold(r, 0, 'host-partition', ['hv1']);
  fault(r, 'host hv1 partition');
  act(r, 'host:hv1', 'host-reboot', RUNG.reboot, 'failed');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate, null);
  assert.equal(inj.harm.harmfulActions, 1);
  r.tracker.harm.close(r.clock.now());
  assert.equal(inj.harm.harmfulActions, 2);
  assert.equal(inj.harm.byReason['guests-serving'], 2);
});

test('a host only cut off from the controller serves: power cycling it is harm even with no guest', () => {
  const r = rack();
  const inj = hold(r, 0, 'peer-reachable-partition', ['spare1']);
  fault(r, 'host spare1 partition');
  assert.equal(r.tracker.hostHealthy('spare1'), false);
  act(r, 'host:spare1', 'host-reboot', RUNG.reboot);
  assert.equal(inj.harm.byReason['host-serving'], 1);
  assert.equal(inj.harm.unneededVmRestarts, 0);
});

test("the controller's own network cut: every action on a serving target is harm", () => {
  const r = rack();
  const inj = hold(r, 0, 'controller-partition', []);
  fault(r, 'controller partition');
  r.tracker.applyStep(inj, 0, () => undefined); // the step registers every VM the controller lost
  act(r, 'host:hv2', 'fence-migrate', RUNG.fenceMigrate, 'failed');
  act(r, `vm:${r.vmsOn('hv1')[0]!}`, 'vm-restart', RUNG.restartVm, 'failed');
  assert.equal(inj.harm.harmfulActions, 2);
  assert.deepEqual([inj.harm.byReason['guests-serving'], inj.harm.byReason['vm-serving']], [1, 1]);
});

test('power cycling and fencing a hung host is no harm; reinstalling it is (its installation is intact)', () => {
  const r = rack();
  const inj = hold(r, 0, 'host-overload', ['hv1']);
  fault(r, 'host hv1 overload');
  act(r, 'host:hv1', 'host-reboot', RUNG.reboot);
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate);
  assert.equal(inj.harm.harmfulActions, 0);
  act(r, 'host:hv1', 'reinstall', RUNG.reinstall);
  assert.equal(inj.harm.byReason['installation-intact'], 1);
});

test('reinstalling a host whose /boot is destroyed is no harm', () => {
  const r = rack();
  const inj = hold(r, 0, 'host-destructive', ['hv1']);
  fault(r, 'host hv1 destroy-boot');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate);
  act(r, 'host:hv1', 'reinstall', RUNG.reinstall);
  assert.deepEqual(inj.harm, { ...emptyHarmTally(), userDownEpisodes: r.vmsOn('hv1').length });
});

test('a fence through a dead BMC powers nothing off: judged when the VMs start elsewhere', async () => {
  const r = rack();
  const inj = hold(r, 0, 'host-and-bmc-dead', ['hv1']);
  fault(r, 'host hv1 bmc-dead');
  fault(r, 'host hv1 partition');
  act(r, 'host:hv1', 'fence-migrate', RUNG.fenceMigrate, null);
  assert.equal(inj.harm.harmfulActions, 0);
  // The controller starts a guest on the spare while its old copy still serves on hv1.
  const vm = r.vmsOn('hv1')[0]!;
  r.world.defineDomain('spare1', vm);
  r.world.startDomain('spare1', vm);
  assert.equal(inj.harm.byReason['started-while-serving'], 1);
  assert.equal(r.tracker.vmOnTwoHosts, 1, 'the old safety counter agrees');
  await r.clock.advanceBy(1000);
});

test('restarting a serving VM is harm and an unneeded restart; restarting a panicked one is not', () => {
  const r = rack();
  const [a, b] = r.vmsOn('hv1') as [string, string];
  const injA = hold(r, 0, 'vm-panic', [], [a]);
  const injB = hold(r, 1, 'vm-service', [], [b]);
  fault(r, `vm ${a} panic`);
  act(r, `vm:${a}`, 'vm-restart', RUNG.restartVm);
  assert.equal(injA.harm.harmfulActions, 0);
  act(r, `vm:${b}`, 'vm-reboot', RUNG.reboot);
  act(r, `vm:${b}`, 'service-restart', RUNG.serviceRestart);
  assert.equal(injB.harm.harmfulActions, 1, 'the service restart is not destructive');
  assert.equal(injB.harm.byReason['vm-serving'], 1);
  assert.equal(injB.harm.unneededVmRestarts, 1);
});

test('harm on a target no open injection holds is unattributed, not lost', () => {
  const r = rack();
  act(r, 'host:hv2', 'host-reboot', RUNG.reboot);
  assert.equal(r.tracker.unattributedHarm.harmfulActions, 1);
  assert.equal(r.tracker.harmEvents[0]!.injection, null);
});

test("user downtime: the users' seconds, not libvirtd's opinion", async () => {
  const r = rack();
  const crash = hold(r, 0, 'hypervisor-crash', ['hv1']);
  fault(r, 'hypervisor hv1 crash');
  await r.clock.advanceBy(60_000);
  assert.equal(crash.harm.userDownSeconds + crash.harm.userDownEpisodes, 0, 'guests of a dead libvirtd still serve');

  const loss = hold(r, 1, 'host-power-loss', ['hv2']);
  const vm = r.vmsOn('hv2')[0]!;
  fault(r, 'host hv2 power-loss');
  await r.clock.advanceBy(40_000);
  r.world.defineDomain('spare1', vm);
  r.world.startDomain('spare1', vm); // the guest boots (about 25 s), then serves again
  await r.clock.advanceBy(120_000);
  assert.ok(r.world.serving('vm', vm));
  assert.equal(loss.harm.userDownEpisodes, r.vmsOn('hv2').length);
  const others = r.vmsOn('hv2').length - 1; // still down at the close, 160 s each
  r.tracker.harm.close(r.clock.now());
  const moved = loss.harm.userDownSeconds - others * 160;
  assert.ok(moved > 40 && moved < 100, `the moved VM was down ${moved} s: 40 s dead, then its boot`);
  assert.equal(loss.harm.harmfulActions, 0);
});
