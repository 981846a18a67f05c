/**
 * The storm guard: a cliff of hosts that were healthy turning bad within the window, or a failing
 * self-check, turns it on (one alert); it stays on while the cliff's hosts are still bad, past the
 * window; it turns off (one line) once fewer than the threshold remain bad, or, for a partial cliff
 * (more hosts healthy than the cliff silenced), after partialReleaseSeconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StormGuard } from '../../../../src/controller/safety/index.js';
import { fakeLog } from './fakes.js';

const POLICY = { share: 0.3, minTargets: 3, windowSeconds: 120, partialReleaseSeconds: 180 };
const TEN = Array.from({ length: 10 }, (_, i) => `hv${i + 1}`);

function verdicts(bad: readonly string[]) {
  return TEN.map((name) => ({ name, healthy: !bad.includes(name) }));
}

test('three of ten hosts turning bad at once is a cliff: on, with one alert naming it', () => {
  const log = fakeLog();
  const guard = new StormGuard(POLICY, log);
  guard.observeHosts(verdicts([]), 0);
  guard.observeHosts(verdicts(['hv1', 'hv2']), 5_000);
  assert.equal(guard.state().on, false, 'two is below max(minTargets 3, 30 % of 10)');
  guard.observeHosts(verdicts(['hv1', 'hv2', 'hv3']), 10_000);
  const s = guard.state();
  assert.equal(s.on, true);
  assert.equal(s.reason, 'storm guard: 3 of 10 hosts turned bad within 5 s');
  assert.deepEqual(s.cliffHosts, ['hv1', 'hv2', 'hv3']);
  guard.observeHosts(verdicts(['hv1', 'hv2', 'hv3']), 15_000);
  assert.deepEqual(log.warnings.map((w) => w.obj.guard), ['on'], 'announced once, not every cycle');
  assert.equal(log.warnings[0]?.obj.alert, true);
});

test('the threshold grows with the rack: 30 % of 20 hosts is 6', () => {
  const twenty = Array.from({ length: 20 }, (_, i) => `h${i}`);
  const guard = new StormGuard(POLICY, fakeLog());
  guard.observeHosts(twenty.map((name) => ({ name, healthy: true })), 0);
  guard.observeHosts(twenty.map((name, i) => ({ name, healthy: i >= 5 })), 5_000);
  assert.equal(guard.state().on, false, 'five of twenty');
  guard.observeHosts(twenty.map((name, i) => ({ name, healthy: i >= 6 })), 10_000);
  assert.equal(guard.state().on, true, 'six of twenty');
});

test('failures spread over more than the window are no cliff', () => {
  const guard = new StormGuard(POLICY, fakeLog());
  guard.observeHosts(verdicts(['hv1']), 0);
  guard.observeHosts(verdicts(['hv1', 'hv2']), 100_000);
  guard.observeHosts(verdicts(['hv1', 'hv2', 'hv3']), 200_000);
  assert.equal(guard.state().on, false, 'hv1 turned bad 200 s before hv3: independent failures');
});

test('a cut of half the rack keeps it on past the window and the release time; off once fewer than the threshold are bad', () => {
  const log = fakeLog();
  const guard = new StormGuard(POLICY, log);
  const cut = ['hv1', 'hv2', 'hv3', 'hv4', 'hv5'];
  guard.observeHosts(verdicts(cut), 0);
  for (let t = 5_000; t <= 600_000; t += 5_000) guard.observeHosts(verdicts(cut), t);
  assert.equal(guard.state().on, true, 'ten minutes later, the same five of ten are still bad: no majority answers');
  assert.equal(guard.state().reason, 'storm guard: 5 of 10 hosts turned bad within 0 s');
  guard.observeHosts(verdicts(['hv1', 'hv2']), 605_000);
  assert.equal(guard.state().on, false);
  assert.deepEqual(log.warnings.map((w) => w.obj.guard), ['on', 'off']);
  guard.observeHosts(verdicts(['hv1', 'hv2', 'hv6']), 610_000);
  assert.equal(guard.state().on, false, 'hv1 and hv2 turned bad long ago: hv6 alone is no new cliff');
});

test('a partial cliff (most hosts still healthy, self-check passing) is released after partialReleaseSeconds', () => {
  const log = fakeLog();
  const guard = new StormGuard(POLICY, log);
  const cut = ['hv1', 'hv2', 'hv3', 'hv4'];
  for (let t = 0; t < 180_000; t += 5_000) guard.observeHosts(verdicts(cut), t);
  assert.equal(guard.state().on, true, 'held while younger than the release time');
  guard.observeHosts(verdicts(cut), 180_000);
  assert.equal(guard.state().on, false, 'six of ten answer: each bad host goes to the evidence gate');
  assert.deepEqual(log.warnings.map((w) => w.obj.guard), ['on', 'off']);
  assert.equal(log.warnings[1]!.obj.released, 'partial cliff');
  guard.observeSelfCheck({ ok: false, failed: ['10.0.0.1:53'] });
  assert.equal(guard.state().on, true, 'a failing self-check holds whatever the time');
});

test('hosts bad before the cliff do not count against its release: more answer than it silenced', () => {
  // Seed 11 of the crash bench: 8 of 22 hosts silenced at once while 3 were already down on their
  // own; half the rack answering kept the guard on for 12 minutes.
  const log = fakeLog();
  const guard = new StormGuard(POLICY, log);
  const before = ['hv9', 'hv10'];
  const cliff = ['hv1', 'hv2', 'hv3'];
  guard.observeHosts(verdicts(before), 0);
  for (let t = 300_000; t < 480_000; t += 5_000) guard.observeHosts(verdicts([...before, ...cliff]), t);
  assert.equal(guard.state().reason, 'storm guard: 3 of 10 hosts turned bad within 0 s', 'hv9 and hv10 are not part of the cliff');
  guard.observeHosts(verdicts([...before, ...cliff]), 480_000);
  assert.equal(guard.state().on, false, 'five answer, three silenced: only half the rack answers, yet the cliff is the smaller part');
  assert.equal(log.warnings[1]?.obj.released, 'partial cliff');
});

test('a cliff as large as what still answers holds past the release time, whatever was down before', () => {
  const guard = new StormGuard(POLICY, fakeLog());
  const before = ['hv8', 'hv9', 'hv10'];
  const cliff = ['hv1', 'hv2', 'hv3', 'hv4'];
  guard.observeHosts(verdicts(before), 0);
  for (let t = 300_000; t <= 900_000; t += 5_000) guard.observeHosts(verdicts([...before, ...cliff]), t);
  assert.equal(guard.state().on, true, 'three answer, four silenced');
  guard.observeHosts(verdicts(['hv8', 'hv9', 'hv10', 'hv1', 'hv2', 'hv3', 'hv4', 'hv5']), 905_000);
  assert.equal(guard.state().on, true, 'a later failure (hv5) makes fewer answer: still held');
});

test('a failing self-check turns it on whatever the hosts say, and wins over a cliff in the reason', () => {
  const guard = new StormGuard(POLICY, fakeLog());
  guard.observeHosts(verdicts([]), 0);
  guard.observeSelfCheck({ ok: false, failed: ['witness 198.18.0.1:53 unreachable', 'store unreadable: timeout'] });
  assert.equal(guard.state().reason, 'self-check failed: witness 198.18.0.1:53 unreachable, store unreadable: timeout');
  guard.observeSelfCheck({ ok: true, failed: [] });
  assert.equal(guard.state().on, false);
});
