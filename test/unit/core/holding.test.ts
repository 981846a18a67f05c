/**
 * The machine side of the safety gate (issue 9): a `held` action puts the incident in `holding`
 * with the gate's reason; the target may come back by itself (resolved, no destructive action),
 * or the recheck asks for the same rung again; a new reason is reported once; an action that
 * never reports counts as a failed attempt at its acting deadline.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ActionResult } from '../../../src/core/action-result.js';
import { HOLD_BACKOFF_MAX } from '../../../src/core/escalation/holding.js';
import { ACTING_MARGIN_SECONDS } from '../../../src/core/escalation/rung-step.js';
import { RUNG } from '../../../src/core/rungs.js';
import { machineHarness } from './machine-harness.js';

const PATH_DOWN = "controller's path to host:t1 is down; 2 of 2 peers reach it";
const RECHECK_MS = 30_000;

function held(reason = PATH_DOWN, recheckAfterMs = RECHECK_MS): ActionResult {
  return { outcome: 'held', reason, recheckAfterMs };
}

/** A host without VMs that stopped answering: its reboot is asked for, then held. */
function heldReboot() {
  const h = machineHarness('host', { failAfter: 3, recoverAfter: 5 });
  h.probes(3, 'host-unreachable', { hasVms: false });
  assert.equal(h.requested()[0]?.kind, 'host-reboot');
  h.done(held());
  return h;
}

function holdingEvents(h: ReturnType<typeof machineHarness>) {
  return h.emitted.filter((e) => e.type === 'incident.holding');
}

describe('holding', () => {
  test('a held action puts the incident in holding with the gate\'s reason and the recheck time', () => {
    const h = heldReboot();
    assert.equal(h.state, 'holding');
    assert.equal(h.ctx.reason, PATH_DOWN);
    assert.equal(h.ctx.holdUntil, h.now + RECHECK_MS);
    assert.equal(h.ctx.actingDeadline, null, 'nothing runs: no acting deadline');
    const [e, ...more] = holdingEvents(h);
    assert.equal(more.length, 0);
    assert.deepEqual(e, { type: 'incident.holding', incidentId: h.ctx.incidentId, at: h.now, reason: PATH_DOWN, recheckAt: h.now + RECHECK_MS });
  });

  test('recoverAfter good probes in holding resolve the incident without any destructive action', () => {
    const h = heldReboot();
    h.probes(4, 'ok', { every: 5 });
    assert.equal(h.state, 'holding', 'four good probes are not recoverAfter');
    h.probe('ok', { every: 5 });
    assert.equal(h.state, 'healthy');
    const resolved = h.emitted.find((e) => e.type === 'incident.resolved');
    assert.equal(resolved?.type === 'incident.resolved' ? resolved.note : undefined, 'recovered without a destructive action');
    assert.equal(h.ctx.incidentId, null);
    assert.equal(h.ctx.holdReason, null, 'the hold is forgotten with the incident');
    assert.equal(h.requested().length, 1, 'only the held request, never run');
  });

  test('at the recheck time the same rung and attempt are asked for again, under a new action id', () => {
    const h = heldReboot();
    const first = h.requested()[0]!;
    h.tick(RECHECK_MS / 1000 - 1);
    assert.equal(h.state, 'holding', 'not yet');
    h.tick(1);
    assert.deepEqual(h.state, { recovering: 'acting' });
    const again = h.requested()[1]!;
    assert.equal(again.kind, first.kind);
    assert.equal(again.rung, first.rung);
    assert.equal(again.attempt, first.attempt, 'a held attempt did not run: it is not used up');
    assert.notEqual(again.id, first.id);
    const reason = h.emitted.filter((e) => e.type === 'action.requested').at(-1);
    assert.equal(reason?.type === 'action.requested' ? reason.reason : '', 'held by the safety gate: asking again');
    assert.ok(h.ctx.actingDeadline != null, 'running again: the acting deadline is back');
  });

  test('a bad probe whose recheck is due asks again too', () => {
    const h = heldReboot();
    h.probes(5, 'host-unreachable', { every: 5 });
    assert.equal(h.state, 'holding', '25 s: not due');
    h.probe('host-unreachable', { every: 5 });
    assert.deepEqual(h.state, { recovering: 'acting' });
  });

  test('a reason is reported once; rechecks for the same reason back off; a new reason is reported and resets the backoff', () => {
    const h = heldReboot();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.tick((h.ctx.holdUntil! - h.now) / 1000);
      h.done(held());
      delays.push(h.ctx.holdUntil! - h.now);
    }
    assert.deepEqual(delays, [2, 4, 4, 4].map((f) => f * RECHECK_MS), `doubling, at most ${HOLD_BACKOFF_MAX} times`);
    assert.equal(holdingEvents(h).length, 1, 'the same reason is not reported at every recheck');
    h.tick((h.ctx.holdUntil! - h.now) / 1000);
    h.done(held('storm guard: 4 of 8 hosts turned bad within 0 s'));
    const events = holdingEvents(h);
    assert.equal(events.length, 2);
    assert.equal(events[1]?.type === 'incident.holding' ? events[1].reason : '', 'storm guard: 4 of 8 hosts turned bad within 0 s');
    assert.equal(h.ctx.holdUntil! - h.now, RECHECK_MS, 'a new reason starts the backoff again');
  });

  test('a VM held in its incident whose host then fails is handed to the host\'s incident', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-missing');
    assert.equal(h.requested()[0]?.kind, 'vm-move');
    h.done(held('no peer could be asked whether it reaches hv1 (no healthy peer)'));
    assert.equal(h.state, 'holding');
    h.probe('vm-host-down');
    assert.equal(h.state, 'blocked');
    assert.ok(h.emitted.some((e) => e.type === 'incident.closed'));
  });
});

describe('a held evacuation', () => {
  test('of a host that does not answer stays an evacuation: a reboot in place would need the same evidence', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-unreachable', { hasVms: true });
    assert.equal(h.requested()[0]?.kind, 'fence-migrate');
    h.done(held());
    assert.equal(h.state, 'holding');
    h.tick(RECHECK_MS / 1000);
    assert.equal(h.requested()[1]?.kind, 'fence-migrate', 'once the host is really down, its VMs still move');
    h.done().done();
    assert.deepEqual(h.state, { recovering: 'verifying' });
    assert.equal(h.ctx.evacuated, true);
  });

  test('of a host whose libvirtd died becomes a restart of libvirtd in place (needs no evidence)', () => {
    const h = machineHarness('host');
    // The first incident restarts libvirtd; the flap penalty lifts the second one to the evacuation.
    h.probes(3, 'hypervisor-down', { hasVms: true }).done().probes(5, 'ok');
    assert.equal(h.state, 'healthy');
    h.probes(3, 'hypervisor-down', { hasVms: true });
    assert.equal(h.requested()[1]?.kind, 'fence-migrate');
    h.done(held());
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.requested()[2]?.kind, 'hypervisor-restart');
    assert.equal(h.ctx.rung, RUNG.restartHypervisor);
  });
});

describe('the acting deadline', () => {
  test('an action that never reports counts as a failed attempt: overdue reported, the ladder goes on', () => {
    const h = machineHarness('host');
    h.probes(3, 'host-unreachable', { hasVms: false });
    const reboot = h.requested()[0]!;
    const deadlineSeconds = h.policy.rungs.reboot.timeoutSeconds + ACTING_MARGIN_SECONDS;
    h.tick(deadlineSeconds - 1);
    assert.deepEqual(h.state, { recovering: 'acting' }, 'not yet overdue');
    h.tick(1);
    const overdue = h.emitted.find((e) => e.type === 'action.overdue');
    assert.ok(overdue?.type === 'action.overdue');
    assert.equal(overdue.actionId, reboot.id);
    assert.equal(overdue.reason, `action did not report within ${deadlineSeconds} s`);
    const next = h.requested()[1]!;
    assert.equal(next.kind, 'hypervisor-restart', 'reboot has one attempt: the next rung');
    // The lost result arrives after all: it is not the current action any more and changes nothing.
    h.actor.send({ type: 'ACTION_DONE', at: h.now, actionId: reboot.id, result: { outcome: 'ok' } });
    assert.deepEqual(h.state, { recovering: 'acting' });
    assert.equal(h.ctx.pendingAction?.id, next.id);
  });

  test('with attempts left the same rung is retried', () => {
    const h = machineHarness('vm');
    h.probes(3, 'vm-crashed');
    const restart = h.requested()[0]!;
    assert.equal(restart.kind, 'vm-restart');
    h.tick(h.policy.rungs['restart-vm'].timeoutSeconds + ACTING_MARGIN_SECONDS);
    const retry = h.requested()[1]!;
    assert.equal(retry.kind, 'vm-restart');
    assert.equal(retry.attempt, 2);
    assert.ok(h.emitted.some((e) => e.type === 'action.overdue'));
  });
});

describe('a hold that lasts too long goes to a person', () => {
  test('after safety.holdToPersonSeconds the incident awaits a person with the hold reason; good probes still close it', () => {
    const h = machineHarness('host', { failAfter: 3, recoverAfter: 5, safety: { holdToPersonSeconds: 300 } });
    h.probes(3, 'host-unreachable', { hasVms: false });
    h.done(held());
    // Recheck after recheck, the gate keeps holding.
    for (let i = 0; i < 20 && h.state === 'holding'; i++) {
      h.tick(60);
      if (typeof h.state === 'object') h.done(held()); // recovering.acting: the recheck, held again
    }
    assert.equal(h.state, 'awaitingOperator');
    assert.match(h.ctx.reason ?? '', /held for \d+ min .*controller's path to host:t1 is down.*a person must decide/);
    assert.equal(h.ctx.heldSince, null, 'the hold is forgotten');
    h.probes(5, 'ok');
    assert.equal(h.state, 'healthy', 'the target came back: the incident closes by itself');
  });
});

describe('the installation check is evidence for a reinstall', () => {
  test('host-install-broken enters at the reinstall on a host without VMs, and at the evacuation with VMs aboard', () => {
    const bare = machineHarness('host', { failAfter: 3, recoverAfter: 5 });
    bare.probes(3, 'host-install-broken', { hasVms: false });
    assert.equal(bare.requested()[0]?.kind, 'reinstall');
    assert.equal(bare.requested()[0]?.rung, RUNG.reinstall);
    const loaded = machineHarness('host', { failAfter: 3, recoverAfter: 5 });
    loaded.probes(3, 'host-install-broken', { hasVms: true });
    assert.equal(loaded.requested()[0]?.kind, 'fence-migrate', 'never reinstalled with VMs aboard');
  });
});
