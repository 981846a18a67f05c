/**
 * Failover between two real `3rc controller` processes on the real PostgreSQL server (RRC_TEST_PG_URL
 * or the local "test" database), environment `real` against ipmi_sim + sshd + libvirt test:///.
 * The fault: hv1's chassis is powered off in its ipmi_sim, so the recovery is a power-on. Its BMC is
 * frozen (SIGSTOP) once the incident opens, which holds the leader's power-on in flight; the leader is
 * then SIGKILLed, the BMC thawed, and the standby must lead within 15 s and finish the recovery.
 * Second case: the leader SIGSTOPped there instead; once the standby leads it is continued, and it
 * must stand by, its in-flight action's end write refused by the store for its stale epoch.
 * A missing PostgreSQL server, ipmi_sim or sshd fails these tests. All traffic is to 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildProcessPair, waitUntil, type ControllerProcess, type ProcessPair } from './process-pair.js';

const ENDED = new Set(['resolved', 'awaiting-operator', 'quarantined', 'cancelled']);
const pairs: ProcessPair[] = [];

after(async () => {
  for (const p of pairs) await p.close();
});

async function newPair(): Promise<ProcessPair> {
  const p = await buildProcessPair(['hv1', 'spare1']);
  pairs.push(p);
  return p;
}

/**
 * Both controllers up (ctl-a leading), then hv1 powered off in its ipmi_sim; returns once the
 * leader's power-on is in flight, held there by hv1's BMC frozen (SIGSTOP: it does not answer).
 */
async function recoveryInFlight() {
  const pair = await newPair();
  const { sims, observer } = pair;
  const a = await pair.start('ctl-a', 2);
  assert.ok(await waitUntil(() => leads(a), 15_000), `ctl-a never led:\n${a.output()}`);
  const b = await pair.start('ctl-b', 1);
  const epochA = (await a.health())!.epoch!;
  assert.equal((await b.health())?.leader, false, 'the second controller stands by');
  // Settled: both hosts probed healthy a few cycles, no incident.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.deepEqual(await observer.listIncidents(), [], `incidents before the fault:\n${a.output()}`);

  const hv1 = sims.get('hv1')!;
  hv1.setPower('off');
  // Polled tightly: the power-on (a few UDP round trips) must still be ahead when the BMC freezes.
  const opened = await waitUntil(async () => (await observer.listIncidents({ targetId: 'host:hv1' })).length > 0, 20_000, 50);
  assert.ok(opened, `no incident for hv1:\n${a.output()}`);
  // Hold the leader's power-on in flight: its BMC stops answering.
  hv1.setBehaviour({ frozen: true });
  // Normally the power-on is now stuck in flight. On a loaded machine it may have landed before the
  // freeze: then the incident is still open (verifying), which is a recovery under way too.
  const acting = await waitUntil(async () => (await observer.listActions()).some((act) => act.finishedAt === null), 5_000);
  const open = (await observer.listIncidents({ targetId: 'host:hv1' })).some((i) => !ENDED.has(i.state));
  assert.ok(acting || open, `neither an action in flight nor an open incident for hv1:\n${a.output()}`);

  return { pair, a, b, epochA, hv1 };
}

/** Every incident ended, hv1's resolved with a whole timeline and ctl-b (epoch + 1) finished it; returns the timeline. */
async function assertRecoveredUnder(pair: ProcessPair, epochA: number, b: ControllerProcess): Promise<string[]> {
  const { observer } = pair;
  const hv1 = pair.sims.get('hv1')!;
  const ended = await waitUntil(async () => {
    const incidents = await observer.listIncidents();
    return incidents.length > 0 && incidents.every((i) => ENDED.has(i.state));
  }, 60_000, 500);
  assert.ok(ended, `the incident did not end under ctl-b:\n${b.output()}`);
  assert.equal(hv1.powerState(), 'on', 'hv1 was powered on');

  const [incident] = await observer.listIncidents({ targetId: 'host:hv1' });
  assert.equal(incident?.state, 'resolved');
  const detail = (await observer.getIncident(incident.id))!;
  const lines = detail.events.map((e) => `${e.kind}: ${e.message}`);
  assert.match(lines[0] ?? '', /^opened: /, lines.join('\n'));
  assert.ok(detail.actions.length > 0, 'the timeline has the recovery actions');
  for (const act of detail.actions) {
    assert.notEqual(act.finishedAt, null, `${act.id} ended:\n${lines.join('\n')}`);
    assert.ok([epochA, epochA + 1].includes(act.fencingToken ?? -1), `${act.id} carries a leader's epoch (${act.fencingToken})`);
  }
  // ctl-b finishes the action that was in flight (when the race above was won), and only ok.
  for (const act of detail.actions.filter((x) => x.fencingToken === epochA + 1)) assert.equal(act.outcome, 'ok', `${act.id}:\n${lines.join('\n')}`);
  assert.ok(incident.resolvedAt !== null && incident.resolvedAt >= incident.detectedAt);
  return lines;
}

/** Lease 9 s + rank wait + check interval is 13 s at most; the rest is room for a loaded machine. */
const WALL_BOUND_MS = 25_000;

async function leads(p: ControllerProcess): Promise<boolean> {
  return (await p.health())?.leader === true;
}

test('leader SIGKILLed during a recovery: the standby leads and finishes it, the timeline whole', { timeout: 120_000 }, async (t) => {
  const { pair, a, b, epochA, hv1 } = await recoveryInFlight();

  a.child.kill('SIGKILL');
  const killedAt = Date.now();
  hv1.setBehaviour({ frozen: false });
  assert.ok(await waitUntil(() => leads(b), 30_000, 100), `ctl-b never led:\n${b.output()}`);
  const ledAfterMs = Date.now() - killedAt;
  // The 15 s claim is asserted on the virtual clock (failover.test.ts); on a loaded CI machine two
  // real processes get a wider bound, and the measured time is printed.
  assert.ok(ledAfterMs <= WALL_BOUND_MS, `the standby led ${ledAfterMs} ms after the kill`);
  assert.equal((await b.health())?.epoch, epochA + 1);

  const lines = await assertRecoveredUnder(pair, epochA, b);
  t.diagnostic(`standby led ${ledAfterMs} ms after the SIGKILL; timeline:\n${lines.join('\n')}`);
});

test('leader SIGSTOPped past its lease, then continued: its stale write is refused and it stands by', { timeout: 120_000 }, async (t) => {
  const { pair, a, b, epochA, hv1 } = await recoveryInFlight();
  const { observer } = pair;

  // Paused with its power-on in flight (the ipmitool it started keeps running, and gives up on the frozen BMC).
  a.child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  assert.ok(await waitUntil(() => leads(b), 30_000, 100), `ctl-b never led:\n${b.output()}`);
  const ledAfterMs = Date.now() - stoppedAt;
  assert.ok(ledAfterMs <= WALL_BOUND_MS, `the standby led ${ledAfterMs} ms after the SIGSTOP`);
  assert.equal((await b.health())?.epoch, epochA + 1);
  const holder = await observer.getLease('default');
  assert.equal(holder?.holder, 'ctl-b');
  hv1.setBehaviour({ frozen: false });

  a.child.kill('SIGCONT');
  const aStandsBy = await waitUntil(async () => (await a.health())?.leader === false, 15_000);
  assert.ok(aStandsBy, `the old leader still claims the lead:\n${a.output()}`);
  assert.equal((await a.health())?.holder, 'ctl-b', 'the old leader sees the new holder');
  assert.match(a.output(), /"msg":"leadership lost"/);
  const stale = await waitUntil(() => /stale leader epoch|RRC_ERR_STALE_EPOCH/.test(a.output()), 15_000);
  assert.ok(stale, `ctl-a's log does not show a write refused for its stale epoch:\n${a.output().split('\n').slice(-30).join('\n')}`);
  assert.equal((await observer.getLease('default'))?.holder, 'ctl-b', 'the lease stays with ctl-b');

  await assertRecoveredUnder(pair, epochA, b);
  // ctl-a's only action was in flight when it stopped: any ended one at its epoch would be its stale write landing.
  const endedByA = (await observer.listActions()).filter((act) => act.fencingToken === epochA && act.finishedAt !== null);
  assert.deepEqual(endedByA.map((act) => act.id), [], 'no write of the paused leader landed');
  t.diagnostic(`standby led ${ledAfterMs} ms after the SIGSTOP; ctl-a on waking:\n${a.output().split('\n').filter((l) => /leadership|stale/i.test(l)).join('\n')}`);
});
