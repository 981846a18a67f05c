/**
 * The store contract. Implementations: Prisma on SQLite (default) or PostgreSQL, and an in-memory
 * store for the bench and unit tests. Per-probe data never comes here: only inventory, target
 * state transitions, incidents with their timelines, actions and the audit log.
 */
import type { SignatureCode } from '../core/signature.js';
import type {
  ActionKind,
  ActionOutcome,
  HostOperationalState,
  HostSpec,
  IncidentState,
  TargetId,
  TargetKind,
  TargetPhase,
  VmSpec,
} from '../core/types.js';

export interface HostRecord extends HostSpec {
  state: HostOperationalState;
  createdAt: number;
  updatedAt: number;
}

export interface VmRecord extends VmSpec {
  createdAt: number;
  updatedAt: number;
}

export type HostPatch = Partial<Omit<HostSpec, 'name'>> & { state?: HostOperationalState };
export type VmPatch = Partial<Omit<VmSpec, 'name'>>;

/** The persisted state machine of one target (a transition, not a probe, writes it). */
export interface TargetStateRecord {
  targetId: TargetId;
  phase: TargetPhase;
  rung: number | null;
  maintenance: boolean;
  /** XState persisted snapshot (JSON). */
  snapshot: unknown;
  updatedAt: number;
}

export interface IncidentRecord {
  /** Deterministic: `<targetId>#<n>`, n counting the target's incidents. */
  id: string;
  targetId: TargetId;
  targetKind: TargetKind;
  targetName: string;
  detectedAt: number;
  signature: SignatureCode;
  signatureSummary: string;
  entryRung: number;
  currentRung: number;
  state: IncidentState;
  resolvedAt: number | null;
  /** From detection to healthy again, in seconds. */
  recoverySeconds: number | null;
  note: string | null;
}

export type IncidentPatch = Partial<Omit<IncidentRecord, 'id' | 'targetId' | 'targetKind' | 'targetName'>>;

export interface IncidentEventRecord {
  incidentId: string;
  at: number;
  /** transition | probe | action-start | action-end | milestone | operator | alert */
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface ActionRecord {
  /** Deterministic: `<incidentId>/r<rung>a<attempt>`, stored before the driver is called. */
  id: string;
  incidentId: string;
  targetId: TargetId;
  rung: number;
  kind: ActionKind;
  attempt: number;
  startedAt: number;
  finishedAt: number | null;
  outcome: ActionOutcome | null;
  error: string | null;
  /** Leader's fencing token when the action was issued (multi-controller, later). */
  fencingToken: number | null;
}

export interface IncidentDetail extends IncidentRecord {
  events: IncidentEventRecord[];
  actions: ActionRecord[];
}

export interface AuditRecord {
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
}

export interface IncidentFilter {
  open?: boolean;
  targetId?: TargetId;
  limit?: number;
}

export interface Store {
  readonly provider: 'sqlite' | 'postgresql' | 'memory';

  listHosts(): Promise<HostRecord[]>;
  getHost(name: string): Promise<HostRecord | null>;
  /** Throws RRC_ERR_CONFLICT on a duplicate name or MAC; nothing is written then. */
  addHost(spec: HostSpec, state?: HostOperationalState): Promise<HostRecord>;
  /** Throws RRC_ERR_NOT_FOUND / RRC_ERR_CONFLICT (MAC taken). */
  updateHost(name: string, patch: HostPatch): Promise<HostRecord>;
  /** Throws RRC_ERR_NOT_FOUND; RRC_ERR_CONFLICT while VMs still live on it. */
  removeHost(name: string): Promise<void>;

  listVms(): Promise<VmRecord[]>;
  getVm(name: string): Promise<VmRecord | null>;
  /** Throws RRC_ERR_CONFLICT on duplicate name or UUID, RRC_ERR_NOT_FOUND for an unknown host. */
  addVm(spec: VmSpec): Promise<VmRecord>;
  updateVm(name: string, patch: VmPatch): Promise<VmRecord>;
  removeVm(name: string): Promise<void>;

  saveTargetState(rec: TargetStateRecord): Promise<void>;
  listTargetStates(): Promise<TargetStateRecord[]>;
  deleteTargetState(targetId: TargetId): Promise<void>;

  createIncident(rec: IncidentRecord): Promise<void>;
  updateIncident(id: string, patch: IncidentPatch): Promise<void>;
  getIncident(id: string): Promise<IncidentDetail | null>;
  /** Newest first. */
  listIncidents(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  addIncidentEvent(ev: IncidentEventRecord): Promise<void>;

  /** Insert or update by id (an action is written before it runs and again when it ends). */
  upsertAction(rec: ActionRecord): Promise<void>;
  listActions(filter?: { incidentId?: string; limit?: number }): Promise<ActionRecord[]>;

  addAudit(rec: AuditRecord): Promise<void>;
  /** Newest first. */
  listAudit(limit?: number): Promise<AuditRecord[]>;

  close(): Promise<void>;
}
