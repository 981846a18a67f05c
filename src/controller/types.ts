/**
 * What the controller offers to the API and the CLI. The API never reaches into the machines:
 * it calls these methods, which validate, write the store and the audit log, and wake the target.
 */
import type { HostObservation, PowerState, Signature, SignatureCode, VmObservation } from '../core/signature.js';
import type { BootDevice } from '../env/env.js';
import type { HostSpec, RungNumber, TargetId, TargetKind, TargetPhase, VmSpec } from '../core/types.js';
import type { HostRecord, Store, VmRecord } from '../store/types.js';

export interface TargetStatus {
  targetId: TargetId;
  kind: TargetKind;
  name: string;
  phase: TargetPhase;
  /** Current rung number while recovering, else null. */
  rung: number | null;
  rungName: string | null;
  incidentId: string | null;
  signature: SignatureCode | null;
  maintenance: boolean;
  /** Flap-damping penalty, decayed to now. */
  penalty: number;
  /** Epoch ms of the last phase change. */
  since: number;
  /** Why the target waits for a person, when it does. */
  reason: string | null;
}

export interface ControllerHealth {
  startedAt: number;
  now: number;
  env: string;
  store: string;
  targets: number;
  openIncidents: number;
  probeCycles: number;
  /** Do no harm: whether destructive actions are held right now (self-check or storm guard) and why. */
  safetyGuard: { on: boolean; reason: string | null };
  /** Destructive actions running now, per concurrency limit (policy.safety.maxConcurrent). */
  destructiveInFlight: { fence: number; powerCycle: number; reinstall: number };
  /** Store writes of the targets' write chains that failed (each try counts; store-writes.ts). */
  storeWriteFailures: number;
  /** Writes given up after their last retry. */
  storeWritesAbandoned: number;
  lastStoreError: { what: string; target: string; error: string; at: number } | null;
  /** Several controllers on one database: whether this one leads, the lease epoch and holder (null: none known). */
  leader: boolean;
  epoch: number | null;
  holder: string | null;
}

export interface ControllerApi {
  readonly store: Store;
  health(): Promise<ControllerHealth>;
  status(): TargetStatus[];
  targetStatus(id: TargetId): TargetStatus | null;
  /** The leader releases its lease for a standby (maintenance); false when this controller does not lead. */
  stepDown(actor: string): Promise<boolean>;

  addHost(spec: HostSpec, actor: string): Promise<HostRecord>;
  removeHost(name: string, actor: string): Promise<void>;
  addVm(spec: VmSpec, actor: string): Promise<VmRecord>;
  removeVm(name: string, actor: string): Promise<void>;

  /** Maintenance: the target is still probed but no automatic action is taken. */
  setMaintenance(id: TargetId, on: boolean, actor: string): Promise<TargetStatus>;
  /** Release a quarantined (or operator-awaiting) target back to probing from healthy. */
  release(id: TargetId, actor: string): Promise<TargetStatus>;
  /** Run one rung by hand now (opens an incident if none is open). */
  triggerRung(id: TargetId, rung: RungNumber, actor: string): Promise<TargetStatus>;
  /** A person confirms a host is powered off (when its BMC cannot), so its VMs may move. */
  confirmHostOff(hostName: string, actor: string): Promise<TargetStatus>;

  // Operator commands over the drivers: the same code paths the ladder uses, audited.
  hostPower(name: string, op: HostPowerOp, actor: string): Promise<{ host: string; power: PowerState }>;
  hostBootDevice(name: string, device: BootDevice, actor: string): Promise<{ host: string; device: BootDevice }>;
  /** Power off and confirm by reading back; throws RRC_ERR_FENCE_UNCONFIRMED with the reason. */
  hostFence(name: string, actor: string): Promise<{ host: string; confirmedAt: number; offAttempts: number }>;
  hostProbe(name: string): Promise<{ host: string; observation: HostObservation; signature: Signature }>;
  vmProbe(name: string): Promise<{ vm: string; host: string; observation: VmObservation; signature: Signature }>;
  vmPower(name: string, op: 'reboot' | 'restart', actor: string): Promise<{ vm: string; host: string }>;
  /** Stops the VM where it is (confirmed), then starts it on `toHost`. */
  vmMove(name: string, toHost: string, actor: string): Promise<VmRecord>;
}

export type HostPowerOp = 'status' | 'on' | 'off' | 'cycle';
