/**
 * The safety gate's decisions (issue 9, do no harm): which evidence lets a destructive action run,
 * what holds it and why, and that actions which cannot take a serving machine down always run.
 * Pure unit tests: hand-made fakes of the controller's view, the peer witnesses and the logger.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PendingAction } from '../../../../src/core/context.js';
import type { DeepPartial, Policy } from '../../../../src/core/policy.js';
import type { ActionKind } from '../../../../src/core/types.js';
import { SafetyGate, StormGuard, type Admission } from '../../../../src/controller/safety/index.js';
import {
  BMC_SAYS_BOOT_FAILED,
  BMC_SAYS_OFF,
  fakeAction,
  fakeLog,
  fakePolicy,
  fakeView,
  fakeWitnesses,
  SILENT_POWERED_ON,
  type PeerAnswer,
} from './fakes.js';

const HOSTS = ['hv1', 'hv2', 'hv3', 'spare1'];
const PEERS_OF_HV3 = ['hv1', 'hv2', 'spare1'];

/** A gate over HOSTS where hv3 has gone silent; `observation` is what its BMC said last. */
function gateFor(opts: {
  observation?: typeof SILENT_POWERED_ON;
  healthy?: string[];
  answers?: Record<string, PeerAnswer> & { default?: PeerAnswer };
  failWith?: string;
  policy?: DeepPartial<Policy>;
  vmHosts?: Record<string, string>;
} = {}) {
  const policy = fakePolicy(opts.policy);
  const log = fakeLog();
  const witnesses = fakeWitnesses(opts.answers, opts.failWith);
  const view = fakeView({ hosts: HOSTS, healthy: opts.healthy ?? PEERS_OF_HV3, observations: { hv3: opts.observation ?? SILENT_POWERED_ON }, vmHosts: opts.vmHosts });
  const guard = new StormGuard(policy.safety.stormGuard, log);
  const gate = new SafetyGate({ policy, witnesses, view, guard, log });
  return { gate, guard, log, witnesses, policy };
}

function heldReason(a: Admission): string {
  assert.equal(a.admitted, false, 'expected the action to be held');
  if (a.admitted) return '';
  assert.equal(a.held.outcome, 'held');
  return a.held.outcome === 'held' ? a.held.reason : '';
}

function admitted(a: Admission): Extract<Admission, { admitted: true }> {
  assert.equal(a.admitted, true, a.admitted ? '' : `held: ${heldReason(a)}`);
  return a as Extract<Admission, { admitted: true }>;
}

/** A cliff: hosts that were healthy all turn bad in the same cycle. */
function cliff(guard: StormGuard, bad: string[], all: string[], at = 1_000): void {
  guard.observeHosts(all.map((name) => ({ name, healthy: true })), at - 5_000);
  guard.observeHosts(all.map((name) => ({ name, healthy: !bad.includes(name) })), at);
}

describe('evidence that lets a destructive action run', () => {
  test('BMC reports power off: a reinstall runs without asking any peer', async () => {
    const { gate, witnesses } = gateFor({ observation: BMC_SAYS_OFF, answers: { default: 'reaches' } });
    admitted(await gate.admit(fakeAction('reinstall', { rung: 5 }), 'hv3'));
    assert.equal(witnesses.asked.length, 0, 'the BMC is evidence by itself');
  });

  test('BMC reports a failed boot: a power cycle runs without asking any peer, and takes a slot', async () => {
    const { gate, witnesses } = gateFor({ observation: BMC_SAYS_BOOT_FAILED, answers: { default: 'reaches' } });
    admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
    assert.equal(witnesses.asked.length, 0);
    assert.equal(gate.limits.inFlight().powerCycle, 1);
  });

  test('peers that tried and could not reach it either are evidence', async () => {
    const { gate, witnesses } = gateFor({ answers: { default: 'cannot-reach' } });
    admitted(await gate.admit(fakeAction('fence-migrate', { rung: 4 }), 'hv3'));
    assert.deepEqual(witnesses.asked, [{ target: 'hv3', peers: PEERS_OF_HV3 }], 'the healthy peers, sorted, never the target itself');
    assert.equal(gate.limits.inFlight().fence, 1);
  });

  test('only healthy peers are asked, at most safety.peerWitnesses of them', async () => {
    const { gate, witnesses } = gateFor({ healthy: ['hv1', 'hv2', 'hv3', 'spare1'], policy: { safety: { peerWitnesses: 2 } } });
    admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
    assert.deepEqual(witnesses.asked[0]?.peers, ['hv1', 'hv2']);
    const sparse = gateFor({ healthy: ['spare1'] });
    admitted(await sparse.gate.admit(fakeAction('host-reboot'), 'hv3'));
    assert.deepEqual(sparse.witnesses.asked[0]?.peers, ['spare1'], 'hv1 and hv2 are not healthy: no witnesses');
  });

  test('a person is the evidence: an operator-triggered rung and a confirmed-off fence run without peers', async () => {
    const { gate, witnesses } = gateFor({ answers: { default: 'reaches' } });
    admitted(await gate.admit(fakeAction('host-reboot', { operatorTriggered: true }), 'hv3'));
    admitted(await gate.admit(fakeAction('fence-migrate', { rung: 4, operatorConfirmedOff: true }), 'hv3'));
    assert.equal(witnesses.asked.length, 0);
  });

  test('a VM on a healthy host the controller reaches: its own failed probe is the evidence', async () => {
    const { gate, witnesses } = gateFor({ vmHosts: { web1: 'hv1', ce1: 'hv3' }, answers: { default: 'reaches' } });
    admitted(await gate.admit(fakeAction('vm-restart', { rung: 2 }), 'web1'));
    assert.equal(witnesses.asked.length, 0);
    // Its host is the silent one: moving it away needs the host's evidence, and peers reach hv3.
    assert.match(heldReason(await gate.admit(fakeAction('vm-move', { rung: 4 }), 'ce1')), /controller's path to hv3 is down/);
  });
});

describe('what holds a destructive action', () => {
  test('peers reach it: the controller\'s path is down, held with the count, alerted once per reason', async () => {
    const { gate, log, policy } = gateFor({ answers: { hv1: 'reaches', hv2: 'reaches', spare1: 'not-asked' } });
    const first = await gate.admit(fakeAction('host-reboot'), 'hv3');
    assert.equal(heldReason(first), "controller's path to hv3 is down; 2 of 2 peers reach it");
    assert.equal(!first.admitted && first.held.outcome === 'held' ? first.held.recheckAfterMs : 0, policy.safety.holdRecheckSeconds * 1000);
    assert.equal(gate.limits.inFlight().powerCycle, 0, 'a held action takes no slot');
    await gate.admit(fakeAction('host-reboot'), 'hv3');
    assert.equal(log.warnings.length, 1, 'the same reason is not logged again at each recheck');
    assert.equal(log.warnings[0]?.obj.alert, true, 'a cut path alerts');
  });

  test('it still answers the controller and peers reach it: only part of it is broken, held', async () => {
    const { gate } = gateFor({ observation: { ...SILENT_POWERED_ON, reachable: true }, answers: { hv1: 'reaches', default: 'cannot-reach' } });
    assert.equal(heldReason(await gate.admit(fakeAction('host-reboot'), 'hv3')), 'hv3 still answers; 1 of 3 peers reach it');
  });

  test('no peer could be asked: no healthy peer, or none of them answered the question', async () => {
    const lonely = gateFor({ healthy: [] });
    assert.equal(heldReason(await lonely.gate.admit(fakeAction('host-reboot'), 'hv3')), 'no peer could be asked whether it reaches hv3 (no healthy peer)');
    const mute = gateFor({ answers: { default: 'not-asked' } });
    assert.equal(heldReason(await mute.gate.admit(fakeAction('host-reboot'), 'hv3')), 'no peer could be asked whether it reaches hv3 (ssh to peer failed)');
    const broken = gateFor({ failWith: 'witness pool exploded' });
    assert.match(heldReason(await broken.gate.admit(fakeAction('host-reboot'), 'hv3')), /no evidence about hv3: asking its peers failed \(.*witness pool exploded\)/);
  });

  test('storm guard: held during a cliff whatever the evidence, runs again once the cliff is over', async () => {
    const all = ['hv1', 'hv2', 'hv3', 'hv4', 'hv5', 'hv6', 'hv7', 'hv8', 'hv9', 'hv10'];
    const { gate, guard, witnesses } = gateFor({ answers: { default: 'cannot-reach' } });
    cliff(guard, ['hv3', 'hv4', 'hv5'], all);
    assert.equal(heldReason(await gate.admit(fakeAction('host-reboot'), 'hv3')), 'storm guard: 3 of 10 hosts turned bad within 0 s');
    assert.equal(witnesses.asked.length, 0, 'no evidence is gathered while the guard holds');
    guard.observeHosts(all.map((name) => ({ name, healthy: name !== 'hv3' })), 20_000);
    admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
  });

  test('self-check failing: held with what failed; runs again once it passes', async () => {
    const { gate, guard } = gateFor();
    guard.observeSelfCheck({ ok: false, failed: ['witness 198.18.0.1:53 unreachable'] });
    assert.equal(heldReason(await gate.admit(fakeAction('fence-migrate', { rung: 4 }), 'hv3')), 'self-check failed: witness 198.18.0.1:53 unreachable');
    guard.observeSelfCheck({ ok: true, failed: [] });
    admitted(await gate.admit(fakeAction('fence-migrate', { rung: 4 }), 'hv3'));
  });
});

describe('concurrency limits', () => {
  test("a person's action passes the storm guard but is counted by the limits", async () => {
    const all = ['hv1', 'hv2', 'hv3', 'hv4', 'hv5', 'hv6', 'hv7', 'hv8', 'hv9', 'hv10'];
    const { gate, guard } = gateFor({ policy: { safety: { maxConcurrent: { powerCycle: 2 } } } });
    cliff(guard, ['hv3', 'hv4', 'hv5'], all);
    const byPerson = () => fakeAction('host-reboot', { operatorTriggered: true });
    admitted(await gate.admit(byPerson(), 'hv3'));
    admitted(await gate.admit(byPerson(), 'hv3'));
    const third = await gate.admit(byPerson(), 'hv3');
    assert.equal(heldReason(third), 'limit: 2 power cycles already running (safety.maxConcurrent.powerCycle 2)');
    assert.equal(!third.admitted && third.held.outcome === 'held' ? third.held.recheckAfterMs : 0, 5_000, 'a slot frees when an action ends: asked again soon');
  });

  test('each kind has its own limit; a released slot (the attempt has stopped) admits the next, once', async () => {
    const { gate } = gateFor({ observation: BMC_SAYS_BOOT_FAILED, policy: { safety: { maxConcurrent: { fence: 1, powerCycle: 1, reinstall: 1 } } } });
    const reboot = admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
    admitted(await gate.admit(fakeAction('reinstall', { rung: 5 }), 'hv3'));
    admitted(await gate.admit(fakeAction('fence-migrate', { rung: 4 }), 'hv3'));
    assert.deepEqual(gate.limits.inFlight(), { fence: 1, powerCycle: 1, reinstall: 1 });
    assert.match(heldReason(await gate.admit(fakeAction('host-reboot'), 'hv3')), /^limit: 1 power cycles already running/);
    reboot.release();
    reboot.release(); // twice: still one slot given back
    assert.deepEqual(gate.limits.inFlight(), { fence: 1, powerCycle: 0, reinstall: 1 });
    admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
    assert.match(heldReason(await gate.admit(fakeAction('host-reboot'), 'hv3')), /^limit: 1 power cycles/);
  });
});

describe('actions that cannot take a serving machine down', () => {
  const safe: Array<[ActionKind, Partial<PendingAction>]> = [
    ['host-power-on', {}],
    ['hypervisor-restart', { rung: 3 }],
    ['service-restart', { rung: 0 }],
    ['quarantine', { rung: 6 }],
    ['remove-stale-copies', { rung: 4 }],
  ];
  test('are never held: not by the guard, the self-check, missing evidence or the limits', async () => {
    const { gate, guard, witnesses } = gateFor({ healthy: [], policy: { safety: { maxConcurrent: { fence: 0, powerCycle: 0, reinstall: 0 } } } });
    guard.observeSelfCheck({ ok: false, failed: ['store unreadable'] });
    for (const [kind, extra] of safe) admitted(await gate.admit(fakeAction(kind, extra), 'hv3'));
    assert.equal(witnesses.asked.length, 0);
  });

  test('a reboot or fence of a host whose BMC reports it off powers nothing down: it runs during a storm', async () => {
    const all = ['hv1', 'hv2', 'hv3', 'hv4', 'hv5', 'hv6', 'hv7', 'hv8'];
    const { gate, guard } = gateFor({ observation: BMC_SAYS_OFF, policy: { safety: { maxConcurrent: { fence: 0, powerCycle: 0 } } } });
    cliff(guard, ['hv1', 'hv2', 'hv3', 'hv4'], all);
    assert.equal(guard.state().on, true);
    admitted(await gate.admit(fakeAction('host-reboot'), 'hv3'));
    admitted(await gate.admit(fakeAction('fence-migrate', { rung: 4 }), 'hv3'));
    assert.deepEqual(gate.limits.inFlight(), { fence: 0, powerCycle: 0, reinstall: 0 }, 'not counted either');
  });
});
