/**
 * Small hand-made fakes for the safety gate's unit tests: hosts, observations, a view of the
 * controller's state, peer witnesses with scripted answers, and a logger that keeps warnings.
 */
import type { PendingAction } from '../../../../src/core/context.js';
import { resolvePolicy, type DeepPartial, type Policy } from '../../../../src/core/policy.js';
import type { HostObservation } from '../../../../src/core/signature.js';
import type { ActionKind, HostSpec } from '../../../../src/core/types.js';
import type { Logger, PeerReachReport, SelfCheck, Witnesses } from '../../../../src/env/env.js';
import type { SafetyView } from '../../../../src/controller/safety/index.js';

export function fakeHost(name: string, n = 1): HostSpec {
  return {
    name,
    role: 'primary',
    macs: [`52:54:00:00:01:${String(n).padStart(2, '0')}`],
    ip: `198.18.0.${10 + n}`,
    bmc: { address: `198.18.1.${10 + n}`, port: 623, user: 'admin', secretRef: 'bmc' },
    hypervisorUri: `qemu+ssh://root@198.18.0.${10 + n}/system`,
    ssh: { host: `198.18.0.${10 + n}`, port: 22, user: 'root' },
    capacity: { cores: 32, ramGb: 128, diskTb: 4 },
  };
}

/** What the probes last saw of a host the controller cannot reach, its BMC saying power on. */
export const SILENT_POWERED_ON: HostObservation = { bmcReachable: true, power: 'on', reachable: false, shellOk: null, hypervisorOk: false };
export const BMC_SAYS_OFF: HostObservation = { ...SILENT_POWERED_ON, power: 'off', bootProgress: 'off' };
export const BMC_SAYS_BOOT_FAILED: HostObservation = { ...SILENT_POWERED_ON, bootProgress: 'boot-failed' };
export const HEALTHY: HostObservation = { bmcReachable: true, power: 'on', reachable: true, shellOk: true, hypervisorOk: true };

let seq = 0;
export function fakeAction(kind: ActionKind, extra: Partial<PendingAction> = {}): PendingAction {
  seq++;
  return { id: `host:t#1/${seq}-r1`, incidentId: 'host:t#1', rung: 1, kind, attempt: 1, issuedAt: 0, operatorConfirmedOff: false, ...extra };
}

export function fakePolicy(patch: DeepPartial<Policy> = {}): Policy {
  return resolvePolicy(patch);
}

/**
 * The controller's state as the gate reads it: `hosts` in any order (listed sorted), which of them
 * are healthy, their last observations, and where each VM is recorded.
 */
export function fakeView(opts: {
  hosts: string[];
  healthy?: string[];
  observations?: Record<string, HostObservation>;
  vmHosts?: Record<string, string>;
}): SafetyView & { observations: Record<string, HostObservation> } {
  const specs = new Map(opts.hosts.map((name, i) => [name, fakeHost(name, i + 1)]));
  const healthy = new Set(opts.healthy ?? []);
  const observations = { ...opts.observations };
  return {
    observations,
    host: (name) => specs.get(name),
    vmHost: (vm) => opts.vmHosts?.[vm],
    hostHealthy: (name) => healthy.has(name),
    lastObservation: (name) => observations[name] ?? (healthy.has(name) ? HEALTHY : null),
    hostNames: () => [...specs.keys()].sort(),
  };
}

/** A peer's scripted answer about any target. */
export type PeerAnswer = 'reaches' | 'cannot-reach' | 'not-asked';

/**
 * Peer witnesses with scripted answers (peer name -> answer; `default` for the rest); records who
 * was asked about whom. `failWith` makes every question throw.
 */
export function fakeWitnesses(answers: Record<string, PeerAnswer> & { default?: PeerAnswer } = {}, failWith?: string) {
  const asked: Array<{ target: string; peers: string[] }> = [];
  let selfCheck: SelfCheck = { ok: true, failed: [] };
  const witnesses: Witnesses & { asked: typeof asked; setSelfCheck(s: SelfCheck): void } = {
    asked,
    setSelfCheck: (s) => void (selfCheck = s),
    peersReach: async (target, peers) => {
      asked.push({ target: target.name, peers: peers.map((p) => p.name) });
      if (failWith) throw new Error(failWith);
      return peers.map((p): PeerReachReport => {
        const answer = answers[p.name] ?? answers.default ?? 'cannot-reach';
        if (answer === 'not-asked') return { peer: p.name, asked: false, reached: false, detail: 'ssh to peer failed' };
        return { peer: p.name, asked: true, reached: answer === 'reaches', detail: answer };
      });
    },
    selfCheck: async () => selfCheck,
  };
  return witnesses;
}

export interface LoggedWarning {
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps its warnings (the gate and the guard alert at warn). */
export function fakeLog(): Logger & { warnings: LoggedWarning[] } {
  const warnings: LoggedWarning[] = [];
  const log: Logger & { warnings: LoggedWarning[] } = {
    warnings,
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (obj, msg) => void warnings.push({ obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    child: () => log,
  };
  return log;
}
