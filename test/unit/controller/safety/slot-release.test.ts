/**
 * A concurrency slot is given back when the attempt has really stopped, not when its result is
 * reported: a power cycle that ignores the abort at its rung timeout still counts against
 * `safety.maxConcurrent.powerCycle` until it ends. Through the real executor on a virtual clock,
 * with a fake BMC whose power cycle takes 60 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionResult } from '../../../../src/core/action-result.js';
import type { HostSpec } from '../../../../src/core/types.js';
import { ActionExecutor, type Inventory } from '../../../../src/controller/executor.js';
import { SafetyGate, StormGuard } from '../../../../src/controller/safety/index.js';
import type { Env, PowerDriver } from '../../../../src/env/env.js';
import { sleepUnlessAborted } from '../../../../src/env/abort.js';
import { VirtualClock } from '../../../../src/env/sim/virtual-clock.js';
import { BMC_SAYS_BOOT_FAILED, fakeAction, fakeHost, fakeLog, fakePolicy, fakeView, fakeWitnesses } from './fakes.js';

const CYCLE_MS = 60_000;

function notUsed(what: string): never {
  throw new Error(`${what} is not used by this test`);
}

/** A BMC that says on and whose power cycle takes CYCLE_MS; `honoursAbort: false` ignores the abort. */
function fakeSlowBmc(clock: VirtualClock, honoursAbort: boolean): PowerDriver {
  return {
    status: async () => 'on',
    cycle: (_host, opts) => sleepUnlessAborted(clock, CYCLE_MS, honoursAbort ? opts?.signal : undefined, 'power cycle'),
    on: async () => notUsed('power on'),
    off: async () => notUsed('power off'),
    reset: async () => notUsed('reset'),
    setBootDevice: async () => notUsed('boot device'),
  };
}

function setup(honoursAbort: boolean) {
  const clock = new VirtualClock({ start: 0 });
  const log = fakeLog();
  const policy = fakePolicy({ rungs: { reboot: { timeoutSeconds: 10 } }, safety: { maxConcurrent: { powerCycle: 1 } } });
  const view = fakeView({ hosts: ['hv1', 'hv2', 'hv3'], healthy: ['hv1', 'hv2'], observations: { hv3: BMC_SAYS_BOOT_FAILED } });
  const gate = new SafetyGate({ policy, witnesses: fakeWitnesses(), view, guard: new StormGuard(policy.safety.stormGuard, log), log });
  // No SSH endpoint: the reboot goes straight to the BMC power cycle.
  const hv3: HostSpec = { ...fakeHost('hv3', 3), ssh: undefined };
  const env = {
    name: 'fake',
    clock,
    log,
    power: fakeSlowBmc(clock, honoursAbort),
  } as Partial<Env> as Env;
  const inventory: Inventory = {
    host: (name) => (name === 'hv3' ? hv3 : undefined),
    vm: () => undefined,
    vmsOn: () => [],
    placementCandidates: () => [],
    moveVm: async () => notUsed('moveVm'),
    markHostFenced: async () => notUsed('markHostFenced'),
    hostSilentSince: () => null,
  };
  const executor = new ActionExecutor({ env, policy, inventory, gate, settleGraceMs: 5_000 });
  return { clock, gate, executor };
}

test('an attempt that stops at its abort frees its slot at the abort', async () => {
  const { clock, gate, executor } = setup(true);
  const result = executor.execute(fakeAction('host-reboot'), 'hv3', () => {});
  await clock.advanceBy(1_000);
  assert.equal(gate.limits.inFlight().powerCycle, 1);
  await clock.advanceBy(10_000);
  const r: ActionResult = await result;
  assert.equal(r.outcome, 'failed', 'timed out at the rung timeout');
  assert.equal(gate.limits.inFlight().powerCycle, 0);
});

test('an attempt that ignores the abort keeps its slot after its result, until it has stopped', async () => {
  const { clock, gate, executor } = setup(false);
  let settled = false;
  const result = executor.execute(fakeAction('host-reboot'), 'hv3', () => {}, () => (settled = true));
  await clock.advanceBy(16_000);
  const r = await result;
  assert.equal(r.outcome, 'blocked', 'did not stop within the settle grace: a person checks');
  assert.equal(settled, false);
  assert.equal(gate.limits.inFlight().powerCycle, 1, 'still running: the slot is still taken');
  const second = await executor.execute(fakeAction('host-reboot'), 'hv3', () => {});
  assert.equal(second.outcome, 'held');
  assert.match(second.outcome === 'held' ? second.reason : '', /^limit: 1 power cycles already running/);
  await clock.advanceBy(CYCLE_MS);
  assert.equal(settled, true);
  assert.equal(gate.limits.inFlight().powerCycle, 0, 'given back once the power cycle really ended');
});
