/** What a restart does with an action in flight (restart-decision.ts): decided from the store and the look. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PendingAction } from '../../../src/core/context.js';
import { decideAfterRestart, type HostLook, type RestartLook } from '../../../src/controller/restart-decision.js';
import type { ActionRecord } from '../../../src/store/types.js';

const T = 1_000_000;
const action = (kind: PendingAction['kind'], rung: PendingAction['rung']): PendingAction => ({
  id: `host:hv3#1/1-r${rung}`,
  incidentId: 'host:hv3#1',
  rung,
  kind,
  attempt: 1,
  issuedAt: T,
  operatorConfirmedOff: false,
});
const record = (a: PendingAction, end: Partial<ActionRecord> = {}): ActionRecord => ({
  id: a.id, incidentId: a.incidentId, targetId: 'host:hv3', rung: a.rung, kind: a.kind, attempt: 1,
  startedAt: T, finishedAt: null, outcome: null, error: null, fencingToken: null, ...end,
});
const host = (h: Partial<HostLook>): RestartLook => ({
  host: { name: 'hv3', bmcReachable: true, power: 'on', answers: false, hypervisorOk: false, bootProgress: 'unknown', ...h },
  vms: [],
  silentHosts: [],
});
const decide = (a: PendingAction, rec: ActionRecord | null, look: RestartLook | null) =>
  decideAfterRestart({ action: a, record: rec, look, now: T + 100_000, reinstallDeadlineMs: 900_000 });

test('an action whose start was never recorded runs (nothing reached the world)', () => {
  assert.equal(decide(action('host-reboot', 1), null, null).kind, 'repeat');
});

test('an action the store saw end feeds its outcome to the machine', () => {
  const a = action('fence-migrate', 4);
  const v = decide(a, record(a, { finishedAt: T + 5, outcome: 'blocked', error: 'BMC silent' }), null);
  assert.deepEqual(v.kind === 'replay' && v.result, { outcome: 'blocked', reason: 'BMC silent' });
});

test('a host already booting is not power-cycled again; one still hung (OS running, silent) is', () => {
  const a = action('host-reboot', 1);
  const booting = decide(a, record(a), host({ bootProgress: 'booting' }));
  assert.equal(booting.kind, 'done');
  assert.match(booting.kind === 'done' ? booting.note : '', /already booting/);
  assert.equal(decide(a, record(a), host({ bootProgress: 'os-running' })).kind, 'repeat');
  assert.equal(decide(a, record(a), host({ power: 'off', bootProgress: 'off' })).kind, 'repeat');
  assert.equal(decide(a, record(a), host({ bootProgress: 'unknown' })).kind, 'done', 'cannot tell: not repeated');
});

test('a fence is never resumed on a host that answers again', () => {
  const a = action('fence-migrate', 4);
  assert.equal(decide(a, record(a), host({ answers: true, hypervisorOk: true })).kind, 'person');
  assert.equal(decide(a, record(a), host({ power: 'off' })).kind, 'repeat');
});

test('a reinstall under way resumes with what is left of its deadline; one whose cycle never landed runs', () => {
  const a = action('reinstall', 5);
  const v = decide(a, record(a), host({ bootProgress: 'booting' }));
  assert.equal(v.kind, 'resume-reinstall');
  assert.equal(v.kind === 'resume-reinstall' && v.remainingMs, 800_000);
  assert.equal(decide(a, record(a), host({ bootProgress: 'boot-failed' })).kind, 'repeat');
  assert.equal(decide(a, record(a), host({ answers: true, hypervisorOk: true })).kind, 'done');
});

test('a VM on two hosts goes to a person; a VM running where it is recorded is done', () => {
  const a = { ...action('vm-move', 4), id: 'vm:db1#1/1-r4', incidentId: 'vm:db1#1' };
  const look = (runsOn: string[]): RestartLook => ({ ...host({ answers: true }), vms: [{ vm: 'db1', recordedOn: 'hv5', runsOn }] });
  assert.equal(decide(a, record(a), look(['hv1', 'hv5'])).kind, 'person');
  assert.equal(decide(a, record(a), look(['hv5'])).kind, 'done');
  assert.equal(decide(a, record(a), look([])).kind, 'repeat');
});
