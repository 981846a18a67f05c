/**
 * The machine refers to guards and actions by name only, and the transitions several states share
 * are the same objects (written once), so their guard order cannot drift between copies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import { recoveryActions } from '../../../src/core/machine/actions.js';
import { recoveryGuards } from '../../../src/core/machine/guards.js';
import { createRecoveryMachine } from '../../../src/core/machine/recovery-machine.js';
import {
  DEADLINE_ON_PROBE,
  DEADLINE_ON_TICK,
  FAIL_AFTER_BAD_PROBES,
  OPERATOR_TRIGGER,
  OPERATOR_TRIGGER_IN_INCIDENT,
} from '../../../src/core/machine/transitions.js';
import { RUNG } from '../../../src/core/rungs.js';
import { machineHarness } from './machine-harness.js';

// The config is walked as plain data: its precise XState types do not help here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const config = createRecoveryMachine(DEFAULT_POLICY).config as Json;
const guardNames = new Set(Object.keys(recoveryGuards(DEFAULT_POLICY)));
const actionNames = new Set(Object.keys(recoveryActions(DEFAULT_POLICY)));

/** Every transition of the config with the path of the state and event it belongs to. */
function transitions(node: Json, path: string): Array<{ where: string; t: Json }> {
  const out: Array<{ where: string; t: Json }> = [];
  const add = (where: string, value: unknown) => {
    for (const t of [value].flat()) out.push({ where, t: typeof t === 'string' ? { target: t } : (t as Json) });
  };
  for (const [event, value] of Object.entries(node.on ?? {})) add(`${path} ${event}`, value);
  if (node.always) add(`${path} always`, node.always);
  for (const [name, child] of Object.entries(node.states ?? {})) out.push(...transitions(child as Json, `${path}.${name}`));
  return out;
}

/** Names used by a guard: a name, or and()/not() of names. Null when it is an inline function. */
function guardRefs(guard: unknown): string[] | null {
  if (typeof guard === 'string') return [guard];
  const inner = (guard as { guards?: unknown[] }).guards;
  if (!Array.isArray(inner)) return null;
  const names = inner.map(guardRefs);
  return names.some((n) => n === null) ? null : names.flat() as string[];
}

describe('the machine config', () => {
  const all = transitions(config, 'recovery');

  test('refers to defined guards by name only', () => {
    const guarded = all.filter(({ t }) => t.guard !== undefined);
    assert.ok(guarded.length > 30);
    for (const { where, t } of guarded) {
      const names = guardRefs(t.guard);
      assert.ok(names, `${where}: inline guard`);
      for (const n of names) assert.ok(guardNames.has(n), `${where}: unknown guard ${n}`);
    }
  });

  test('refers to defined actions by name only', () => {
    for (const { where, t } of all) {
      for (const a of [t.actions ?? []].flat()) {
        const name = typeof a === 'string' ? a : (a as Json).type;
        assert.equal(typeof name, 'string', `${where}: inline action`);
        assert.ok(actionNames.has(name), `${where}: unknown action ${name}`);
      }
    }
  });

  test('shares the bad-probe escalation, the operator trigger and the deadline escalation', () => {
    const s = config.states;
    for (const state of ['healthy', 'suspect']) {
      assert.deepEqual(s[state].on.PROBE.slice(0, FAIL_AFTER_BAD_PROBES.length).map((t: Json, i: number) => t === FAIL_AFTER_BAD_PROBES[i]), [true, true, true], state);
    }
    for (const state of ['healthy', 'suspect', 'blocked', 'quarantined']) assert.equal(s[state].on.TRIGGER_RUNG, OPERATOR_TRIGGER, state);
    assert.equal(s.awaitingOperator.on.TRIGGER_RUNG, OPERATOR_TRIGGER_IN_INCIDENT);
    const verifying = s.recovering.states.verifying.on;
    assert.equal(verifying.TRIGGER_RUNG, OPERATOR_TRIGGER_IN_INCIDENT);
    assert.equal(verifying.TICK, DEADLINE_ON_TICK);
    assert.ok(DEADLINE_ON_PROBE.every((t) => verifying.PROBE.includes(t)));
    // Probe and tick climb the same way: same guards, same targets, the probe only counted first.
    assert.deepEqual(DEADLINE_ON_PROBE.map((t) => [guardRefs(t.guard), t.target]), DEADLINE_ON_TICK.map((t) => [guardRefs(t.guard), t.target]));
    DEADLINE_ON_PROBE.forEach((t, i) => assert.deepEqual(t.actions, ['countProbe', ...DEADLINE_ON_TICK[i]!.actions]));
  });
});

describe('the shared transitions behave alike wherever they are spread', () => {
  const operatorReason = 'rung triggered by an operator';
  const lastRequest = (h: ReturnType<typeof machineHarness>) => h.emitted.filter((e) => e.type === 'action.requested').at(-1);

  test('an operator rung from every state that takes one runs that rung, opening an incident only if none is open', () => {
    const from: Record<string, (h: ReturnType<typeof machineHarness>) => void> = {
      healthy: () => {},
      suspect: (h) => h.probe('vm-crashed'),
      blocked: (h) => h.probes(3, 'vm-host-down'),
      verifying: (h) => h.probes(3, 'vm-crashed').done(),
      awaitingOperator: (h) => h.probes(3, 'vm-crashed').done({ outcome: 'blocked', reason: 'no fence' }),
    };
    for (const [state, reach] of Object.entries(from)) {
      const h = machineHarness('vm', { evacuateFirst: false });
      reach(h);
      assert.equal(JSON.stringify(h.state).includes(state), true, `reached ${state}: ${JSON.stringify(h.state)}`);
      const openBefore = h.ctx.incidentId;
      const opened = h.emitted.filter((e) => e.type === 'incident.opened').length;
      h.send({ type: 'TRIGGER_RUNG', rung: RUNG.restartVm });
      assert.deepEqual(h.state, { recovering: 'acting' }, state);
      const req = lastRequest(h);
      assert.ok(req?.type === 'action.requested' && req.reason === operatorReason && req.action.rung === RUNG.restartVm, state);
      assert.equal(h.emitted.filter((e) => e.type === 'incident.opened').length, opened + (openBefore === null ? 1 : 0), state);
    }
  });

  test('a rung deadline met by a probe or by a tick escalates the same way', () => {
    const viaProbe = machineHarness('host', { evacuateFirst: false });
    const viaTick = machineHarness('host', { evacuateFirst: false });
    for (const h of [viaProbe, viaTick]) h.probes(3, 'host-unreachable').done();
    viaProbe.advance(DEFAULT_POLICY.rungs.reboot.timeoutSeconds);
    viaProbe.probe('host-unreachable', { every: 0 });
    viaTick.tick(DEFAULT_POLICY.rungs.reboot.timeoutSeconds);
    for (const h of [viaProbe, viaTick]) {
      assert.deepEqual(h.state, { recovering: 'acting' });
      assert.equal(h.ctx.rung, RUNG.restartHypervisor);
    }
    assert.equal(lastRequest(viaProbe)?.type === 'action.requested' && lastRequest(viaProbe)?.reason, 'previous rung did not bring the target back');
    assert.deepEqual(lastRequest(viaProbe), lastRequest(viaTick));
  });
});
