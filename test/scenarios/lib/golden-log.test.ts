/**
 * The golden-log formatter: both shapes of an action result give the same text (so the logs do
 * not change when the result type does), lines carry no ids, and the short diff shows changes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUNGS } from '../../../src/core/types.js';
import { describeActionResult, formatControllerEvent } from './golden-log.js';
import { lineDiff } from './line-diff.js';
import { parseScript } from './script.js';

describe('describeActionResult', () => {
  const pairs: Array<[old: unknown, union: unknown, text: string]> = [
    [{ ok: true }, { outcome: 'ok' }, 'ok'],
    [{ ok: false, blocked: true, error: 'BMC silent' }, { outcome: 'blocked', reason: 'BMC silent' }, 'blocked: BMC silent'],
    [{ ok: false, noRoom: true, error: 'no room' }, { outcome: 'no-room', reason: 'no room' }, 'no-room: no room'],
    [{ ok: false, error: 'ssh timed out' }, { outcome: 'failed', error: 'ssh timed out' }, 'failed: ssh timed out'],
  ];
  for (const [old, union, text] of pairs) {
    test(`old and union shapes read "${text}"`, () => {
      assert.equal(describeActionResult(old), text);
      assert.equal(describeActionResult(union), text);
    });
  }
});

describe('formatControllerEvent', () => {
  const start = 1_000_000;
  const action = { id: 'host:hv1#1/1-r4', incidentId: 'host:hv1#1', rung: 4, kind: 'fence-migrate', attempt: 1, issuedAt: start, operatorConfirmedOff: false };

  test('a request and its result, in virtual seconds since the start, without ids', () => {
    const requested = formatControllerEvent(
      { type: 'emitted', targetId: 'host:hv1', event: { type: 'action.requested', at: start + 42_000, action, reason: 'entry rung' } },
      start,
      RUNGS,
    );
    assert.equal(requested, '   42.0 host:hv1       action fence-migrate (rung 4 fence-migrate, attempt 1) requested: entry rung');
    const done = formatControllerEvent({ type: 'action-done', targetId: 'host:hv1', action, result: { outcome: 'ok' }, startedAt: start + 42_000, at: start + 42_500 }, start, RUNGS);
    assert.equal(done, '   42.5 host:hv1       action fence-migrate (rung 4 fence-migrate) finished after 0.5 s: ok');
    assert.doesNotMatch(`${requested}\n${done}`, /#1/);
  });

  test('phases and incident events; inventory events are left out', () => {
    assert.equal(formatControllerEvent({ type: 'phase', targetId: 'vm:db1', from: 'healthy', to: 'suspect', at: start + 2000 }, start, RUNGS), '    2.0 vm:db1         healthy -> suspect');
    assert.equal(
      formatControllerEvent({ type: 'emitted', targetId: 'vm:db1', event: { type: 'incident.quarantined', incidentId: 'vm:db1#4', at: start, reason: 'flapping' } }, start, RUNGS),
      '    0.0 vm:db1         incident quarantined: flapping',
    );
    assert.equal(formatControllerEvent({ type: 'inventory', hosts: [] }, start, RUNGS), null);
  });
});

describe('lineDiff', () => {
  test('shows removed and added lines with a line of context', () => {
    const diff = lineDiff(['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'X', 'd', 'e']);
    assert.equal(diff, '  ...\n  b\n- c\n+ X\n  d\n  ...');
  });
});

describe('fault scripts', () => {
  test('fault lines, delays and operator lines parse; typos fail before anything plays', () => {
    const steps = parseScript(['delay 30', 'host hv1 hang  # comment', 'operator maintenance on host:hv1', '', 'operator confirm-off hv1']);
    assert.deepEqual(steps.map((s) => s.kind), ['delay', 'fault', 'operator', 'operator']);
    assert.throws(() => parseScript(['host hv1 hnag']), /unknown host fault/);
    assert.throws(() => parseScript(['operator maintenance on hv1']), /expected a target/);
    assert.throws(() => parseScript(['operator reboot host:hv1']), /unknown operator command/);
  });
});
