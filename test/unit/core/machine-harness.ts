/** A small driver for one recovery machine in tests: probes, action results and time by hand. */
import { createActor } from 'xstate';
import { ACTION_OK, type ActionResult } from '../../../src/core/action-result.js';
import { DEFAULT_POLICY, resolvePolicy, type DeepPartial, type Policy } from '../../../src/core/policy.js';
import { createRecoveryMachine, type RecoveryEmitted } from '../../../src/core/recovery-machine.js';
import type { SignatureCode } from '../../../src/core/signature.js';
import type { RungNumber, TargetKind } from '../../../src/core/types.js';

interface ProbeOpts {
  hasVms?: boolean;
  vmDisksShared?: boolean;
  canRestartService?: boolean;
  every?: number;
}

export function machineHarness(kind: TargetKind = 'host', policyPatch: DeepPartial<Policy> = {}) {
  const policy = resolvePolicy(policyPatch);
  const actor = createActor(createRecoveryMachine(policy), { input: { targetId: `${kind}:t1`, kind, at: 0 } });
  const emitted: RecoveryEmitted[] = [];
  actor.on('*', (e) => emitted.push(e as RecoveryEmitted));
  actor.start();
  let now = 0;
  const h = {
    policy,
    actor,
    emitted,
    get now() {
      return now;
    },
    advance(seconds: number) {
      now += seconds * 1000;
    },
    get state() {
      return actor.getSnapshot().value;
    },
    get ctx() {
      return actor.getSnapshot().context;
    },
    probe(code: SignatureCode, opts: ProbeOpts = {}) {
      now += (opts.every ?? 5) * 1000;
      actor.send({
        type: 'PROBE',
        at: now,
        signature: { code, healthy: code === 'ok', summary: code },
        hasVms: opts.hasVms,
        canRestartService: opts.canRestartService,
        ...(opts.vmDisksShared !== undefined ? { vmDisksShared: opts.vmDisksShared } : {}),
      });
      return h;
    },
    probes(n: number, code: SignatureCode, opts: ProbeOpts = {}) {
      for (let i = 0; i < n; i++) h.probe(code, opts);
      return h;
    },
    /** Answer the pending action. */
    done(result: ActionResult | 'ok' = 'ok') {
      const action = actor.getSnapshot().context.pendingAction;
      if (!action) throw new Error(`no pending action in state ${JSON.stringify(h.state)}`);
      actor.send({ type: 'ACTION_DONE', at: now, actionId: action.id, result: result === 'ok' ? ACTION_OK : result });
      return h;
    },
    tick(seconds: number) {
      now += seconds * 1000;
      actor.send({ type: 'TICK', at: now });
      return h;
    },
    send(event: { type: 'MAINTENANCE'; on: boolean } | { type: 'RELEASE' } | { type: 'TRIGGER_RUNG'; rung: RungNumber } | { type: 'CONFIRM_OFF' }) {
      actor.send({ ...event, at: now } as never);
      return h;
    },
    requested() {
      return emitted.filter((e) => e.type === 'action.requested').map((e) => (e.type === 'action.requested' ? e.action : null)!);
    },
  };
  return h;
}

export { DEFAULT_POLICY };
