/**
 * A timed-out attempt is aborted and settled before anything else (issue 9). On the virtual clock:
 * an attempt that stops when aborted is reported failed only once it has stopped; one that
 * ignores the abort past the settle grace is `blocked` (a person checks), never retried beside it;
 * and a fence-migrate slower than its rung timeout in the simulated rack starts each VM once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_OK, actionFailed, type ActionResult } from '../../../src/core/index.js';
import { runWithDeadline } from '../../../src/controller/action-deadline.js';
import { sleepUnlessAborted } from '../../../src/env/abort.js';
import { applyFaultLine } from '../../../src/env/sim/index.js';
import { VirtualClock } from '../../../src/env/sim/virtual-clock.js';
import { errorText } from '../../../src/errors.js';
import { buildSimRack, labHosts, labVms, silentLogger } from '../../../src/sim-rack/index.js';

const T0 = Date.UTC(2026, 0, 1);
const lines: string[] = [];
const timeline = (_kind: string, message: string) => void lines.push(message);

/** An attempt that works for `ms` (aborted: it stops at once, or after `stopMs` if given). */
function attempt(clock: VirtualClock, signal: AbortSignal, ms: number, ignoreAbort = false): Promise<ActionResult> {
  const work = ignoreAbort ? sleepUnlessAborted(clock, ms, undefined) : sleepUnlessAborted(clock, ms, signal, 'step');
  return work.then(() => ACTION_OK, (e: unknown) => actionFailed(errorText(e)));
}

test('an attempt within its timeout keeps its own result', async () => {
  const clock = new VirtualClock({ start: T0 });
  const abort = new AbortController();
  const result = runWithDeadline(clock, attempt(clock, abort.signal, 5_000), abort, { timeoutMs: 10_000, settleGraceMs: 30_000, what: 'reboot on hv1', timeline });
  await clock.advanceBy(6_000);
  assert.deepEqual(await result, ACTION_OK);
  assert.equal(abort.signal.aborted, false);
});

test('at the timeout the attempt is aborted, and reported only once it has stopped', async () => {
  const clock = new VirtualClock({ start: T0 });
  const abort = new AbortController();
  let settledAt = 0;
  const run = attempt(clock, abort.signal, 60_000).then((r) => ((settledAt = clock.now()), r));
  const result = runWithDeadline(clock, run, abort, { timeoutMs: 10_000, settleGraceMs: 30_000, what: 'fence-migrate on hv2', timeline });
  await clock.advanceBy(11_000);
  const r = await result;
  assert.equal(abort.signal.aborted, true);
  assert.equal(r.outcome, 'failed');
  assert.match(r.outcome === 'failed' ? r.error : '', /timed out after 10 s, aborted and stopped: RRC_ERR_ABORTED: .*fence-migrate on hv2 exceeded its rung timeout of 10 s/);
  assert.equal(settledAt - T0, 10_000, 'stopped at the abort, not at the end of its work');
});

test('an attempt that does not stop within the settle grace is blocked, for a person, not retried', async () => {
  const clock = new VirtualClock({ start: T0 });
  const abort = new AbortController();
  let settled = false;
  const run = attempt(clock, abort.signal, 120_000, true).then((r) => ((settled = true), r));
  const result = runWithDeadline(clock, run, abort, { timeoutMs: 10_000, settleGraceMs: 30_000, what: 'reinstall on hv3', timeline });
  await clock.advanceBy(41_000);
  const r = await result;
  assert.equal(r.outcome, 'blocked');
  assert.match(r.outcome === 'blocked' ? r.reason : '', /did not stop within 30 s of being aborted .* a person must check/);
  assert.equal(settled, false, 'the attempt is still running: whoever locks the target keeps it locked');
});

test('a fence-migrate slower than its rung timeout starts each VM once (the retry waits for the aborted attempt)', async () => {
  const starts = new Map<string, number>();
  const rack = await buildSimRack({
    hosts: labHosts(),
    vms: labVms(),
    log: silentLogger,
    policy: { rungs: { 'fence-migrate': { timeoutSeconds: 10, maxAttempts: 2 } } },
    wrapEnv: (env) => ({
      ...env,
      hypervisor: {
        ...env.hypervisor,
        defineAndStart: (host, vm, opts) => {
          starts.set(vm.name, (starts.get(vm.name) ?? 0) + 1);
          return env.hypervisor.defineAndStart(host, vm, opts);
        },
      },
    }),
  });
  await rack.start();
  try {
    await rack.runFor(30);
    applyFaultLine(rack.world, 'host hv2 bmc-hung');
    applyFaultLine(rack.world, 'host hv2 hang');
    await rack.runFor(25);
    applyFaultLine(rack.world, 'host hv2 bmc-ok');
    await rack.runFor(200);
    const fenceResults = rack.events.filter((e) => e.type === 'action-done' && e.action.kind === 'fence-migrate').map((e) => (e.type === 'action-done' ? e.result.outcome : ''));
    assert.deepEqual(fenceResults, ['failed', 'ok'], 'the first attempt timed out (aborted), the retry fenced');
    assert.deepEqual(Object.fromEntries(starts), { ce1: 1, ui1: 1 });
    assert.deepEqual(rack.world.runningCopies('ce1'), ['spare1']);
    assert.deepEqual(rack.world.runningCopies('ui1'), ['spare1']);
  } finally {
    await rack.stop();
  }
});
