/**
 * In-memory Store for the bench and fast unit tests. Same contract and error behaviour as the
 * Prisma store: every check happens before any write, and records go in and out as copies (JSON
 * payloads through JSON, as the database does), so callers never share state with the store.
 */
import type { TargetId } from '../core/types.js';
import type {
  ActionFilter,
  ActionRecord,
  ApiTokenRecord,
  AuditFilter,
  AuditRecord,
  HostPatch,
  HostRecord,
  IncidentDetail,
  IncidentEventRecord,
  IncidentFilter,
  IncidentPatch,
  IncidentRecord,
  Store,
  LeaseRecord,
  LeaseRequest,
  TargetStateRecord,
  VmPatch,
  VmRecord,
  WriteFence,
} from './types.js';
import { checkFence, leaseAfterRequest } from './lease.js';
import type { RequestEventRecord, RequestFilter, RequestPatch, RequestRecord } from './types.js';
import { CLOSED_REQUEST_STATES } from './types.js';
import { conflict as taken, notFound as missing, patchedRequest, requestRecordOf } from './records.js';
import type { DeadLetterFilter, DeadLetterRecord } from './types.js';
import type { HeartbeatRecord } from './types.js';
import type { HostOperationalState, HostSpec, VmSpec } from '../core/types.js';
import {
  actionRecordOf,
  auditFilterOf,
  auditMatches,
  checkFencingToken,
  conflict,
  hostRecordOf,
  INCIDENT_PATCH_FIELDS,
  incidentRecordOf,
  normalizeMacs,
  notFound,
  patchedHost,
  patchedVm,
  tokenConflict,
  vmRecordOf,
  type StoreOptions,
} from './records.js';

/** A copy as a database would give it back (through JSON). */
function json<T>(value: T): T {
  if (value === undefined) return value;
  return isFlatJson(value) ? (flatCopy(value) as T) : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A plain object of strings, booleans, nulls, finite numbers other than -0 and undefineds (most
 * incident event data): its JSON round trip is a shallow copy without the undefineds, made here
 * without the text (the bench writes one per incident event).
 */
function isFlatJson(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const v of Object.values(value)) {
    const t = typeof v;
    if (v === null || v === undefined || t === 'string' || t === 'boolean') continue;
    if (t !== 'number' || !Number.isFinite(v) || Object.is(v, -0)) return false;
  }
  return true;
}

function flatCopy(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out;
}

function copyHost(h: HostRecord): HostRecord {
  const out: HostRecord = { ...h, macs: [...h.macs], capacity: { ...h.capacity } };
  if (h.bmc) out.bmc = { ...h.bmc };
  if (h.ssh) out.ssh = { ...h.ssh };
  if (h.watchdog) out.watchdog = { ...h.watchdog };
  return out;
}

function copyVm(v: VmRecord): VmRecord {
  const out: VmRecord = { ...v, resources: { ...v.resources } };
  if (v.serviceCheck) out.serviceCheck = json(v.serviceCheck);
  if (v.ssh) out.ssh = { ...v.ssh };
  return out;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryStore implements Store {
  readonly provider = 'memory' as const;
  private readonly now: () => number;
  private readonly hosts = new Map<string, HostRecord>();
  private readonly macOwner = new Map<string, string>();
  private readonly vms = new Map<string, VmRecord>();
  /**
   * The snapshot as given, copied when read: a persisted XState snapshot is an immutable value (an
   * assign makes a new context), and serialising it at every save was a twentieth of the bench.
   */
  private readonly targetStates = new Map<TargetId, TargetStateRecord>();
  private readonly incidents = new Map<string, IncidentRecord>();
  private readonly events = new Map<string, IncidentEventRecord[]>();
  private readonly actions = new Map<string, ActionRecord>();
  // Indexes, so the bench's hundred thousand actions and VMs do not make reads quadratic.
  private readonly actionIdsByIncident = new Map<string, Set<string>>();
  private readonly vmByUuid = new Map<string, string>();
  private readonly leases = new Map<string, LeaseRecord>();
  private readonly audit: AuditRecord[] = [];
  private readonly tokens = new Map<string, ApiTokenRecord>();

  constructor(opts: StoreOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  // ---- hosts -------------------------------------------------------------------------------

  async listHosts(): Promise<HostRecord[]> {
    return [...this.hosts.values()].sort(byName).map(copyHost);
  }

  async getHost(name: string): Promise<HostRecord | null> {
    const h = this.hosts.get(name);
    return h ? copyHost(h) : null;
  }

  async addHost(spec: HostSpec, state: HostOperationalState = 'active'): Promise<HostRecord> {
    if (this.hosts.has(spec.name)) throw conflict.hostExists(spec.name);
    const macs = normalizeMacs(spec.name, spec.macs);
    for (const mac of macs) {
      const owner = this.macOwner.get(mac);
      if (owner !== undefined) throw conflict.macTaken(mac, owner);
    }
    const t = this.now();
    const rec = hostRecordOf(spec, macs, state, t, t);
    this.hosts.set(rec.name, rec);
    for (const mac of macs) this.macOwner.set(mac, rec.name);
    return copyHost(rec);
  }

  async updateHost(name: string, patch: HostPatch): Promise<HostRecord> {
    const current = this.hosts.get(name);
    if (!current) throw notFound.host(name);
    const macs = patch.macs ? normalizeMacs(name, patch.macs) : undefined;
    for (const mac of macs ?? []) {
      const owner = this.macOwner.get(mac);
      if (owner !== undefined && owner !== name) throw conflict.macTaken(mac, owner);
    }
    const next = patchedHost(current, patch, macs, this.now());
    if (macs) {
      for (const mac of current.macs) this.macOwner.delete(mac);
      for (const mac of macs) this.macOwner.set(mac, name);
    }
    this.hosts.set(name, next);
    return copyHost(next);
  }

  async setHostLastContact(name: string, at: number | null): Promise<void> {
    const h = this.hosts.get(name);
    if (!h) throw notFound.host(name);
    this.hosts.set(name, { ...h, lastContactAt: at });
  }

  async removeHost(name: string): Promise<void> {
    const h = this.hosts.get(name);
    if (!h) throw notFound.host(name);
    const users = [...this.vms.values()].filter((v) => v.homeHost === name || v.currentHost === name);
    if (users.length > 0) throw conflict.hostInUse(name, users);
    for (const mac of h.macs) this.macOwner.delete(mac);
    this.hosts.delete(name);
  }

  // ---- VMs ---------------------------------------------------------------------------------

  async listVms(): Promise<VmRecord[]> {
    return [...this.vms.values()].sort(byName).map(copyVm);
  }

  async getVm(name: string): Promise<VmRecord | null> {
    const v = this.vms.get(name);
    return v ? copyVm(v) : null;
  }

  private uuidOwner(uuid: string): string | undefined {
    return this.vmByUuid.get(uuid);
  }

  async addVm(spec: VmSpec): Promise<VmRecord> {
    if (this.vms.has(spec.name)) throw conflict.vmExists(spec.name);
    const owner = this.uuidOwner(spec.uuid);
    if (owner !== undefined) throw conflict.uuidTaken(spec.uuid, owner);
    if (!this.hosts.has(spec.homeHost)) throw notFound.vmHost('home', spec.homeHost);
    if (!this.hosts.has(spec.currentHost)) throw notFound.vmHost('current', spec.currentHost);
    const t = this.now();
    const rec = vmRecordOf(spec, t, t);
    this.vms.set(rec.name, rec);
    this.vmByUuid.set(rec.uuid, rec.name);
    return copyVm(rec);
  }

  async updateVm(name: string, patch: VmPatch, fence?: WriteFence): Promise<VmRecord> {
    this.checkFence(fence, `placement of VM ${name}`);
    const current = this.vms.get(name);
    if (!current) throw notFound.vm(name);
    if (patch.uuid !== undefined && patch.uuid !== current.uuid) {
      const owner = this.uuidOwner(patch.uuid);
      if (owner !== undefined) throw conflict.uuidTaken(patch.uuid, owner);
    }
    if (patch.homeHost !== undefined && !this.hosts.has(patch.homeHost)) throw notFound.vmHost('home', patch.homeHost);
    if (patch.currentHost !== undefined && !this.hosts.has(patch.currentHost)) {
      throw notFound.vmHost('current', patch.currentHost);
    }
    const next = patchedVm(current, patch, this.now());
    this.vms.set(name, next);
    this.vmByUuid.delete(current.uuid);
    this.vmByUuid.set(next.uuid, name);
    return copyVm(next);
  }

  async removeVm(name: string): Promise<void> {
    const current = this.vms.get(name);
    if (!current) throw notFound.vm(name);
    this.vms.delete(name);
    this.vmByUuid.delete(current.uuid);
  }

  // ---- target states -----------------------------------------------------------------------

  async saveTargetState(rec: TargetStateRecord, fence?: WriteFence): Promise<void> {
    this.checkFence(fence, `state of ${rec.targetId}`);
    const { targetId, phase, rung, maintenance, snapshot, updatedAt } = rec;
    this.targetStates.set(targetId, { targetId, phase, rung: rung ?? null, maintenance, snapshot: snapshot ?? null, updatedAt });
  }

  async listTargetStates(): Promise<TargetStateRecord[]> {
    return [...this.targetStates.values()]
      .sort((a, b) => cmp(a.targetId, b.targetId))
      .map((r) => ({ ...r, snapshot: JSON.parse(JSON.stringify(r.snapshot)) as unknown }));
  }

  async deleteTargetState(targetId: TargetId): Promise<void> {
    this.targetStates.delete(targetId);
  }

  // ---- incidents and actions ---------------------------------------------------------------

  async createIncident(rec: IncidentRecord): Promise<void> {
    if (this.incidents.has(rec.id)) throw conflict.incidentExists(rec.id);
    this.incidents.set(rec.id, incidentRecordOf(rec));
    this.events.set(rec.id, []);
  }

  async updateIncident(id: string, patch: IncidentPatch): Promise<void> {
    const current = this.incidents.get(id);
    if (!current) throw notFound.incident(id);
    const next = { ...current };
    for (const key of INCIDENT_PATCH_FIELDS) {
      if (patch[key] !== undefined) (next as Record<string, unknown>)[key] = patch[key];
    }
    this.incidents.set(id, next);
  }

  async getIncident(id: string): Promise<IncidentDetail | null> {
    const inc = this.incidents.get(id);
    if (!inc) return null;
    const events = [...(this.events.get(id) ?? [])]
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
      .map(({ e }) => ({ ...e, ...(e.data ? { data: json(e.data) } : {}) }));
    const actions = [...(this.actionIdsByIncident.get(id) ?? [])]
      .map((actionId) => this.actions.get(actionId) as ActionRecord)
      .sort((a, b) => a.startedAt - b.startedAt || cmp(a.id, b.id))
      .map((a) => ({ ...a }));
    return { ...inc, events, actions };
  }

  async listIncidents(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    let list = [...this.incidents.values()];
    if (filter.targetId !== undefined) list = list.filter((i) => i.targetId === filter.targetId);
    if (filter.open !== undefined) {
      list = list.filter((i) => (i.state !== 'resolved' && i.state !== 'cancelled') === filter.open);
    }
    list.sort((a, b) => b.detectedAt - a.detectedAt || cmp(b.id, a.id));
    return (filter.limit !== undefined ? list.slice(0, filter.limit) : list).map((i) => ({ ...i }));
  }

  async addIncidentEvent(ev: IncidentEventRecord): Promise<void> {
    const list = this.events.get(ev.incidentId);
    if (!list) throw notFound.incident(ev.incidentId);
    const rec: IncidentEventRecord = { incidentId: ev.incidentId, at: ev.at, kind: ev.kind, message: ev.message };
    if (ev.data !== undefined && ev.data !== null) rec.data = json(ev.data);
    list.push(rec);
  }

  async upsertAction(rec: ActionRecord, fence?: WriteFence): Promise<void> {
    this.checkFence(fence, `action ${rec.id}`);
    checkFencingToken(rec.fencingToken);
    if (!this.incidents.has(rec.incidentId)) throw notFound.incident(rec.incidentId);
    const previous = this.actions.get(rec.id);
    if (previous && previous.incidentId !== rec.incidentId) this.actionIdsByIncident.get(previous.incidentId)?.delete(rec.id);
    this.actions.set(rec.id, actionRecordOf(rec));
    let ids = this.actionIdsByIncident.get(rec.incidentId);
    if (!ids) this.actionIdsByIncident.set(rec.incidentId, (ids = new Set()));
    ids.add(rec.id);
  }

  /** Newest first (startedAt, then id, descending). */
  async listActions(filter: ActionFilter = {}): Promise<ActionRecord[]> {
    const all =
      filter.incidentId === undefined
        ? [...this.actions.values()]
        : [...(this.actionIdsByIncident.get(filter.incidentId) ?? [])].map((id) => this.actions.get(id) as ActionRecord);
    const list = filter.unfinished ? all.filter((a) => a.finishedAt === null) : all;
    list.sort((a, b) => b.startedAt - a.startedAt || cmp(b.id, a.id));
    return (filter.limit !== undefined ? list.slice(0, filter.limit) : list).map((a) => ({ ...a }));
  }

  // ---- audit -------------------------------------------------------------------------------

  async addAudit(rec: AuditRecord): Promise<void> {
    const entry: AuditRecord = { at: rec.at, actor: rec.actor, action: rec.action, target: rec.target ?? null, details: json(rec.details ?? null) };
    if (rec.outcome !== undefined) entry.outcome = rec.outcome;
    this.audit.push(entry);
  }

  async listAudit(filter?: number | AuditFilter): Promise<AuditRecord[]> {
    const f = auditFilterOf(filter);
    const list = this.audit
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => auditMatches(r, f))
      .sort((a, b) => b.r.at - a.r.at || b.i - a.i)
      .map(({ r }) => ({ ...r, details: json(r.details) }));
    return f.limit !== undefined ? list.slice(0, f.limit) : list;
  }

  // ---- API tokens ----------------------------------------------------------------------------

  async addApiToken(rec: ApiTokenRecord): Promise<void> {
    if (this.tokens.has(rec.name) || [...this.tokens.values()].some((t) => t.hash === rec.hash)) throw tokenConflict(rec.name);
    this.tokens.set(rec.name, { ...rec });
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return [...this.tokens.values()].sort(byName).map((t) => ({ ...t }));
  }

  async findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null> {
    const found = [...this.tokens.values()].find((t) => t.hash === hash);
    return found ? { ...found } : null;
  }

  async removeApiToken(name: string): Promise<void> {
    if (!this.tokens.delete(name)) throw notFound.apiToken(name);
  }

  // ---- leader lease (lease.ts) ----------------------------------------------------------------

  async acquireLease(req: LeaseRequest): Promise<LeaseRecord> {
    const current = this.leases.get(req.name) ?? null;
    const next = leaseAfterRequest(current, req);
    if (next === null) return { ...(current as LeaseRecord) };
    this.leases.set(req.name, next);
    return { ...next };
  }

  async renewLease(req: LeaseRequest & { epoch: number }): Promise<boolean> {
    const current = this.leases.get(req.name);
    if (!current || current.holder !== req.holder || current.epoch !== req.epoch) return false;
    this.leases.set(req.name, { ...current, expiresAt: req.now + req.ttlMs, rank: req.rank });
    return true;
  }

  async releaseLease(name: string, holder: string, epoch: number, now: number): Promise<void> {
    const current = this.leases.get(name);
    if (current && current.holder === holder && current.epoch === epoch) this.leases.set(name, { ...current, expiresAt: now });
  }

  async getLease(name: string): Promise<LeaseRecord | null> {
    const current = this.leases.get(name);
    return current ? { ...current } : null;
  }

  private checkFence(fence: WriteFence | undefined, what: string): void {
    if (fence) checkFence(fence, this.leases.get(fence.name)?.epoch ?? null, what);
  }

  // ---- webhook dead letters (src/notify/) --------------------------------------------------

  private readonly deadLetters: DeadLetterRecord[] = [];

  async addDeadLetter(rec: DeadLetterRecord): Promise<void> {
    this.deadLetters.push({ ...rec });
  }

  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetterRecord[]> {
    const list = this.deadLetters
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => filter.receiver === undefined || r.receiver === filter.receiver)
      .sort((a, b) => b.r.failedAt - a.r.failedAt || b.i - a.i)
      .map(({ r }) => ({ ...r }));
    return filter.limit !== undefined ? list.slice(0, filter.limit) : list;
  }

  // ---- controller heartbeats (src/controller/heartbeat.ts) -----------------------------------

  /** By `cluster` NUL `controller`. */
  private readonly heartbeats = new Map<string, HeartbeatRecord>();

  async recordHeartbeat(rec: HeartbeatRecord): Promise<void> {
    this.heartbeats.set(`${rec.cluster}\0${rec.controller}`, { ...rec });
  }

  async listHeartbeats(cluster: string): Promise<HeartbeatRecord[]> {
    return [...this.heartbeats.values()]
      .filter((r) => r.cluster === cluster)
      .sort((a, b) => (a.controller < b.controller ? -1 : a.controller > b.controller ? 1 : 0))
      .map((r) => ({ ...r }));
  }

  async pruneHeartbeats(cluster: string, before: number): Promise<number> {
    let count = 0;
    for (const [key, r] of this.heartbeats) {
      if (r.cluster === cluster && r.lastSeenAt < before) {
        this.heartbeats.delete(key);
        count++;
      }
    }
    return count;
  }

  // ---- host-on-demand requests (src/on-demand/) ---------------------------------------------

  private readonly requests = new Map<string, RequestRecord>();
  private readonly requestEvents = new Map<string, RequestEventRecord[]>();

  async createRequest(rec: RequestRecord): Promise<void> {
    if (this.requests.has(rec.id)) throw taken.requestExists(rec.id);
    this.requests.set(rec.id, requestRecordOf(rec));
    this.requestEvents.set(rec.id, []);
  }

  async updateRequest(id: string, patch: RequestPatch, fence?: WriteFence): Promise<RequestRecord> {
    this.checkFence(fence, `request ${id}`);
    const current = this.requests.get(id);
    if (!current) throw missing.request(id);
    const next = patchedRequest(current, json(patch), this.now());
    this.requests.set(id, next);
    return requestRecordOf(next);
  }

  async getRequest(id: string): Promise<RequestRecord | null> {
    const r = this.requests.get(id);
    return r ? requestRecordOf(r) : null;
  }

  async listRequests(filter: RequestFilter = {}): Promise<RequestRecord[]> {
    return [...this.requests.values()]
      .filter((r) => filter.owner === undefined || r.owner === filter.owner)
      .filter((r) => filter.open === undefined || filter.open !== CLOSED_REQUEST_STATES.includes(r.state))
      .sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id))
      .map(requestRecordOf);
  }

  async addRequestEvent(ev: RequestEventRecord): Promise<void> {
    const list = this.requestEvents.get(ev.requestId);
    if (!list) throw missing.request(ev.requestId);
    list.push(json(ev));
  }

  async listRequestEvents(requestId: string): Promise<RequestEventRecord[]> {
    return (this.requestEvents.get(requestId) ?? []).map((e) => json(e));
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    // nothing to release
  }
}
