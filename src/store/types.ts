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
  HostWatchdog,
  IncidentState,
  TargetId,
  TargetKind,
  TargetPhase,
  VmSpec,
} from '../core/types.js';

export interface HostRecord extends HostSpec {
  state: HostOperationalState;
  /**
   * While the host is silent: the clock time of the last probe that reached it (the self-fence
   * wait counts from it, across controller restarts); null while it answers or when never seen.
   * Written once when a silence starts and cleared once when it ends, never per probe.
   */
  lastContactAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface VmRecord extends VmSpec {
  createdAt: number;
  updatedAt: number;
}

/** `watchdog: null` clears the declaration (a reinstalled host that runs none). */
export type HostPatch = Partial<Omit<HostSpec, 'name' | 'watchdog'>> & { state?: HostOperationalState; watchdog?: HostWatchdog | null };
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

/** How an audited request ended: done, refused before anything changed, or failed while acting. */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditRecord {
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  /** Absent on the entries the controller writes before it acts; the API's entries always carry it. */
  outcome?: AuditOutcome;
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  outcome?: AuditOutcome;
  limit?: number;
}

/** API roles, weakest first: each may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An API bearer token as stored: never the token itself, only its SHA-256 (hex). */
export interface ApiTokenRecord {
  name: string;
  role: Role;
  hash: string;
  createdAt: number;
  createdBy: string;
}

export interface ActionFilter {
  incidentId?: string;
  unfinished?: boolean;
  limit?: number;
}

export interface IncidentFilter {
  open?: boolean;
  targetId?: TargetId;
  limit?: number;
}

/** The leader lease of the controllers sharing one database (src/controller/leadership.ts). */
export interface LeaseRecord {
  /** The cluster: one lease per name. */
  name: string;
  holder: string;
  /** The fencing token: grows by one at each change of holder, never goes back. */
  epoch: number;
  expiresAt: number;
  rank: number;
}

export interface LeaseRequest {
  name: string;
  holder: string;
  rank: number;
  now: number;
  ttlMs: number;
}

/**
 * Carried by a write that only the leader may make: the store refuses it with
 * RRC_ERR_STALE_EPOCH when the lease `name` has moved on to a higher epoch.
 */
export interface WriteFence {
  name: string;
  epoch: number;
}

/** Host-on-demand request states (src/on-demand/lifecycle.ts holds the allowed transitions). */
export const REQUEST_STATES = ['queued', 'placing', 'provisioning', 'ready', 'expiring', 'erased', 'released', 'failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
/** States a request no longer leaves. */
export const CLOSED_REQUEST_STATES: readonly RequestState[] = ['erased', 'released', 'failed'];

/** A host-on-demand request: what was asked, where it runs, its expiry and the steps already done. */
export interface RequestRecord {
  /** `r-` and 8 hex digits. */
  id: string;
  owner: string;
  state: RequestState;
  kind: 'vm' | 'physical';
  cores: number;
  ramGb: number;
  diskGb: number;
  os: string;
  middleware: string[];
  sshKeys: string[];
  /** The time asked for (--for), counted from the placement. */
  durationMs: number;
  /** Wait in the queue when there is no room, instead of being refused. */
  queue: boolean;
  /** Where it was placed (the lent VM's home; it may move with a recovery: the inventory says where it runs). */
  host: string | null;
  vmName: string | null;
  vmUuid: string | null;
  overlayPath: string | null;
  seedPath: string | null;
  address: string | null;
  createdAt: number;
  placedAt: number | null;
  readyAt: number | null;
  expiresAt: number | null;
  endedAt: number | null;
  /** Warning offsets (ms before the end) already given for the current expiry. */
  warned: number[];
  /** Steps done (provisioning: overlay, seed, domain, inventory; ending: maintenance, domain-removed, ...). */
  steps: string[];
  /** Why it ends or ended: expired | released | failed (set when the ending starts). */
  endReason: 'expired' | 'released' | 'failed' | null;
  /** How the overlay was erased: overwrite | discard | absent. */
  erasedHow: string | null;
  error: string | null;
  updatedAt: number;
}

export type RequestPatch = Partial<Omit<RequestRecord, 'id' | 'createdAt' | 'updatedAt'>>;

export interface RequestEventRecord {
  requestId: string;
  at: number;
  /** state | step | warning | placement | queue | error | operator */
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface RequestFilter {
  owner?: string;
  /** true: not closed; false: closed. */
  open?: boolean;
}

// ---- webhook dead letters (src/notify/) ----------------------------------------------------

/** A webhook notification given up: retries exhausted or dropped from its receiver's full queue. */
export interface DeadLetterRecord {
  receiver: string;
  url: string;
  notificationId: string;
  /** The notification type (incident-opened, ...). */
  type: string;
  sequence: number;
  /** The JSON body as it was (or would have been) signed and sent. */
  payload: string;
  attempts: number;
  lastError: string;
  failedAt: number;
}

export interface DeadLetterFilter {
  receiver?: string;
  limit?: number;
}

// ---- controller heartbeats (src/controller/heartbeat.ts) -----------------------------------

/** One controller of the pair as it last reported itself; the lease says who really leads. */
export interface HeartbeatRecord {
  /** The lease name (one per cluster). */
  cluster: string;
  /** The controller's id (its lease holder name). */
  controller: string;
  rank: number;
  /** What the controller believed when it wrote the row. */
  role: 'leader' | 'standby';
  /** Its API address (`http://host:port`), null while it does not listen. */
  apiUrl: string | null;
  lastSeenAt: number;
  /** The lease epoch it last saw (null: none yet). */
  epochSeen: number | null;
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
  /** HostRecord.lastContactAt; not an inventory change (updatedAt stays). Throws RRC_ERR_NOT_FOUND. */
  setHostLastContact(name: string, at: number | null): Promise<void>;

  listVms(): Promise<VmRecord[]>;
  getVm(name: string): Promise<VmRecord | null>;
  /** Throws RRC_ERR_CONFLICT on duplicate name or UUID, RRC_ERR_NOT_FOUND for an unknown host. */
  addVm(spec: VmSpec): Promise<VmRecord>;
  /** With a fence: RRC_ERR_STALE_EPOCH when the lease has moved on (a placement is a leader's write). */
  updateVm(name: string, patch: VmPatch, fence?: WriteFence): Promise<VmRecord>;
  removeVm(name: string): Promise<void>;

  /** With a fence: RRC_ERR_STALE_EPOCH when the lease has moved on. */
  saveTargetState(rec: TargetStateRecord, fence?: WriteFence): Promise<void>;
  listTargetStates(): Promise<TargetStateRecord[]>;
  deleteTargetState(targetId: TargetId): Promise<void>;

  createIncident(rec: IncidentRecord): Promise<void>;
  updateIncident(id: string, patch: IncidentPatch): Promise<void>;
  getIncident(id: string): Promise<IncidentDetail | null>;
  /** Newest first. */
  listIncidents(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  addIncidentEvent(ev: IncidentEventRecord): Promise<void>;

  /** Insert or update by id (an action is written before it runs and again when it ends). */
  upsertAction(rec: ActionRecord, fence?: WriteFence): Promise<void>;
  /** `unfinished`: only actions without an end (in flight when a controller stopped). */
  listActions(filter?: ActionFilter): Promise<ActionRecord[]>;

  addAudit(rec: AuditRecord): Promise<void>;
  /** Newest first; a number is a limit. */
  listAudit(filter?: number | AuditFilter): Promise<AuditRecord[]>;

  /** Throws RRC_ERR_CONFLICT on a duplicate name (or hash); nothing is written then. */
  addApiToken(rec: ApiTokenRecord): Promise<void>;
  /** By name. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null>;
  /** Throws RRC_ERR_NOT_FOUND. */
  removeApiToken(name: string): Promise<void>;

  /**
   * Takes the lease when it is free, expired or already ours (then renews it): returns it with
   * `holder` = the requester on success (epoch + 1 when the holder changed), else the current one.
   * Atomic against other controllers on the same database.
   */
  acquireLease(req: LeaseRequest): Promise<LeaseRecord>;
  /** Extends our lease; false when it is no longer ours at that epoch (someone took it over). */
  renewLease(req: LeaseRequest & { epoch: number }): Promise<boolean>;
  /** Ends our lease now (step-down); the epoch stays. No-op when it is not ours. */
  releaseLease(name: string, holder: string, epoch: number, now: number): Promise<void>;
  getLease(name: string): Promise<LeaseRecord | null>;

  /** Host-on-demand requests (src/on-demand). Throws RRC_ERR_CONFLICT on a duplicate id. */
  createRequest(rec: RequestRecord): Promise<void>;
  /** With a fence: RRC_ERR_STALE_EPOCH when the lease has moved on. Throws RRC_ERR_NOT_FOUND. */
  updateRequest(id: string, patch: RequestPatch, fence?: WriteFence): Promise<RequestRecord>;
  getRequest(id: string): Promise<RequestRecord | null>;
  /** Oldest first (createdAt, then id): the queue's order. */
  listRequests(filter?: RequestFilter): Promise<RequestRecord[]>;
  /** Throws RRC_ERR_NOT_FOUND for an unknown request. */
  addRequestEvent(ev: RequestEventRecord): Promise<void>;
  /** Oldest first. */
  listRequestEvents(requestId: string): Promise<RequestEventRecord[]>;

  // ---- webhook dead letters (src/notify/) --------------------------------------------------
  addDeadLetter(rec: DeadLetterRecord): Promise<void>;
  /** Newest first. */
  listDeadLetters(filter?: DeadLetterFilter): Promise<DeadLetterRecord[]>;

  // ---- controller heartbeats (src/controller/heartbeat.ts) --------------------------------
  /** Insert or replace the row of (cluster, controller). Not fenced: standbys write theirs too. */
  recordHeartbeat(rec: HeartbeatRecord): Promise<void>;
  /** The cluster's rows, by controller id. */
  listHeartbeats(cluster: string): Promise<HeartbeatRecord[]>;
  /** Deletes the cluster's rows last seen before `before`; returns how many. */
  pruneHeartbeats(cluster: string, before: number): Promise<number>;

  /** The cheapest round trip to the database (the controller's self-check); throws when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
