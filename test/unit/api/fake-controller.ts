/**
 * FakeController: the ControllerApi without machines, for API and CLI tests. It writes the store
 * and the audit log like the real one and keeps a TargetStatus per target in memory.
 */
import type { ControllerApi, ControllerHealth, HostPowerOp, TargetStatus } from '../../../src/controller/types.js';
import { classifyHost, classifyVm, type HostObservation, type PowerState, type Signature, type VmObservation } from '../../../src/core/signature.js';
import { RUNGS, targetId, type HostSpec, type RungNumber, type TargetId, type VmSpec } from '../../../src/core/types.js';
import type { BootDevice } from '../../../src/env/env.js';
import { RrcError } from '../../../src/errors.js';
import type { HostRecord, Store, VmRecord } from '../../../src/store/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

export const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);

/** The operator methods over the drivers, which the fake records and can be told to fail. */
export type OperatorMethod = 'hostPower' | 'hostBootDevice' | 'hostFence' | 'hostProbe' | 'vmProbe' | 'vmPower' | 'vmMove';

export interface FakeCall {
  method: OperatorMethod;
  args: unknown[];
}

export class FakeController implements ControllerApi {
  readonly store: Store;
  private readonly statuses = new Map<TargetId, TargetStatus>();
  private incidentCount = 0;
  private readonly failures = new Map<OperatorMethod, Error>();
  clock = T0;
  /** Every operator call, in order, with its arguments (actor included). */
  readonly calls: FakeCall[] = [];
  /** Simulated chassis power per host ('on' when absent). */
  readonly power = new Map<string, PowerState>();
  readonly bootDevice = new Map<string, BootDevice>();
  /** Probe results to report, merged over a healthy observation. */
  readonly hostObservations = new Map<string, Partial<HostObservation>>();
  readonly vmObservations = new Map<string, Partial<VmObservation>>();

  constructor(store?: Store) {
    this.store = store ?? new MemoryStore({ now: () => this.clock });
  }

  async health(): Promise<ControllerHealth> {
    const open = await this.store.listIncidents({ open: true });
    return { startedAt: T0, now: this.clock, env: 'fake', store: this.store.provider, targets: this.statuses.size, openIncidents: open.length, probeCycles: 0, safetyGuard: { on: false, reason: null }, destructiveInFlight: { fence: 0, powerCycle: 0, reinstall: 0 }, storeWriteFailures: 0, storeWritesAbandoned: 0, lastStoreError: null, leader: this.leader, epoch: null, holder: null };
  }
  /** A single controller leads until it steps down. */
  leader = true;
  async stepDown(): Promise<boolean> {
    const was = this.leader;
    this.leader = false;
    return was;
  }
  status(): TargetStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.targetId.localeCompare(b.targetId));
  }
  targetStatus(id: TargetId): TargetStatus | null {
    return this.statuses.get(id) ?? null;
  }

  async addHost(spec: HostSpec, actor: string): Promise<HostRecord> {
    const rec = await this.store.addHost(spec);
    this.track(targetId('host', spec.name), 'host', spec.name);
    await this.audit(actor, 'host.add', `host:${spec.name}`, { macs: spec.macs });
    return rec;
  }
  async removeHost(name: string, actor: string): Promise<void> {
    await this.store.removeHost(name);
    this.statuses.delete(targetId('host', name));
    await this.audit(actor, 'host.remove', `host:${name}`);
  }
  async addVm(spec: VmSpec, actor: string): Promise<VmRecord> {
    const rec = await this.store.addVm(spec);
    this.track(targetId('vm', spec.name), 'vm', spec.name);
    await this.audit(actor, 'vm.add', `vm:${spec.name}`);
    return rec;
  }
  async removeVm(name: string, actor: string): Promise<void> {
    await this.store.removeVm(name);
    this.statuses.delete(targetId('vm', name));
    await this.audit(actor, 'vm.remove', `vm:${name}`);
  }

  async setMaintenance(id: TargetId, on: boolean, actor: string): Promise<TargetStatus> {
    const s = this.must(id);
    Object.assign(s, { maintenance: on, phase: on ? 'maintenance' : 'healthy', since: this.clock });
    await this.audit(actor, on ? 'maintenance.on' : 'maintenance.off', id);
    return { ...s };
  }
  async release(id: TargetId, actor: string): Promise<TargetStatus> {
    const s = this.must(id);
    if (s.phase !== 'quarantined' && s.phase !== 'awaiting-operator') {
      throw new RrcError('RRC_ERR_INVALID_STATE', `${id} is ${s.phase}, not quarantined`);
    }
    Object.assign(s, { phase: 'healthy', rung: null, rungName: null, incidentId: null, reason: null, since: this.clock });
    await this.audit(actor, 'release', id);
    return { ...s };
  }
  async triggerRung(id: TargetId, rung: RungNumber, actor: string): Promise<TargetStatus> {
    const s = this.must(id);
    if (!s.incidentId) {
      const incidentId = `${id}#${++this.incidentCount}`;
      await this.store.createIncident({
        id: incidentId, targetId: id, targetKind: s.kind, targetName: s.name, detectedAt: this.clock,
        signature: 'ok', signatureSummary: 'operator request', entryRung: rung, currentRung: rung,
        state: 'recovering', resolvedAt: null, recoverySeconds: null, note: `rung ${rung} by ${actor}`,
      });
      await this.store.addIncidentEvent({ incidentId, at: this.clock, kind: 'operator', message: `rung ${RUNGS[rung]} requested` });
      await this.store.upsertAction({
        id: `${incidentId}/r${rung}a1`, incidentId, targetId: id, rung, kind: 'vm-reboot', attempt: 1,
        startedAt: this.clock, finishedAt: null, outcome: null, error: null, fencingToken: null,
      });
      s.incidentId = incidentId;
    }
    Object.assign(s, { phase: 'recovering', rung, rungName: RUNGS[rung], since: this.clock });
    await this.audit(actor, 'rung', id, { rung });
    return { ...s };
  }
  async confirmHostOff(hostName: string, actor: string): Promise<TargetStatus> {
    const s = this.must(targetId('host', hostName));
    s.reason = null;
    await this.audit(actor, 'host.confirm-off', `host:${hostName}`);
    return { ...s };
  }

  async hostPower(name: string, op: HostPowerOp, actor: string): Promise<{ host: string; power: PowerState }> {
    this.record('hostPower', name, op, actor);
    await this.mustHost(name);
    if (op !== 'status') {
      this.power.set(name, op === 'off' ? 'off' : 'on');
      await this.audit(actor, `host.power.${op}`, `host:${name}`);
    }
    return { host: name, power: this.powerOf(name) };
  }
  async hostBootDevice(name: string, device: BootDevice, actor: string): Promise<{ host: string; device: BootDevice }> {
    this.record('hostBootDevice', name, device, actor);
    await this.mustHost(name);
    this.bootDevice.set(name, device);
    await this.audit(actor, 'host.bootdev', `host:${name}`, { device });
    return { host: name, device };
  }
  async hostFence(name: string, actor: string): Promise<{ host: string; confirmedAt: number; offAttempts: number }> {
    this.record('hostFence', name, actor);
    await this.mustHost(name);
    await this.audit(actor, 'host.fence', `host:${name}`);
    this.power.set(name, 'off');
    await this.store.updateHost(name, { state: 'fenced' });
    return { host: name, confirmedAt: this.clock, offAttempts: 1 };
  }
  async hostProbe(name: string): Promise<{ host: string; observation: HostObservation; signature: Signature }> {
    this.record('hostProbe', name);
    await this.mustHost(name);
    const up = this.powerOf(name) === 'on';
    const observation: HostObservation = {
      bmcReachable: true, power: this.powerOf(name), reachable: up, shellOk: null, hypervisorOk: up,
      ...this.hostObservations.get(name),
    };
    return { host: name, observation, signature: classifyHost(observation) };
  }
  async vmProbe(name: string): Promise<{ vm: string; host: string; observation: VmObservation; signature: Signature }> {
    this.record('vmProbe', name);
    const vm = await this.mustVm(name);
    const observation: VmObservation = {
      hostDown: false, hypervisorOk: true, domain: 'running', guestReachable: true, serviceOk: vm.serviceCheck ? true : null,
      ...this.vmObservations.get(name),
    };
    return { vm: name, host: vm.currentHost, observation, signature: classifyVm(observation) };
  }
  async vmPower(name: string, op: 'reboot' | 'restart', actor: string): Promise<{ vm: string; host: string }> {
    this.record('vmPower', name, op, actor);
    const vm = await this.mustVm(name);
    await this.audit(actor, `vm.${op}`, `vm:${name}`, { host: vm.currentHost });
    return { vm: name, host: vm.currentHost };
  }
  async vmMove(name: string, toHost: string, actor: string): Promise<VmRecord> {
    this.record('vmMove', name, toHost, actor);
    const vm = await this.mustVm(name);
    await this.mustHost(toHost);
    await this.audit(actor, 'vm.move', `vm:${name}`, { from: vm.currentHost, to: toHost });
    return this.store.updateVm(name, { currentHost: toHost });
  }

  /** Test hook: the next call of `method` is recorded, then throws `error` (e.g. an RrcError). */
  failNext(method: OperatorMethod, error: Error): void {
    this.failures.set(method, error);
  }

  /** Test hook: put a target in a phase (e.g. quarantined) without running a machine. */
  setPhase(id: TargetId, phase: TargetStatus['phase'], reason: string | null = null): void {
    Object.assign(this.must(id), { phase, reason, since: this.clock });
  }

  private track(id: TargetId, kind: 'host' | 'vm', name: string): void {
    this.statuses.set(id, {
      targetId: id, kind, name, phase: 'healthy', rung: null, rungName: null, incidentId: null,
      signature: null, maintenance: false, penalty: 0, since: this.clock, reason: null,
    });
  }
  private record(method: OperatorMethod, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failures.get(method);
    if (err) {
      this.failures.delete(method);
      throw err;
    }
  }
  private powerOf(name: string): PowerState {
    return this.power.get(name) ?? 'on';
  }
  private async mustHost(name: string): Promise<HostRecord> {
    const h = await this.store.getHost(name);
    if (!h) throw new RrcError('RRC_ERR_NOT_FOUND', `host "${name}"`);
    return h;
  }
  private async mustVm(name: string): Promise<VmRecord> {
    const v = await this.store.getVm(name);
    if (!v) throw new RrcError('RRC_ERR_NOT_FOUND', `vm "${name}"`);
    return v;
  }
  private must(id: TargetId): TargetStatus {
    const s = this.statuses.get(id);
    if (!s) throw new RrcError('RRC_ERR_NOT_FOUND', id);
    return s;
  }
  private async audit(actor: string, action: string, target: string | null, details: Record<string, unknown> | null = null) {
    await this.store.addAudit({ at: this.clock, actor, action, target, details });
  }
}

/** Specs used across the API and CLI tests. */
export const hostSpec = (name: string, mac: string, role: 'primary' | 'spare' = 'primary'): HostSpec => ({
  name, role, macs: [mac], ip: '10.0.0.1', hypervisorUri: `qemu+ssh://root@${name}/system`,
  capacity: { cores: 16, ramGb: 128, diskTb: 2 },
});
export const vmSpec = (name: string, host: string, uuid: string): VmSpec => ({
  name, uuid, homeHost: host, currentHost: host, priority: 0, resources: { cores: 2, ramGb: 4, diskGb: 40 },
});
