/**
 * Which controller events become notifications: an escalation is a change of rung (a retry of the
 * same rung is not); closed-by-itself counts as resolved; the storm guard is published on change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControllerEvent } from '../../../src/controller/controller-events.js';
import type { PendingAction } from '../../../src/core/index.js';
import { VirtualClock } from '../../../src/env/sim/index.js';
import { controllerNotifications, watchStormGuard } from '../../../src/notify/controller-notifications.js';
import type { NotificationInput } from '../../../src/notify/types.js';
import { silentLogger } from '../../../src/sim-rack/index.js';

const T0 = Date.UTC(2026, 10, 22);
const act = (rung: PendingAction['rung'], attempt: number): PendingAction => ({
  id: `vm:web1#1/${attempt}-r${rung}`, incidentId: 'vm:web1#1', rung, kind: 'vm-restart', attempt, issuedAt: T0, operatorConfirmedOff: false,
});
const emitted = (event: Extract<ControllerEvent, { type: 'emitted' }>['event']): ControllerEvent => ({ type: 'emitted', targetId: 'vm:web1', event });

describe('controller notifications', () => {
  test('opened, escalated on a rung change only, awaiting a person, resolved with its recovery time', () => {
    const out: NotificationInput[] = [];
    const listen = controllerNotifications((n) => out.push(n));
    listen(emitted({ type: 'incident.opened', incidentId: 'vm:web1#1', at: T0, signature: 'vm-crashed', summary: 'crashed', penalty: 1000, manual: false }));
    listen(emitted({ type: 'action.requested', at: T0 + 1000, action: act(2, 1), reason: 'entry' }));
    listen(emitted({ type: 'action.requested', at: T0 + 2000, action: act(2, 2), reason: 'retry' }));
    listen(emitted({ type: 'action.requested', at: T0 + 3000, action: act(4, 1), reason: 'timed out' }));
    listen(emitted({ type: 'incident.awaiting-operator', incidentId: 'vm:web1#1', at: T0 + 4000, reason: 'fence unconfirmed' }));
    listen({ type: 'phase', targetId: 'vm:web1', from: 'recovering', to: 'awaiting-operator', at: T0 + 4000 });
    listen(emitted({ type: 'incident.resolved', incidentId: 'vm:web1#1', at: T0 + 90_000 }));
    assert.deepEqual(out.map((n) => n.type), ['incident-opened', 'incident-escalated', 'incident-awaiting-operator', 'incident-resolved']);
    assert.deepEqual(out[1]!.data, { incidentId: 'vm:web1#1', targetId: 'vm:web1', fromRung: 2, fromRungName: 'restart-vm', rung: 4, rungName: 'fence-migrate', reason: 'timed out' });
    assert.equal(out[1]!.at, T0 + 3000);
    assert.deepEqual(out[3]!.data, { incidentId: 'vm:web1#1', targetId: 'vm:web1', how: 'recovered', rung: 4, rungName: 'fence-migrate', recoverySeconds: 90 });
  });

  test('quarantined is its own notification; closed by itself is a resolution that says so', () => {
    const out: NotificationInput[] = [];
    const listen = controllerNotifications((n) => out.push(n));
    listen(emitted({ type: 'incident.quarantined', incidentId: null, at: T0, reason: 'penalty 3200 above 3000' }));
    listen(emitted({ type: 'incident.closed', incidentId: 'vm:web1#2', at: T0, reason: 'the path is back' }));
    assert.deepEqual(out.map((n) => [n.type, n.data.how ?? null]), [['incident-quarantined', null], ['incident-resolved', 'closed']]);
  });

  test('the storm guard is published when it changes, on the controller clock, not by a standby', async () => {
    const clock = new VirtualClock({ start: T0 });
    const out: NotificationInput[] = [];
    let state = { safetyGuard: { on: false, reason: null as string | null }, leader: true };
    const stop = watchStormGuard({ health: async () => state, clock, log: silentLogger, everyMs: 5000, publish: (n) => out.push(n) });
    await clock.advanceBy(5000);
    assert.equal(out.length, 0);
    state = { safetyGuard: { on: true, reason: '3 of 4 hosts bad within 60 s' }, leader: true };
    await clock.advanceBy(5000);
    await clock.advanceBy(5000);
    state = { safetyGuard: { on: false, reason: null }, leader: true };
    await clock.advanceBy(5000);
    state = { safetyGuard: { on: true, reason: 'x' }, leader: false };
    await clock.advanceBy(5000);
    stop();
    assert.deepEqual(out.map((n) => [n.type, n.data.reason]), [['storm-guard-on', '3 of 4 hosts bad within 60 s'], ['storm-guard-off', null]]);
    assert.equal(clock.pending, 0, 'stopped: no timer left');
  });
});
